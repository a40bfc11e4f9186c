/**
 * BEGIN/COMMIT/ROLLBACK as SQL Server counts them: the outermost BEGIN takes the database's
 * mutex and opens a PostgreSQL transaction, inner ones only count; ENVCHANGE 8/9/10 tell the
 * client.
 */
import { SqlError } from '../errors';
import { LockAbortedError, LockTimeoutError } from '../mutex';
import { EnvChange, type ResponseBuilder } from '../protocol/tokens';
import { CancelledError, type ExecutionSession } from './frame';

export class Transactions {
  constructor(
    private readonly session: ExecutionSession,
    private readonly out: ResponseBuilder,
    private readonly signal: AbortSignal,
  ) {}

  async begin(): Promise<void> {
    const s = this.session;
    if (s.tranCount > 0) {
      s.tranCount++;
      return;
    }
    let release: () => void;
    try {
      release = await s.engine.mutex.acquire(s.spid, { signal: this.signal, timeoutMs: s.lockTimeoutMs });
    } catch (e) {
      if (e instanceof LockAbortedError) throw new CancelledError();
      if (e instanceof LockTimeoutError) throw new SqlError({ number: 1222, class: 16, message: 'Lock request time out period exceeded.' });
      throw e;
    }
    try {
      await s.engine.exec('BEGIN');
    } catch (e) {
      release();
      throw e;
    }
    s.txRelease = release;
    s.txSchemaVersion = s.engine.schemaVersion;
    s.tranCount = 1;
    const descriptor = Buffer.alloc(8);
    descriptor.writeUInt32LE(s.spid, 0);
    descriptor.writeUInt32LE((s.txDescriptor.readUInt32LE(4) + 1) >>> 0, 4);
    s.txDescriptor = descriptor;
    this.out.envChange(EnvChange.BEGIN_TRAN, descriptor, Buffer.alloc(0));
  }

  async commit(line = 0): Promise<void> {
    const s = this.session;
    if (s.tranCount === 0) {
      throw new SqlError({ number: 3902, class: 16, message: 'The COMMIT TRANSACTION request has no corresponding BEGIN TRANSACTION.', line, abortsBatch: false });
    }
    if (s.tranCount > 1) {
      s.tranCount--;
      return;
    }
    try {
      await s.engine.exec('COMMIT');
    } finally {
      this.end();
    }
    this.out.envChange(EnvChange.COMMIT_TRAN, Buffer.alloc(0), s.txDescriptor);
  }

  async rollback(announce: boolean): Promise<void> {
    const s = this.session;
    if (s.tranCount === 0) return;
    try {
      await s.engine.exec('ROLLBACK');
    } finally {
      s.engine.rolledBack(s.txSchemaVersion);
      this.end();
    }
    if (announce) this.out.envChange(EnvChange.ROLLBACK_TRAN, Buffer.alloc(0), s.txDescriptor);
  }

  private end(): void {
    const s = this.session;
    s.tranCount = 0;
    s.txSchemaVersion = undefined;
    s.engine.appLocks.releaseAll(s.spid, 'Transaction');
    const release = s.txRelease;
    s.txRelease = undefined;
    release?.();
  }
}
