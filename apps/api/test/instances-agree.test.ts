// Instances on one system database must share the credential key ring: with DATABASE_URL set an
// instance refuses to start without ENCRYPTION_KEYS, and /readyz is 503 credential_unreadable when
// this instance's keys cannot decrypt what another instance stored.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../src/app';
import { EnvError, loadEnv } from '../src/env';
import { createLogger } from '../src/logger';
import { ConnectionService } from '../src/services/connections';
import { KeyRing } from '../src/services/crypto';
import { startTestApp, type TestApp } from './support/http-app';

const postgres = testTargets.find((t) => t.name === 'postgres');

describe('instances agree on the key ring', () => {
  it('refuses to start with DATABASE_URL and no ENCRYPTION_KEYS, before connecting', async () => {
    const env = loadEnv({ PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: 'postgres://studio@127.0.0.1:1/studio', DEMO_MSSQL: 'false' });
    const error = await startApp(env, { logger: createLogger('silent'), announce: () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EnvError);
    expect((error as EnvError).issues.map((issue) => issue.field)).toEqual(['ENCRYPTION_KEYS']);
  });

  describe.skipIf(!postgres)(`/readyz checks a stored credential (needs DATABASE_URL${postgres ? '' : ': skipped, it is unset'})`, () => {
    let test: TestApp;
    beforeAll(async () => {
      test = await startTestApp(postgres!);
    });
    afterAll(async () => {
      await test?.close();
    });

    it('is ready while its keys read the credentials, 503 credential_unreadable once another key sealed one', async () => {
      const { app } = test;
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
      const workspace = await app.services.workspaces.find({ workspaceSlug: 'twsbp' });
      // Another instance, with a key ring of its own (version 2, so it is the newest in use).
      const other = new ConnectionService(app.services.db, KeyRing.parse(`2:${KeyRing.generateKey()}`));
      await other.create(workspace!.id, { name: 'sealed-elsewhere', type: 'postgres', host: '10.1.1.1', port: 5432, database: 'd', user: 'u', password: 'p' }, null);
      const response = await fetch(`${app.url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ error: 'not_ready', details: { reason: 'credential_unreadable' } });
    });
  });
});
