// The audit trail (MISSION F8): every mutation, sign-in and denial. Details are scrubbed of
// anything that looks like a secret before they reach the row.
import { apiTokens, auditLog, connections, environments, storedProcedures, users, workspaces, type AuditOutcome } from '@studio/db/schema';
import type { StudioDatabase } from '@studio/db';
import { unavailableReasonOf } from '@studio/db/errors';
import { and, desc, eq, gte, inArray, isNull, lte, or, sql, type Column, type SQL } from 'drizzle-orm';
import type { Logger } from 'pino';
import { keysetPage } from './pagination';
import { afterTransaction, inTransaction } from './unit-of-work';

export interface AuditActor {
  userId?: string | null;
  tokenId?: string | null;
  /** Kept when the user is later deleted: the username, or `token:<prefix>`. */
  username?: string | null;
}

export interface AuditEvent {
  actor: AuditActor | null;
  workspaceId?: string | null;
  action: string;
  target?: { type: string; id?: string | null } | null;
  outcome: AuditOutcome;
  details?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
}

const secretKey = /pass(word|phrase)?|secret|token|credential|authorization|cookie|api[-_]?key|private[-_]?key|ciphertext|encrypted|^key$|session[-_]?id/i;
const REDACTED = '[redacted]';

/** A deep copy of `value` with every secret-looking key's value replaced. Safe on cycles. */
export function redactSecrets<T>(value: T, seen = new WeakSet<object>()): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Date) return value;
  if (seen.has(value)) return '[circular]' as T;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item: unknown) => redactSecrets(item, seen)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = secretKey.test(key) ? REDACTED : redactSecrets(inner, seen);
  }
  return out as T;
}

export interface AuditListFilter {
  /** null: system events that belong to no workspace (sign-ins, people administration). */
  workspaceId: string | null;
  actorUserId?: string;
  /** An action (`procedure.publish`) or a prefix of whole parts (`procedure` finds `procedure.*`). */
  action?: string;
  targetType?: string;
  targetId?: string;
  outcome?: AuditOutcome;
  from?: Date;
  to?: Date;
  /** Keyset: id of the last row of the previous page (compared on the stored microsecond `at`). */
  afterId?: string;
  limit: number;
}

export const auditColumns = {
  id: auditLog.id,
  at: auditLog.at,
  actorUserId: auditLog.actorUserId,
  actorTokenId: auditLog.actorTokenId,
  actorUsername: auditLog.actorUsername,
  workspaceId: auditLog.workspaceId,
  action: auditLog.action,
  targetType: auditLog.targetType,
  targetId: auditLog.targetId,
  ip: auditLog.ip,
  userAgent: auditLog.userAgent,
  outcome: auditLog.outcome,
  details: auditLog.details,
};

export class AuditService {
  constructor(
    private readonly db: StudioDatabase,
    private readonly logger: Logger,
  ) {}

  #writeFailures = 0;
  readonly #failureListeners = new Set<() => void>();

  /** Audit rows that could not be written (outside a transaction: denials, reads, sign-ins). */
  get writeFailures(): number {
    return this.#writeFailures;
  }

  /** Called on every failed write (the /metrics counter); returns the unsubscribe. */
  onWriteFailure(listener: () => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  /** Rows waiting for the next multi-row INSERT of `commit`, with their callers. */
  #queued: { row: typeof auditLog.$inferInsert; done: (error?: unknown) => void }[] = [];
  #flushing = false;

  /**
   * Writes one row. Inside an `atomically` scope the row is part of the change's transaction and a
   * failure fails the call (nothing is acknowledged without its audit row); a denial there is
   * written after the transaction, since the refused call rolls it back. Outside a transaction (a
   * denial, a read, a refused sign-in: nothing changed) a failed write must not fail the caller,
   * nor go unnoticed: it is logged and counted.
   */
  /** The row an event becomes (secrets stripped), for a caller that writes it with other rows in one statement. */
  rowOf(event: AuditEvent): typeof auditLog.$inferInsert {
    return {
      actorUserId: event.actor?.userId ?? null,
      actorTokenId: event.actor?.tokenId ?? null,
      actorUsername: event.actor?.username?.slice(0, 64) ?? null,
      workspaceId: event.workspaceId ?? null,
      action: event.action,
      targetType: event.target?.type ?? null,
      targetId: event.target?.id ?? null,
      ip: event.ip?.slice(0, 64) ?? null,
      userAgent: event.userAgent?.slice(0, 512) ?? null,
      outcome: event.outcome,
      details: redactSecrets(event.details ?? {}),
    };
  }

  async record(event: AuditEvent): Promise<void> {
    const row = this.rowOf(event);
    if (inTransaction() && event.outcome !== 'denied') {
      await this.db.insert(auditLog).values(row);
      return;
    }
    await afterTransaction(async () => {
      try {
        await this.db.insert(auditLog).values(row);
      } catch (error) {
        this.#writeFailures++;
        for (const listener of this.#failureListeners) listener();
        this.logger.error({ err: error, action: event.action, outcome: event.outcome }, 'audit write failed');
      }
    });
  }

  /**
   * Writes the row of something that happened outside the system database (a procedure run on a
   * workspace server) and resolves once it is committed; a failed write rejects, so the caller can
   * refuse to answer a success that has no audit row. Rows that arrive while an INSERT is in flight
   * go together in the next one: concurrent calls share one statement and one commit instead of
   * queueing one commit each (decision 024). Inside an `atomically` scope the row joins the scope's
   * transaction instead.
   */
  async commit(event: AuditEvent): Promise<void> {
    const row = this.rowOf(event);
    if (inTransaction()) {
      await this.db.insert(auditLog).values(row);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.#queued.push({ row, done: (error) => (error === undefined ? resolve() : reject(error instanceof Error ? error : new Error(String(error)))) });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queued.length > 0) {
        const batch = this.#queued.splice(0, AUDIT_BATCH_ROWS);
        try {
          await this.db.insert(auditLog).values(batch.map((entry) => entry.row));
          for (const entry of batch) entry.done();
        } catch (error) {
          // An unreachable database fails every row alike; otherwise one refused row must not take
          // its neighbours with it, and each is tried on its own.
          if (batch.length === 1 || unavailableReasonOf(error) !== undefined) {
            for (const entry of batch) entry.done(error);
            continue;
          }
          await Promise.all(
            batch.map(async (entry) => {
              try {
                await this.db.insert(auditLog).values(entry.row);
                entry.done();
              } catch (single) {
                entry.done(single);
              }
            }),
          );
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** Newest first; keyset pagination on (at, id). */
  async list(filter: AuditListFilter) {
    const where: (SQL | undefined)[] = [filter.workspaceId === null ? isNull(auditLog.workspaceId) : eq(auditLog.workspaceId, filter.workspaceId)];
    if (filter.actorUserId) where.push(eq(auditLog.actorUserId, filter.actorUserId));
    const action = filter.action?.replace(/\.+$/, '');
    if (action) {
      // left() rather than LIKE: action names hold `_`, a LIKE wildcard.
      where.push(or(eq(auditLog.action, action), sql`left(${auditLog.action}, ${action.length + 1}) = ${`${action}.`}`));
    }
    if (filter.targetType) where.push(eq(auditLog.targetType, filter.targetType));
    if (filter.targetId) where.push(eq(auditLog.targetId, filter.targetId));
    if (filter.outcome) where.push(eq(auditLog.outcome, filter.outcome));
    if (filter.from) where.push(gte(auditLog.at, filter.from));
    if (filter.to) where.push(lte(auditLog.at, filter.to));
    if (filter.afterId) {
      // Compared in SQL, not through a JS Date: timestamptz has microseconds, Date only milliseconds.
      where.push(sql`(${auditLog.at}, ${auditLog.id}) < (select a.at, a.id from audit_log a where a.id = ${filter.afterId})`);
    }
    const rows = await this.db
      .select(auditColumns)
      .from(auditLog)
      .where(and(...where))
      .orderBy(desc(auditLog.at), desc(auditLog.id))
      .limit(filter.limit + 1);
    const page = keysetPage(rows, filter.limit, (row) => row.id);
    const names = await this.#targetNames(page.items, filter.workspaceId);
    return { ...page, items: page.items.map((row) => ({ ...row, targetName: names.get(`${row.targetType}:${row.targetId}`) ?? null })) };
  }

  /**
   * What each row's target is called now (a connection's name, a member's username), so people read
   * names, not UUIDs. A target deleted since has none; the page then shows its id. Workspace
   * objects are looked up in the listed workspace only.
   */
  async #targetNames(rows: readonly { targetType: string | null; targetId: string | null }[], workspaceId: string | null): Promise<Map<string, string>> {
    const idsOf = (...types: string[]) => [...new Set(rows.filter((r) => r.targetType !== null && types.includes(r.targetType) && r.targetId !== null && UUID.test(r.targetId)).map((r) => r.targetId as string))];
    const names = new Map<string, string>();
    const put = (types: string[], found: { id: string; name: string }[]) => {
      for (const row of found) for (const type of types) names.set(`${type}:${row.id}`, row.name);
    };
    const inWorkspace = (column: Column) => (workspaceId === null ? undefined : eq(column, workspaceId));
    const lookups: Promise<void>[] = [];
    const lookup = (types: string[], run: (ids: string[]) => Promise<{ id: string; name: string }[]>) => {
      const ids = idsOf(...types);
      if (ids.length > 0) lookups.push(run(ids).then((found) => put(types, found)));
    };
    lookup(['connection'], (ids) => this.db.select({ id: connections.id, name: connections.name }).from(connections).where(and(inArray(connections.id, ids), inWorkspace(connections.workspaceId))));
    lookup(['environment'], (ids) => this.db.select({ id: environments.id, name: environments.name }).from(environments).where(and(inArray(environments.id, ids), inWorkspace(environments.workspaceId))));
    lookup(['procedure'], (ids) => this.db.select({ id: storedProcedures.id, name: storedProcedures.name }).from(storedProcedures).where(and(inArray(storedProcedures.id, ids), inWorkspace(storedProcedures.workspaceId))));
    lookup(['api_token'], (ids) => this.db.select({ id: apiTokens.id, name: apiTokens.name }).from(apiTokens).where(and(inArray(apiTokens.id, ids), inWorkspace(apiTokens.workspaceId))));
    lookup(['member', 'user'], (ids) => this.db.select({ id: users.id, name: users.username }).from(users).where(inArray(users.id, ids)));
    lookup(['workspace'], (ids) => this.db.select({ id: workspaces.id, name: workspaces.name }).from(workspaces).where(inArray(workspaces.id, ids)));
    await Promise.all(lookups);
    return names;
  }
}

/** At most this many rows per INSERT of `commit` (well under PostgreSQL's 65,535 bind parameters). */
const AUDIT_BATCH_ROWS = 500;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
