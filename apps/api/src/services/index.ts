// The long-lived services of one API process, built once at startup and handed to every request
// context. Nothing here knows about tRPC or HTTP.
import type { Database, StudioDatabase } from '@studio/db';
import type { Logger } from 'pino';
import { AccessService } from './access';
import { ApiTokenService } from './api-tokens';
import { AuditService } from './audit';
import { ConnectionService } from './connections';
import type { KeyRing } from './crypto';
import type { OutboundPolicy } from './outbound-policy';
import { defaultRateLimits, memoryStore, postgresStore, RateLimitService, redisStore, type RateLimits, type RateLimitStore } from './rate-limits';
import { createLucia, SessionService } from './sessions';
import { WorkspaceService } from './workspaces';

export interface AppServices {
  db: StudioDatabase;
  keyRing: KeyRing;
  outboundPolicy: OutboundPolicy;
  audit: AuditService;
  rateLimits: RateLimitService;
  sessions: SessionService;
  tokens: ApiTokenService;
  workspaces: WorkspaceService;
  connections: ConnectionService;
  access: AccessService;
  logger: Logger;
}

export interface CreateServicesOptions {
  database: Database;
  keyRing: KeyRing;
  outboundPolicy: OutboundPolicy;
  logger: Logger;
  sessionTtlHours: number;
  /** Overrides for tests; production uses the RFC 002 §9.2 limits. */
  rateLimits?: RateLimits;
  /** REDIS_URL: counters in Redis, shared by every instance. */
  redisUrl?: string | undefined;
  /** A different counter store; default: Redis when redisUrl is set, else the system database, or memory on PGlite. */
  rateLimitStore?: RateLimitStore;
}

/**
 * Picks the rate-limit store: Redis when configured; else PostgreSQL through the system pool so
 * instances share counters; on the embedded PGlite (one process by construction, and no pg Pool to
 * hand the library) process memory.
 */
async function defaultRateLimitStore(options: CreateServicesOptions): Promise<RateLimitStore> {
  if (options.redisUrl) return redisStore(options.redisUrl, options.logger);
  if (options.database.kind === 'pg') return postgresStore(options.database.client);
  return memoryStore;
}

export async function createServices(options: CreateServicesOptions): Promise<AppServices> {
  const db = options.database.db;
  const store = options.rateLimitStore ?? (await defaultRateLimitStore(options));
  return {
    db,
    keyRing: options.keyRing,
    outboundPolicy: options.outboundPolicy,
    audit: new AuditService(db, options.logger),
    rateLimits: new RateLimitService(store, options.rateLimits ?? defaultRateLimits),
    sessions: new SessionService(db, createLucia(db, options.sessionTtlHours)),
    tokens: new ApiTokenService(db),
    workspaces: new WorkspaceService(db),
    connections: new ConnectionService(db, options.keyRing),
    access: new AccessService(db),
    logger: options.logger,
  };
}
