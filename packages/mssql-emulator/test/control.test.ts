import sql from 'mssql';
import { describe, expect, it } from 'vitest';
import { connect, useEmulator } from './helpers';

const emulator = useEmulator();

async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('control', () => {
  it('counts logins and live sessions', async () => {
    const { control } = emulator.current;
    control.resetCounters();
    const before = control.sessionCount;
    const pool = await connect({ ...emulator.current.config, pool: { min: 2, max: 2 } } as sql.config);
    await Promise.all([pool.request().query('SELECT 1'), pool.request().query('SELECT 1')]);
    // mssql's connect() logs in once to probe, then the pool opens its own connections.
    expect(control.loginCount).toBeGreaterThanOrEqual(2);
    await waitFor(() => control.sessionCount === before + 2);
    expect(control.sessions().every((s) => s.login === 'sa' && s.database === 'master')).toBe(true);
    await pool.close();
    await waitFor(() => control.sessionCount === before);
  });

  it('lists each session\'s ApplicationIntent (a read-only routing listener routes on it)', async () => {
    const { control } = emulator.current;
    const config = emulator.current.config as sql.config;
    const readOnly = await connect({ ...config, options: { readOnlyIntent: true } } as sql.config);
    const readWrite = await connect(config);
    try {
      await Promise.all([readOnly.request().query("SELECT 1 AS intent_ro"), readWrite.request().query('SELECT 1 AS intent_rw')]);
      const intents = control.sessions().map((s) => s.readOnlyIntent);
      expect(intents).toContain(true);
      expect(intents).toContain(false);
    } finally {
      await readOnly.close();
      await readWrite.close();
    }
  });

  it('refuses new logins with 18456 while existing sessions keep working', async () => {
    const { control, config } = emulator.current;
    const pool = await connect({ ...config, pool: { min: 1, max: 1 } } as sql.config);
    await pool.request().query('SELECT 1');
    control.refuseLogins();
    try {
      const error = await connect(config).catch((e: unknown) => e);
      expect((error as sql.ConnectionError).code).toBe('ELOGIN');
      expect((error as Error).message).toBe("Login failed for user 'sa'.");
      expect((await pool.request().query('SELECT 1')).recordset).toEqual([{ '': 1 }]);
    } finally {
      control.acceptLogins();
    }
    const again = await connect(config);
    await again.close();
    await pool.close();
  });

  it("refuses logins by closing the socket in 'close' mode", async () => {
    const { control, config } = emulator.current;
    control.refuseLogins('close');
    try {
      const error = await connect(config).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(sql.ConnectionError);
      expect((error as sql.ConnectionError).code).toBe('ESOCKET');
    } finally {
      control.acceptLogins();
    }
  });

  it('kills all sessions: requests on them fail, a pool reconnects', async () => {
    const { control, config } = emulator.current;
    const pool = await connect({ ...config, pool: { min: 1, max: 1 } } as sql.config);
    pool.on('error', () => undefined);
    await pool.request().query('SELECT 1');
    const killed = await control.killAllSessions();
    expect(killed).toBeGreaterThanOrEqual(1);
    expect(control.sessionCount).toBe(0);
    // The dead connection is discarded on its next use; a retry gets a new one.
    let result: sql.IResult<unknown> | undefined;
    for (let attempt = 0; attempt < 3 && !result; attempt++) {
      result = await pool.request().query('SELECT 1').catch(() => undefined);
    }
    expect(result?.recordset).toEqual([{ '': 1 }]);
    await pool.close();
  });

  it('stops (connections refused) and restarts on the same port, keeping data', async () => {
    const { control, config } = emulator.current;
    const pool = await connect(config);
    await pool.request().batch('CREATE TABLE control_keep (id INT); INSERT INTO control_keep VALUES (42)');
    await pool.close();
    const port = emulator.current.port;
    await control.stop();
    expect(control.isRunning).toBe(false);
    const error = await connect({ ...config, options: { connectTimeout: 2000 } } as sql.config).catch((e: unknown) => e);
    expect((error as sql.ConnectionError).code).toBe('ESOCKET');
    await control.restart();
    expect(control.isRunning).toBe(true);
    expect(emulator.current.port).toBe(port);
    const again = await connect(config);
    expect((await again.request().query('SELECT id FROM control_keep')).recordset).toEqual([{ id: 42 }]);
    await again.close();
  });

  it('fails the Nth request with an error, then recovers', async () => {
    const { control, config } = emulator.current;
    // mssql validates a pooled connection with its own SELECT 1 on every acquire; those count too.
    const pool = await connect({ ...config, validateConnection: false } as sql.config);
    control.failNthRequest(2);
    expect((await pool.request().query('SELECT 1')).recordset).toEqual([{ '': 1 }]);
    const error = await pool
      .request()
      .query('SELECT 1')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(sql.RequestError);
    expect((error as sql.RequestError).number).toBe(40613);
    expect((await pool.request().query('SELECT 1')).recordset).toEqual([{ '': 1 }]);
    control.failNthRequest(1, { error: { number: 1205, message: 'deadlocked (injected)', class: 13 } });
    const custom = await pool.request().batch('SELECT 1').catch((e: unknown) => e);
    expect((custom as sql.RequestError).number).toBe(1205);
    await pool.close();
  });

  it("fails the Nth request by dropping the connection in 'close' mode", async () => {
    const { control, config } = emulator.current;
    const pool = await connect({ ...config, validateConnection: false, pool: { min: 1, max: 1 } } as sql.config);
    pool.on('error', () => undefined);
    control.failNthRequest(1, { mode: 'close' });
    const error = await pool.request().query('SELECT 1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(['ECONNRESET', 'ESOCKET', 'ECONNCLOSED']).toContain((error as { code?: string }).code);
    await pool.close();
  });

  it('adds per-request latency', async () => {
    const { control, config } = emulator.current;
    const pool = await connect(config);
    control.setLatency(150);
    try {
      const start = Date.now();
      await pool.request().query('SELECT 1');
      expect(Date.now() - start).toBeGreaterThanOrEqual(140);
    } finally {
      control.setLatency(0);
    }
    await pool.close();
  });

  it('delays responses: a short delay slows logins, an endless one hits requestTimeout', async () => {
    const { control, config } = emulator.current;
    control.delayResponses(100);
    const start = Date.now();
    const pool = await connect(config);
    // PRELOGIN and LOGIN7 are both delayed; mssql's connect() logs in twice.
    expect(Date.now() - start).toBeGreaterThanOrEqual(190);
    control.delayResponses(Infinity);
    const error = await pool
      .request()
      .query('SELECT 1')
      .catch((e: unknown) => e);
    control.delayResponses(0);
    expect((error as sql.RequestError).code).toBe('ETIMEOUT');
    await pool.close();
  }, 30_000);
});
