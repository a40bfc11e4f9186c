import { describe, expect, it } from 'vitest';
import { compareHistory, parseMigration, type HistoryRow } from '../src/index';

const migrations = [1, 2, 3].map((version) => parseMigration(`V${version}__m${version}.sql`, `-- +up\nSELECT ${version};`));
const checksum = (version: number) => migrations[version - 1]?.checksum as string;
let rank = 0;
const row = (version: number, success: boolean, extra: Partial<HistoryRow> = {}): HistoryRow => ({
  installedRank: ++rank,
  version,
  name: `m${version}`,
  checksum: checksum(version),
  operation: 'up',
  appliedAt: new Date(0),
  appliedBy: 'test',
  executionMs: 1,
  success,
  errorNumber: success ? null : 2714,
  errorMessage: success ? null : 'boom',
  ...extra,
});

describe('comparing the folder with a history', () => {
  it('a gap below the current version is drifted (missing_version)', () => {
    const status = compareHistory(migrations, { initialised: true, rows: [row(1, true), row(3, true)] });
    expect(status).toMatchObject({ status: 'drifted', current: 3, pending: [] });
    expect(status.problems).toEqual([expect.objectContaining({ kind: 'missing_version', version: 2 })]);
  });

  it('failed rows never count as applied, and lastError clears after a later success', () => {
    const failed = compareHistory(migrations, { initialised: true, rows: [row(1, true), row(2, false)] });
    expect(failed).toMatchObject({ status: 'needs_migration', current: 1, lastError: { version: 2, number: 2714, message: 'boom' } });
    const retried = compareHistory(migrations, { initialised: true, rows: [row(1, true), row(2, false), row(2, true)] });
    expect(retried).toMatchObject({ status: 'needs_migration', current: 2, lastError: null });
  });

  it('a history table with only failures is still uninitialised', () => {
    expect(compareHistory(migrations, { initialised: true, rows: [row(1, false)] })).toMatchObject({
      status: 'uninitialised',
      current: null,
      lastError: { version: 1 },
    });
    expect(compareHistory(migrations, { initialised: false, rows: [] }).status).toBe('uninitialised');
  });
});
