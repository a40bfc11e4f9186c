// Which server of a target a pool connects to: `host:port`, then SQL Server's failover partner or
// PostgreSQL's alternate hosts. A pool is connected to exactly one of them (`entry.server`).
import type { DriverAdapter, DriverHooks, DriverPool, DriverPoolSettings } from './adapters/types';
import type { PoolEntry } from './entry';
import { ConnectRefusedError } from './errors';
import type { ManagerCounters } from './events';
import type { BeforeConnect } from './options';

/**
 * One login round: the servers in order from `entry.server`, stopping at the first that logs in
 * (and leaving `entry.server` on it). Rejects with the most telling failure: a permanent one (a
 * refused login) over a transient one (a server that is down).
 */
export async function createOnServers(entry: PoolEntry, adapter: DriverAdapter, settings: DriverPoolSettings, hooks: DriverHooks): Promise<DriverPool> {
  const count = entry.target.servers.length;
  const first = entry.server;
  let failure: { error: unknown; transient: boolean } | undefined;
  for (let i = 0; i < count; i++) {
    entry.server = (first + i) % count;
    try {
      return await adapter.create(entry.serverTarget, settings, hooks);
    } catch (error) {
      // A refusal by beforeConnect, or a pool retired meanwhile: no other server either.
      if (entry.refusal !== undefined || entry.state !== 'connecting') throw error;
      const transient = adapter.classify(error).transient;
      if (failure === undefined || (failure.transient && !transient)) failure = { error, transient };
    }
  }
  entry.server = first;
  throw failure?.error;
}

/**
 * Where a lifetime renewal starts: SQL Server stays on the server it is on (failing back is an
 * explicit reset or the next failure, as SQL Server clients do); PostgreSQL goes through its host
 * list from the top, as libpq does for every new connection.
 */
export function renewalServer(entry: PoolEntry): number {
  return entry.type === 'postgres' ? 0 : entry.server;
}

/** Where a failover starts: SQL Server's other partner; PostgreSQL's host list from the top. */
export function failoverServer(entry: PoolEntry): number {
  return entry.type === 'postgres' ? 0 : (entry.server + 1) % entry.target.servers.length;
}

/**
 * The hook a pool's driver calls before each connection: `beforeConnect` for the server the pool
 * is on now. A refusal is recorded on the entry (the pool is then closed, callers get it).
 */
export function connectHook(entry: PoolEntry, beforeConnect: BeforeConnect | undefined, counters: ManagerCounters): (() => Promise<string>) | undefined {
  if (beforeConnect === undefined) return undefined;
  return async () => {
    const { host, port } = entry.serverRef;
    try {
      return await beforeConnect({ workspaceId: entry.workspaceId, connectionId: entry.connectionId, type: entry.type, host, port });
    } catch (cause) {
      counters.connectRefusals++;
      entry.refusal ??= new ConnectRefusedError(entry.key, cause);
      throw entry.refusal;
    }
  };
}
