// The one reader of process.env for the API process (STYLE.md). Everything else receives a typed Env.
import { databaseEnvSchema } from '@studio/db';
import { Cron } from 'croner';
import { z } from 'zod';
import { KeyRing, KeyRingError } from './services/crypto';
import { isValidPolicyEntry } from './services/outbound-policy';
import { isLoopbackUrl } from './services/oidc';
import { parseRateLimits, RateLimitConfigError } from './services/rate-limits';
import { parseTrustProxy, type TrustProxy } from './trust-proxy';

const emptyToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const booleanFlag = z.preprocess(
  emptyToUndefined,
  z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true')),
);

/** Comma-separated CIDRs or hostnames (`10.0.0.0/8,*.corp.example`); each entry validated. */
const policyList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .optional()
    .transform((v) => (v ?? '').split(',').map((entry) => entry.trim()).filter(Boolean))
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        if (!isValidPolicyEntry(entry)) ctx.addIssue({ code: 'custom', message: `"${entry}" is neither a CIDR nor a hostname` });
      }
    }),
);

export const envObjectSchema = z.object({
  ...databaseEnvSchema.shape,
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  /** Listening sockets on PORT (Linux only; src/listen.ts): how many new connections a busy server accepts per event-loop turn. */
  HTTP_LISTEN_SOCKETS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1_024).default(128)),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTO_MIGRATE: booleanFlag,
  SEED_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  SEED_USER_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  /** Set by pnpm to the folder the command was typed in; a relative DATA_DIR resolves against it. */
  INIT_CWD: z.string().optional(),
  AUTO_SEED: booleanFlag,
  /**
   * Versioned AES-256-GCM keys for stored credentials: `<version>:<base64 32 bytes>,...`.
   * Required in production; in development a key is generated into DATA_DIR/encryption-keys.
   * Messages never echo the value.
   */
  ENCRYPTION_KEYS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .superRefine((spec, ctx) => {
        if (spec === undefined) return;
        try {
          KeyRing.parse(spec);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: error instanceof KeyRingError ? error.message : 'invalid key ring' });
        }
      }),
  ),
  /** Whether workspace connections may target 127.0.0.0/8 and ::1; default on outside production. */
  OUTBOUND_ALLOW_LOOPBACK: booleanFlag,
  OUTBOUND_ALLOW: policyList,
  OUTBOUND_DENY: policyList,
  /** Rate-limit store shared across instances; unset = the system database (PostgreSQL) or memory (PGlite). */
  REDIS_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((v) => /^rediss?:\/\/[^/]/.test(v), { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
      .optional(),
  ),
  /** Overrides of the per-principal limits: `bucket=points/seconds,…` (e.g. `list=600/60`); unnamed buckets keep the defaults. */
  RATE_LIMITS: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .optional()
      .transform((raw, ctx) => {
        try {
          return parseRateLimits(raw);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: error instanceof RateLimitConfigError ? error.message : String(error) });
          return z.NEVER;
        }
      }),
  ),
  /** Deadline of one Redis command; past it the call is counted in per-instance memory and Redis is marked degraded. */
  REDIS_COMMAND_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(50).max(60_000).default(2_000)),
  /** Deadline of one attempt to (re)connect to Redis. */
  REDIS_CONNECT_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(50).max(60_000).default(2_000)),
  SESSION_TTL_HOURS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(8_760).default(168)),
  /** Deadline of a connection test (test, testDraft, environment save). */
  CONNECTION_TEST_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(100).max(60_000).default(5_000)),
  CONNECTION_TEST_MAX_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(100).max(600_000).default(60_000)),
  /** The most rows one console export (CSV/JSON) may hold; the query is stopped there. */
  EXPORT_MAX_ROWS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(100_000_000).default(1_000_000)),
  /** The largest CSV file one import accepts, in bytes (default 2 GiB). */
  IMPORT_MAX_BYTES: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(1_099_511_627_776).default(2 * 1024 ** 3)),
  /** Start the demo SQL Server (emulator); default on for embedded PGlite outside production. */
  DEMO_MSSQL: booleanFlag,
  /** Port of the demo SQL Server; 0 = any free port. */
  DEMO_MSSQL_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65_535).default(14_330)),
  /** Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: a hop count, `true` (= 1) or addresses/CIDRs. */
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((raw, ctx): TrustProxy => {
      try {
        return parseTrustProxy(raw);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
        return z.NEVER;
      }
    }),
  /** OpenID Connect sign-in ("Sign in with Google"): on when OIDC_CLIENT_ID is set. */
  OIDC_ISSUER: z.preprocess(
    emptyToUndefined,
    z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .refine((v) => v.startsWith('https:') || isLoopbackUrl(new URL(v)), { message: 'must use https (http only for a provider on this machine)' })
      .default('https://accounts.google.com'),
  ),
  OIDC_CLIENT_ID: z.preprocess(emptyToUndefined, z.string().max(512).optional()),
  /** Unset = a public client (PKCE only). Never echoed. */
  OIDC_CLIENT_SECRET: z.preprocess(emptyToUndefined, z.string().max(1024).optional()),
  /** Where the provider sends the browser back; default <app url>/auth/oidc/callback. */
  OIDC_REDIRECT_URI: z.preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
  /** Text of the sign-in button; default "Sign in with Google" for Google, else "Sign in with single sign-on". */
  OIDC_BUTTON_LABEL: z.preprocess(emptyToUndefined, z.string().max(64).optional()),
  /** When set, GET /metrics wants `Authorization: Bearer <METRICS_TOKEN>`; unset = open (keep it off the public network). */
  METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16, 'must be at least 16 characters').optional()),
  /** F5: refuse workspace queries while the database's schema is behind (F10 `schema_needs_migration`); default: allowed. */
  WORKSPACE_MIGRATIONS_REFUSE_BEHIND: booleanFlag.transform((v) => v ?? false),
  /** F5: workspaces migrated at once by applyAll and `ws:migrate --all` (default 4). */
  WORKSPACE_MIGRATIONS_CONCURRENCY: z.preprocess(emptyToUndefined, z.coerce.number().int().min(1).max(64).default(4)),
  /** F5: how long a migration run waits for another run on the same workspace database (sp_getapplock). */
  WORKSPACE_MIGRATIONS_LOCK_TIMEOUT_MS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(600_000).default(30_000)),
  /** Where backups are written and served from; default <DATA_DIR>/backups. */
  BACKUP_DIR: z.preprocess(emptyToUndefined, z.string().optional()),
  /** Cron expression (UTC, 5 or 6 fields) for backups taken by the running app; unset = none. */
  BACKUP_SCHEDULE: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .max(200)
      .refine((value) => cronProblem(value) === undefined, { message: 'must be a cron expression such as "0 3 * * *"' })
      .optional(),
  ),
  /** Keep the newest N backups (0 = no count limit). */
  BACKUP_KEEP: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(10_000).default(14)),
  /** Remove backups older than D days (0 = no age limit); the newest always stays. */
  BACKUP_MAX_AGE_DAYS: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(36_500).default(30)),
});

function cronProblem(expression: string): string | undefined {
  try {
    new Cron(expression, { paused: true }).stop();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

export const envSchema = envObjectSchema
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === 'production' && env.ENCRYPTION_KEYS === undefined) {
      ctx.addIssue({ code: 'custom', path: ['ENCRYPTION_KEYS'], message: 'is required when NODE_ENV=production' });
    }
  })
  .transform((env) => ({
    ...env,
    OUTBOUND_ALLOW_LOOPBACK: env.OUTBOUND_ALLOW_LOOPBACK ?? env.NODE_ENV !== 'production',
  }));

export type Env = z.output<typeof envSchema>;

export class EnvError extends Error {
  readonly code = 'invalid_environment';
  constructor(readonly issues: { field: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'EnvError';
  }
}

/** Parses the environment once; throws an EnvError naming every variable at fault. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new EnvError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })));
  }
  return parsed.data;
}
