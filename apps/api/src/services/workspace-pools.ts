// The process's one WorkspacePoolManager (MISSION F4) and what the API needs around it: logged
// driver events and invalidation when a connection changes. Targets come from workspace-databases.ts.
import { WorkspacePoolManager, type WorkspacePoolManagerOptions } from '@studio/mssql-pool';
import type { Logger } from 'pino';
import type { Invalidation, InvalidationChannel, InvalidationMode, InvalidationSubscriber } from './invalidation';

/** Creates the manager and logs its driver 'error' and 'unhealthy' events (keys and messages only, no settings). */
export function createPoolManager(logger: Logger, options: WorkspacePoolManagerOptions = {}): WorkspacePoolManager {
  const pools = new WorkspacePoolManager(options);
  pools.on('error', (event) => logger.warn({ pool: event.key, type: event.type, err: { message: messageOf(event.error) } }, 'workspace database driver error (handled)'));
  pools.on('failover', (event) =>
    logger.warn({ pool: event.key, type: event.type, from: event.from, to: event.to, inFlight: event.inFlight }, 'workspace pool failed over to another server'),
  );
  pools.on('replaceFailed', (event) =>
    logger.warn({ pool: event.key, type: event.type, reason: event.reason, current: event.current, err: { message: messageOf(event.error) } }, 'new workspace pool settings could not log in; the current pool keeps serving'),
  );
  pools.on('unhealthy', (event) =>
    logger.warn(
      { pool: event.key, type: event.type, phase: event.phase, failures: event.consecutiveFailures, circuitOpen: event.circuitOpen, err: { message: messageOf(event.error) } },
      'workspace pool unhealthy',
    ),
  );
  return pools;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * "This connection changed: drop cached pools for it", on every instance: the change travels over
 * the invalidation channel (invalidation.ts), and a channel that may have missed changes drops
 * every cached pool. Callers do not know which channel is underneath.
 *
 * `drop` (a delete, the default) closes every pool of the connection. `replace` (a saved change)
 * closes only pools with no work in flight: a busy one serves on, and its callers' next targets
 * carry the new settings, which the pool manager logs in before moving anyone to them.
 */
export class PoolInvalidation implements InvalidationSubscriber {
  constructor(
    private readonly channel: InvalidationChannel,
    private readonly pools: WorkspacePoolManager,
    private readonly logger: Logger,
  ) {
    channel.subscribe(this);
  }

  /** Which channel carries the changes ('postgres-notify' or 'in-process'). */
  get name(): string {
    return this.channel.name;
  }

  async connectionChanged(workspaceId: string, connectionId: string, mode: InvalidationMode = 'drop'): Promise<void> {
    await this.channel.publish({ kind: 'pool', workspaceId, connectionId, mode });
  }

  changed(message: Invalidation): void {
    if (message.kind !== 'pool' || this.pools.closed) return;
    // The old pool drains in the background (up to drainTimeoutMs); callers need not wait for it.
    const { workspaceId, connectionId, mode } = message;
    const closing = mode === 'replace' ? this.pools.refresh({ workspaceId, connectionId }) : this.pools.invalidate({ workspaceId, connectionId });
    closing.catch((error: unknown) => this.logger.warn({ err: { message: messageOf(error) }, connectionId }, 'pool invalidation failed'));
  }

  missed(): void {
    if (this.pools.closed) return;
    const workspaceIds = new Set(this.pools.stats().pools.map((pool) => pool.workspaceId));
    for (const workspaceId of workspaceIds) {
      this.pools.invalidate(workspaceId).catch((error: unknown) => this.logger.warn({ err: { message: messageOf(error) }, workspaceId }, 'pool invalidation failed'));
    }
  }
}
