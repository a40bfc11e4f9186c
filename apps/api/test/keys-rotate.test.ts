// Key rotation round trip (issue 5 item 4): rows sealed with key 1, ring 1+2, rotate, every row on
// key 2 and readable by the connections service, key 1 retired; interrupted runs resume; a dry run
// writes nothing; rows that do not decrypt are reported and skipped.
import { connections } from '@studio/db/schema';
import { testTargets } from '@studio/db/testing';
import { asc, eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { formatReport, runKeysCommand } from '../src/cli/keys';
import { ConnectionService } from '../src/services/connections';
import { KeyRing } from '../src/services/crypto';
import { KeyRotationError, KeyRotationService } from '../src/services/key-rotation';
import { useHarness } from './support/harness';

const key1 = KeyRing.generateKey();
const key2 = KeyRing.generateKey();
const ring1 = KeyRing.parse(`1:${key1}`);
const ring12 = KeyRing.parse(`2:${key2},1:${key1}`);
const ring2 = KeyRing.parse(`2:${key2}`);

describe.each(testTargets)('keys:rotate on $name', (target) => {
  const h = useHarness(target);
  const db = () => h.testDb.database.db;

  beforeEach(async () => {
    // Rotation works on the whole table: each test starts from its own rows only.
    await db().delete(connections);
  });

  /** `count` connections sealed with key 1; every other one has no password. */
  async function seedWithKey1(count: number) {
    const owner = await h.user('keys');
    const workspace = await h.workspace(owner);
    const service = new ConnectionService(db(), ring1);
    const created: { id: string; user: string; password: string | null }[] = [];
    for (let i = 0; i < count; i += 1) {
      const secret = { user: `login_${i}`, password: i % 2 === 0 ? `pw-${i}-${KeyRing.generateKey()}` : null };
      const row = await service.create(
        workspace.id,
        { name: `db-${i}`, type: 'mssql', host: '127.0.0.1', port: 1433, database: 'app', ...secret },
        owner.id,
      );
      created.push({ id: row.id, ...secret });
    }
    return { workspace, created };
  }

  const stored = () =>
    db()
      .select({ id: connections.id, keyVersion: connections.keyVersion, user: connections.userEncrypted, password: connections.passwordEncrypted, updatedAt: connections.updatedAt })
      .from(connections)
      .orderBy(asc(connections.id));

  it('re-seals every row with the newest key; the old key can then be retired', async () => {
    const { workspace, created } = await seedWithKey1(7);
    const before = await stored();
    expect(before.every((row) => row.keyVersion === 1 && row.user.startsWith('gcm1:1:'))).toBe(true);
    const rotation = new KeyRotationService(db(), ring12, h.services.audit);

    await expect(rotation.assertRetirable(1)).rejects.toMatchObject({ code: 'key_in_use' });
    expect((await rotation.usage()).rows).toEqual([{ keyVersion: 1, count: 7, inRing: true }]);

    const report = await rotation.rotate({ batchSize: 3 });
    expect(report).toMatchObject({ targetVersion: 2, dryRun: false, due: 7, rotated: 7, failed: [], batches: 3, remaining: 0, interrupted: false });

    const after = await stored();
    for (const row of after) {
      expect(row.keyVersion).toBe(2);
      expect(row.user).toMatch(/^gcm1:2:/);
      if (row.password !== null) expect(row.password).toMatch(/^gcm1:2:/);
      // Rotation is not an edit: updated_at keeps the time of the last real change.
      expect(row.updatedAt).toEqual(before.find((b) => b.id === row.id)?.updatedAt);
    }
    expect(after.filter((row) => row.password === null)).toHaveLength(3);

    // Still readable through the connections service, with the full ring and with key 2 alone.
    for (const ring of [ring12, ring2]) {
      const service = new ConnectionService(db(), ring);
      for (const expected of created) {
        const settings = await service.settingsOf(workspace.id, expected.id);
        expect({ user: settings.user, password: settings.password }).toEqual({ user: expected.user, password: expected.password });
      }
    }
    // ...and no longer with key 1 alone: the old ciphertexts are really gone.
    await expect(new ConnectionService(db(), ring1).settingsOf(workspace.id, created[0]!.id)).rejects.toMatchObject({ code: 'unknown_key_version' });

    expect((await rotation.usage()).rows).toEqual([{ keyVersion: 2, count: 7, inRing: true }]);
    await expect(rotation.assertRetirable(1)).resolves.toMatchObject({ currentVersion: 2 });
    await expect(rotation.assertRetirable(2)).rejects.toMatchObject({ code: 'key_is_current' });
    await expect(rotation.assertRetirable(9)).rejects.toBeInstanceOf(KeyRotationError);

    // A second run finds nothing to do and touches nothing.
    const again = await rotation.rotate({ batchSize: 3 });
    expect(again).toMatchObject({ due: 0, rotated: 0, batches: 0, remaining: 0 });
    expect(await stored()).toEqual(after);

    const audit = (await h.auditRows()).filter((row) => row.action === 'keys.rotate');
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ actorUsername: 'system', actorUserId: null, outcome: 'success', targetType: 'key_ring', targetId: '2' });
    expect(audit[0]?.details).toMatchObject({ due: 7, rotated: 7, remaining: 0 });
    const auditText = JSON.stringify(audit);
    for (const secret of created) {
      if (secret.password) expect(auditText).not.toContain(secret.password);
    }
    expect(auditText).not.toContain('gcm1:');
  });

  it('an interrupted rotation leaves a consistent table and a rerun finishes it', async () => {
    const { workspace, created } = await seedWithKey1(5);
    const rotation = new KeyRotationService(db(), ring12, h.services.audit);

    const first = await rotation.rotate({ batchSize: 2, maxBatches: 1 });
    expect(first).toMatchObject({ due: 5, rotated: 2, batches: 1, remaining: 3, interrupted: true });
    expect(formatReport(first).join('\n')).toMatch(/run keys:rotate again/);
    const mid = await stored();
    expect(mid.filter((row) => row.keyVersion === 2)).toHaveLength(2);
    // Half-way, every row is readable with the ring that holds both keys.
    const service = new ConnectionService(db(), ring12);
    for (const expected of created) expect((await service.settingsOf(workspace.id, expected.id)).user).toBe(expected.user);
    await expect(rotation.assertRetirable(1)).rejects.toMatchObject({ code: 'key_in_use', message: expect.stringContaining('3 connection row(s)') });

    const rest = await rotation.rotate({ batchSize: 2 });
    // Rows already on key 2 are skipped, not re-sealed again.
    expect(rest).toMatchObject({ due: 3, rotated: 3, batches: 2, remaining: 0, interrupted: false });
    const done = await stored();
    for (const row of mid.filter((r) => r.keyVersion === 2)) expect(done.find((d) => d.id === row.id)).toEqual(row);
    expect(done.every((row) => row.keyVersion === 2)).toBe(true);
    await expect(rotation.assertRetirable(1)).resolves.toBeDefined();
  });

  it('a dry run proves the rows decrypt and writes nothing', async () => {
    await seedWithKey1(4);
    const before = await stored();
    const auditBefore = (await h.auditRows()).length;
    const lines: string[] = [];
    const code = await runKeysCommand(
      { command: 'rotate', dryRun: true, batchSize: 3 },
      { service: new KeyRotationService(db(), ring12, h.services.audit), print: (line) => lines.push(line) },
    );
    expect(code).toBe(0);
    expect(lines.join('\n')).toMatch(/dry run: 4 row\(s\) were on an older key; would re-seal 4 with key 2 in 2 batch\(es\)[\s\S]*nothing was written/);
    expect(await stored()).toEqual(before);
    expect((await h.auditRows()).length).toBe(auditBefore);
  });

  it('reports rows it cannot decrypt, rotates the others and exits 1', async () => {
    const { workspace, created } = await seedWithKey1(3);
    // One row sealed by a foreign key that happens to carry version 1 too: it can never decrypt.
    const foreign = KeyRing.parse(`1:${KeyRing.generateKey()}`);
    const bad = created[1]!;
    await db()
      .update(connections)
      .set({ userEncrypted: foreign.encrypt('intruder', `connection:${bad.id}:user`).ciphertext })
      .where(eq(connections.id, bad.id));

    const lines: string[] = [];
    const rotation = new KeyRotationService(db(), ring12, h.services.audit);
    const code = await runKeysCommand({ command: 'rotate', dryRun: false, batchSize: 100 }, { service: rotation, print: (line) => lines.push(line) });
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain(`connection ${bad.id}: cannot be decrypted (decryption_failed)`);
    expect(lines.join('\n')).toContain('1 row(s) still on an older key');

    const rows = await stored();
    expect(rows.find((row) => row.id === bad.id)?.keyVersion).toBe(1);
    expect(rows.filter((row) => row.keyVersion === 2)).toHaveLength(2);
    const service = new ConnectionService(db(), ring2);
    for (const good of created.filter((c) => c.id !== bad.id)) expect((await service.settingsOf(workspace.id, good.id)).password).toBe(good.password);

    const statusLines: string[] = [];
    expect(await runKeysCommand({ command: 'status', retire: 1 }, { service: rotation, print: (line) => statusLines.push(line) })).toBe(1);
    expect(statusLines.join('\n')).toMatch(/refused \[key_in_use\]: key version 1 still seals 1 connection row/);
    const failures = (await h.auditRows()).filter((row) => row.action === 'keys.rotate' && row.outcome === 'failure');
    expect(failures).toEqual([expect.objectContaining({ details: expect.objectContaining({ failedRows: 1, failedConnectionIds: [bad.id] }) })]);
  });
});
