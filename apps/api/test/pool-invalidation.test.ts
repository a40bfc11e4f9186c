// A connection changed on one API instance must drop the cached pools of every instance (MISSION
// "Scale-out"). On a PostgreSQL system database that travels by LISTEN/NOTIFY; two sets of services
// over one database stand in for two instances.
import { startEmulator, type RunningEmulator } from '@studio/mssql-emulator';
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { closeServices, type AppServices } from '../src/services/index';
import { createHarness, type Harness, createOtherInstance } from './support/harness';
import { INVALIDATION_CHANNEL } from '../src/services/invalidation';
import { sql } from 'drizzle-orm';

const postgres = testTargets.find((t) => t.name === 'postgres');

describe.skipIf(!postgres)(`pool invalidation across instances (needs DATABASE_URL${postgres ? '' : ': skipped, it is unset'})`, () => {
  let emulator: RunningEmulator;
  let h: Harness;
  let other: AppServices;

  beforeAll(async () => {
    emulator = await startEmulator({ users: [{ user: 'app', password: 'Invalidation-Passw0rd' }], databases: ['appdb'], preload: true });
    h = await createHarness(postgres!);
    other = await createOtherInstance(h);
  });

  afterAll(async () => {
    await closeServices(other, { poolDrainDeadlineMs: 1_000 });
    await h.dispose();
    await emulator.close();
  });

  it('an update on instance A invalidates the pool instance B holds', async () => {
    expect(h.services.poolInvalidation.name).toBe('postgres-notify');
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const connection = await api.connections.create({ workspaceId: ws.id, name: 'shared', type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'appdb', user: 'app', password: 'Invalidation-Passw0rd' });
    await other.workspaceDatabases.withConnection(await other.workspaceDatabases.targetOf(ws.id, { connectionId: connection.id }), async () => undefined);
    const live = () => other.pools.stats().pools.filter((p) => p.connectionId === connection.id && p.state === 'ready');
    expect(live()).toHaveLength(1);

    await api.connections.update({ workspaceId: ws.id, connectionId: connection.id, description: 'changed on A' });
    await vi.waitFor(() => expect(live()).toHaveLength(0), { timeout: 5_000 });
  });

  it('an instance whose listener reconnected drops every cached pool (it may have missed a change)', { timeout: 30_000 }, async () => {
    const owner = await h.user();
    const ws = await h.workspace(owner);
    const api = h.caller(owner.principal);
    const connection = await api.connections.create({ workspaceId: ws.id, name: 'kept', type: 'mssql', host: '127.0.0.1', port: emulator.port, database: 'appdb', user: 'app', password: 'Invalidation-Passw0rd' });
    await other.workspaceDatabases.withConnection(await other.workspaceDatabases.targetOf(ws.id, { connectionId: connection.id }), async () => undefined);
    const live = () => other.pools.stats().pools.filter((p) => p.connectionId === connection.id && p.state === 'ready');
    expect(live()).toHaveLength(1);

    // Both instances' listeners are cut, as a database restart does; nothing is announced.
    await h.testDb.database.db.execute(
      sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and query = ${`LISTEN ${INVALIDATION_CHANNEL}`}`,
    );
    await vi.waitFor(() => expect(live()).toHaveLength(0), { timeout: 15_000 });
  });
});
