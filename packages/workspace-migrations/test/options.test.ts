import { describe, expect, it } from 'vitest';
import { migrateAll, MigrationOptionsError, WorkspaceMigrator } from '../src/index';

describe('options', () => {
  it('rejects unknown and invalid migrator options, naming the field', () => {
    expect(() => new WorkspaceMigrator({ lockTimeout: 5 } as never)).toThrow(MigrationOptionsError);
    expect(() => new WorkspaceMigrator({ lockTimeoutMs: -1 })).toThrow(/lockTimeoutMs/);
    expect(() => new WorkspaceMigrator({ appliedBy: '' })).toThrow(/appliedBy/);
  });

  it('defaults appliedBy to user@host', () => {
    expect(new WorkspaceMigrator().appliedBy).toMatch(/.+@.+/);
  });

  it('validates migrateAll options and target names', async () => {
    const run = () => Promise.reject(new Error('not called'));
    await expect(migrateAll(['a'], { concurrency: 0, run })).rejects.toMatchObject({ field: 'concurrency' });
    await expect(migrateAll([{ id: 1 }], { run })).rejects.toMatchObject({ field: 'workspaceOf' });
  });

  it('reports errors that are not migration errors as UNKNOWN, per workspace', async () => {
    const report = await migrateAll([{ workspaceId: 'w1' }, { workspaceId: 'w2' }], {
      run: (target) =>
        target.workspaceId === 'w1'
          ? Promise.reject(new Error('pool closed'))
          : Promise.resolve({ dryRun: false, from: 1, to: 1, applied: [], plan: [], script: '' }),
    });
    expect(report.results).toMatchObject([
      { workspace: 'w1', ok: false, outcome: 'failed', error: { code: 'UNKNOWN', number: null, message: 'pool closed', version: null } },
      { workspace: 'w2', ok: true, outcome: 'up_to_date', version: 1 },
    ]);
  });
});
