// Key rotation for stored credentials (`pnpm keys:rotate`, `pnpm keys:status`). Rows on an older key
// are re-sealed with the newest key of the ring in small transactions, so a crash loses at most one
// batch of work and a rerun picks up the rows still on an old key (rows on the newest key are never
// touched). A key can be retired from ENCRYPTION_KEYS once no row uses it any more.
import type { StudioDatabase } from '@studio/db';
import { connections } from '@studio/db/schema';
import { and, asc, count, eq, gt, ne, or, sql } from 'drizzle-orm';
import type { AuditService } from './audit';
import { credentialContext } from './connections';
import { KeyRingError, type KeyRing } from './crypto';

export const DEFAULT_ROTATION_BATCH_SIZE = 100;

export class KeyRotationError extends Error {
  constructor(
    readonly code: 'key_in_use' | 'key_is_current' | 'unknown_key_version' | 'invalid_rotation_options',
    message: string,
  ) {
    super(message);
    this.name = 'KeyRotationError';
  }
}

export interface RotationOptions {
  /** Rows per transaction. */
  batchSize?: number;
  /** Stop after this many batches (the rest is left for the next run). */
  maxBatches?: number;
  /** Decrypt every row due for rotation to prove it can be, but write nothing. */
  dryRun?: boolean;
}

export interface RotationReport {
  targetVersion: number;
  dryRun: boolean;
  /** Rows that needed a newer key when the run started. */
  due: number;
  /** Rows re-sealed with the newest key (in a dry run: rows that would be). */
  rotated: number;
  /** Rows whose credentials do not decrypt with the ring (their key is missing, or they were tampered with). */
  failed: { connectionId: string; reason: KeyRingError['code'] }[];
  batches: number;
  /** Rows still not on the newest key after this run (failed ones included). */
  remaining: number;
  /** True when maxBatches stopped the run before it ran out of rows. */
  interrupted: boolean;
}

export interface KeyUsage {
  currentVersion: number;
  ringVersions: number[];
  /** Connection rows per key version, newest first; versions not in the ring are listed too. */
  rows: { keyVersion: number; count: number; inRing: boolean }[];
}

const rotationOptionsKeys = new Set(['batchSize', 'maxBatches', 'dryRun']);

function validated(options: RotationOptions): Required<Omit<RotationOptions, 'maxBatches'>> & { maxBatches: number | undefined } {
  for (const key of Object.keys(options)) {
    if (!rotationOptionsKeys.has(key)) throw new KeyRotationError('invalid_rotation_options', `unknown rotation option "${key}"`);
  }
  const batchSize = options.batchSize ?? DEFAULT_ROTATION_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) {
    throw new KeyRotationError('invalid_rotation_options', 'batchSize must be an integer between 1 and 10000');
  }
  if (options.maxBatches !== undefined && (!Number.isInteger(options.maxBatches) || options.maxBatches < 1)) {
    throw new KeyRotationError('invalid_rotation_options', 'maxBatches must be a positive integer');
  }
  return { batchSize, maxBatches: options.maxBatches, dryRun: options.dryRun ?? false };
}

export class KeyRotationService {
  constructor(
    private readonly db: StudioDatabase,
    private readonly keyRing: KeyRing,
    private readonly audit: AuditService,
  ) {}

  /**
   * Rows that still need the newest key. `key_version` is what the index serves; the ciphertext
   * prefixes are checked too so a row whose column disagrees with its ciphertext is not missed.
   */
  #due(target: number) {
    const prefix = `gcm1:${target}:%`;
    return or(
      ne(connections.keyVersion, target),
      sql`${connections.userEncrypted} not like ${prefix}`,
      sql`(${connections.passwordEncrypted} is not null and ${connections.passwordEncrypted} not like ${prefix})`,
    );
  }

  async #countDue(target: number): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(connections).where(this.#due(target));
    return row?.n ?? 0;
  }

  async rotate(options: RotationOptions = {}): Promise<RotationReport> {
    const { batchSize, maxBatches, dryRun } = validated(options);
    const target = this.keyRing.currentVersion;
    const due = await this.#countDue(target);
    const failed: RotationReport['failed'] = [];
    let rotated = 0;
    let batches = 0;
    let interrupted = false;
    // Keyset over ids, so rows that cannot be decrypted are passed once and never spin the loop.
    let afterId: string | undefined;

    for (;;) {
      if (maxBatches !== undefined && batches >= maxBatches) {
        interrupted = (await this.#nextDueId(target, afterId)) !== undefined;
        break;
      }
      const batch = await this.db.transaction(async (tx) => {
        // FOR UPDATE: a concurrent connection update waits for this batch (and then re-seals with
        // the same newest key), so neither overwrites the other's ciphertext.
        const rows = await tx
          .select({
            id: connections.id,
            userEncrypted: connections.userEncrypted,
            passwordEncrypted: connections.passwordEncrypted,
          })
          .from(connections)
          .where(and(this.#due(target), afterId === undefined ? undefined : gt(connections.id, afterId)))
          .orderBy(asc(connections.id))
          .limit(batchSize)
          .for('update');
        let done = 0;
        for (const row of rows) {
          let user: string;
          let password: string | null;
          try {
            user = this.keyRing.decrypt(row.userEncrypted, credentialContext(row.id, 'user'));
            password =
              row.passwordEncrypted === null ? null : this.keyRing.decrypt(row.passwordEncrypted, credentialContext(row.id, 'password'));
          } catch (error) {
            if (!(error instanceof KeyRingError)) throw error;
            failed.push({ connectionId: row.id, reason: error.code });
            continue;
          }
          done += 1;
          if (dryRun) continue;
          const sealedUser = this.keyRing.encrypt(user, credentialContext(row.id, 'user'));
          const sealedPassword = password === null ? null : this.keyRing.encrypt(password, credentialContext(row.id, 'password'));
          // A key change is not an edit of the connection: updated_at keeps its meaning.
          await tx
            .update(connections)
            .set({
              userEncrypted: sealedUser.ciphertext,
              passwordEncrypted: sealedPassword?.ciphertext ?? null,
              keyVersion: sealedUser.keyVersion,
              updatedAt: sql`${connections.updatedAt}`,
            })
            .where(eq(connections.id, row.id));
        }
        return { size: rows.length, done, lastId: rows.at(-1)?.id };
      });
      if (batch.size === 0) break;
      batches += 1;
      rotated += batch.done;
      afterId = batch.lastId;
      if (batch.size < batchSize) break;
    }

    const remaining = dryRun ? due : await this.#countDue(target);
    const report: RotationReport = { targetVersion: target, dryRun, due, rotated, failed, batches, remaining, interrupted };
    if (!dryRun) {
      await this.audit.record({
        actor: { username: 'system' },
        action: 'keys.rotate',
        target: { type: 'key_ring', id: String(target) },
        outcome: failed.length > 0 ? 'failure' : 'success',
        details: {
          targetVersion: target,
          due,
          rotated,
          failedRows: failed.length,
          failedConnectionIds: failed.slice(0, 50).map((f) => f.connectionId),
          remaining,
          batches,
          batchSize,
          interrupted,
        },
      });
    }
    return report;
  }

  async #nextDueId(target: number, afterId: string | undefined): Promise<string | undefined> {
    const [row] = await this.db
      .select({ id: connections.id })
      .from(connections)
      .where(and(this.#due(target), afterId === undefined ? undefined : gt(connections.id, afterId)))
      .orderBy(asc(connections.id))
      .limit(1);
    return row?.id;
  }

  /**
   * Connection rows per key version. A row counts under every version its `key_version` column or
   * either ciphertext names (normally the same one), so a retire check can never miss a use.
   */
  async usage(): Promise<KeyUsage> {
    const versionOf = (column: typeof connections.userEncrypted | typeof connections.passwordEncrypted) =>
      sql<number | null>`cast(nullif(split_part(${column}, ':', 2), '') as integer)`;
    const userVersion = versionOf(connections.userEncrypted);
    const passwordVersion = versionOf(connections.passwordEncrypted);
    const groups = await this.db
      .select({ keyVersion: connections.keyVersion, userVersion, passwordVersion, n: count() })
      .from(connections)
      .groupBy(connections.keyVersion, userVersion, passwordVersion);
    const perVersion = new Map<number, number>();
    for (const group of groups) {
      const versions = new Set([group.keyVersion, group.userVersion, group.passwordVersion].filter((v): v is number => v !== null));
      for (const version of versions) perVersion.set(Number(version), (perVersion.get(Number(version)) ?? 0) + Number(group.n));
    }
    const ring = new Set(this.keyRing.versions);
    const rows = [...perVersion.entries()]
      .sort(([a], [b]) => b - a)
      .map(([keyVersion, n]) => ({ keyVersion, count: n, inRing: ring.has(keyVersion) }));
    return { currentVersion: this.keyRing.currentVersion, ringVersions: this.keyRing.versions, rows };
  }

  /**
   * Refuses to retire a key that any row still uses, or the newest key (it seals every new row).
   * Resolves with the usage when `version` may be removed from ENCRYPTION_KEYS.
   */
  async assertRetirable(version: number): Promise<KeyUsage> {
    const usage = await this.usage();
    if (!usage.ringVersions.includes(version)) {
      throw new KeyRotationError('unknown_key_version', `key version ${version} is not in ENCRYPTION_KEYS (ring: ${usage.ringVersions.join(', ')})`);
    }
    if (version === usage.currentVersion) {
      throw new KeyRotationError(
        'key_is_current',
        `key version ${version} is the newest key and seals every new credential; add a newer key and run keys:rotate first`,
      );
    }
    const inUse = usage.rows.find((row) => row.keyVersion === version)?.count ?? 0;
    if (inUse > 0) {
      throw new KeyRotationError('key_in_use', `key version ${version} still seals ${inUse} connection row(s); run keys:rotate first`);
    }
    return usage;
  }
}
