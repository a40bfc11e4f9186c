/**
 * Stored procedures: CREATE/ALTER/DROP in the emulator's catalogue, EXEC with argument binding
 * and OUTPUT copying, and the system procedures sp_executesql, sp_getapplock and
 * sp_releaseapplock.
 */
import { AppLockResult, type AppLockOwnerKind } from '../applocks';
import type { ProcedureDef } from '../engine';
import { SqlError, fromPgError, unsupported } from '../errors';
import { LockAbortedError } from '../mutex';
import { Token } from '../protocol/tokens';
import type { SqlValue, TdsType } from '../protocol/types';
import { convertTo } from '../tsql/conversions';
import { parseBatch, parseParamDeclarations } from '../tsql/parser';
import type { ExecArg, Statement } from '../tsql/statements';
import { type DeclaredType, catalogueShape, formatType, pgTypeOfDeclared } from '../tsql/types';
import { CancelledError, type Frame, type Interpreter, type Variable, lowerName, newFrame, parseCached } from './frame';
import { compileBatch } from './compile';
import { withOptionsRestored } from './options';
import { asNumber, asText, coerce, toParam } from './values';

const MAX_NESTING = 32;

/**
 * A procedure's key in the catalogue. `#name` (not `##name`) belongs to the session that created
 * it, as #temp tables do: other sessions neither see it nor collide with it, and it goes when the
 * session ends.
 */
function procedureKey(name: string, spid: number): string {
  const key = lowerName(name);
  return key.startsWith('#') && !key.startsWith('##') ? `${key}__${spid}` : key;
}

export class Procedures {
  constructor(private readonly ix: Interpreter) {}

  async create(frame: Frame, s: Statement & { kind: 'createProc' }): Promise<void> {
    const line = s.line;
    if (s.schema && s.schema.toLowerCase() !== 'dbo') throw unsupported(`Procedures outside the dbo schema ('${s.schema}')`, line);
    const session = this.ix.session;
    const key = procedureKey(s.name, session.spid);
    const params = s.params.map((p, k) => {
      const shape = catalogueShape(p.type);
      return {
        name: p.name,
        parameter_id: k + 1,
        system_type_id: shape.systemTypeId,
        max_length: shape.maxLength,
        precision: shape.precision,
        scale: shape.scale,
        is_output: p.output,
        has_default_value: p.defaultValue !== undefined,
        default_value: p.defaultValue ? p.defaultValue.map((t) => t.text).join('') : null,
        type_name: formatType(p.type),
      };
    });
    await this.ix.withEngine(async (engine) => {
      const existing = await engine.query('SELECT object_id FROM __emulator.procedures WHERE name_key = $1', [key]);
      const exists = existing.rows.length > 0;
      if (exists && !s.orAlter && !s.alter) {
        throw new SqlError({ number: 2714, class: 16, message: `There is already an object named '${s.name}' in the database.`, line });
      }
      if (!exists && s.alter) {
        throw new SqlError({ number: 208, class: 16, message: `Invalid object name '${s.name}'.`, line });
      }
      const table = await engine.query(
        "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND lower(c.relname) = $1",
        [key],
      );
      if (table.rows.length > 0) throw new SqlError({ number: 2714, class: 16, message: `There is already an object named '${s.name}' in the database.`, line });
      if (exists) {
        await engine.query(
          'UPDATE __emulator.procedures SET name = $2, definition = $3, body = $4, body_line = $5, params = $6::jsonb, modify_date = LOCALTIMESTAMP(3) WHERE name_key = $1',
          [key, s.name, s.definition, s.body, s.bodyLine, JSON.stringify(params)],
        );
      } else {
        await engine.query(
          'INSERT INTO __emulator.procedures (name, name_key, definition, body, body_line, params) VALUES ($1, $2, $3, $4, $5, $6::jsonb)',
          [s.name, key, s.definition, s.body, s.bodyLine, JSON.stringify(params)],
        );
      }
      if (key !== lowerName(s.name)) session.tempProcedures.set(key, engine);
      engine.invalidateProcedures();
    });
    this.ix.out.done(frame.doneToken, 0);
  }

  /** SQL Server drops a #temp table created in a procedure when that procedure ends. */
  private async dropTempTablesCreatedSince(before: ReadonlySet<string>): Promise<void> {
    const created = [...this.ix.session.tempTables.keys()].filter((name) => !before.has(name));
    if (created.length === 0) return;
    try {
      await this.ix.withEngine(async (engine) => {
        for (const name of created) await engine.exec(`DROP TABLE IF EXISTS "${name.replace(/"/g, '""')}"`);
      });
    } catch {
      // A cancelled or failed request: the tables stay registered and go at disconnect.
      return;
    }
    for (const name of created) this.ix.session.tempTables.delete(name);
  }

  async drop(frame: Frame, names: string[], ifExists: boolean, line: number): Promise<void> {
    await this.ix.withEngine(async (engine) => {
      for (const name of names) {
        const key = procedureKey(name, this.ix.session.spid);
        const r = await engine.query('DELETE FROM __emulator.procedures WHERE name_key = $1', [key]);
        this.ix.session.tempProcedures.delete(key);
        if ((r.rowCount ?? 0) === 0 && !ifExists) {
          throw new SqlError({ number: 3701, class: 11, message: `Cannot drop the procedure '${name}', because it does not exist or you do not have permission.`, line, abortsBatch: false });
        }
      }
      engine.invalidateProcedures();
    });
    this.ix.out.done(frame.doneToken, 0);
  }

  /** `name`: the bare procedure name, already unquoted. */
  async load(name: string): Promise<ProcedureDef | null> {
    const key = procedureKey(name, this.ix.session.spid);
    const engine = this.ix.session.engine;
    const cached = engine.cachedProcedure(key);
    if (cached !== undefined) return cached;
    const r = await this.ix.withEngine((e) => e.query('SELECT object_id, name, definition, body, body_line FROM __emulator.procedures WHERE name_key = $1', [key]));
    const row = r.rows[0];
    let def: ProcedureDef | null = null;
    if (row) {
      const definition = String(row[2]);
      const parsed = parseBatch(definition)[0];
      def = {
        objectId: Number(row[0]),
        name: String(row[1]),
        definition,
        body: String(row[3]),
        bodyLine: Number(row[4]),
        params: parsed && parsed.kind === 'createProc' ? parsed.params : [],
      };
    }
    if (this.ix.session.tranCount === 0) engine.cacheProcedure(key, def);
    return def;
  }

  /** Binds arguments to a procedure's parameters, runs its body, and returns status and outputs. */
  async call(
    caller: Frame,
    def: ProcedureDef,
    args: Array<{ name?: string; value: SqlValue; isDefault: boolean; fromType?: DeclaredType }>,
    line: number,
  ): Promise<{ status: number; scope: Map<string, Variable> }> {
    if (caller.depth + 1 > MAX_NESTING) {
      throw new SqlError({ number: 217, class: 16, message: `Maximum stored procedure, function, trigger, or view nesting level exceeded (limit ${MAX_NESTING}).`, line });
    }
    const frame = newFrame(Token.DONEINPROC, def.name, def.bodyLine - 1, caller.depth + 1, false);
    const supplied = new Map<string, { value: SqlValue; isDefault: boolean; fromType?: DeclaredType }>();
    let position = 0;
    let sawNamed = false;
    for (const a of args) {
      if (a.name === undefined) {
        if (sawNamed) throw new SqlError({ number: 119, class: 15, message: "Must pass parameter number 2 and subsequent parameters as '@name = value'. After the form '@name = value' has been used, all subsequent parameters must be passed in the form '@name = value'.", line });
        const p = def.params[position++];
        if (!p) throw new SqlError({ number: 8144, class: 16, message: `Procedure or function ${def.name} has too many arguments specified.`, line });
        supplied.set(lowerName(p.name), a);
      } else {
        sawNamed = true;
        const name = a.name.startsWith('@') ? a.name : `@${a.name}`;
        if (!def.params.some((p) => lowerName(p.name) === lowerName(name))) {
          throw new SqlError({ number: 8145, class: 16, message: `${name} is not a parameter for procedure ${def.name}.`, line });
        }
        supplied.set(lowerName(name), a);
      }
    }
    for (const p of def.params) {
      const a = supplied.get(lowerName(p.name));
      let value: SqlValue;
      if (!a || a.isDefault) {
        if (!p.defaultValue) {
          if (a?.isDefault || !p.output || !a) {
            throw new SqlError({ number: 201, class: 16, message: `Procedure or function '${def.name}' expects parameter '${p.name}', which was not supplied.`, line, procName: def.name });
          }
        }
        value = p.defaultValue ? await this.ix.evaluate(frame, p.defaultValue, p.type) : null;
      } else {
        value = a.value === null ? null : (coerce(a.value, p.type, a.fromType) ?? (await this.castValue(frame, a.value, p.type, a.fromType)));
      }
      frame.scope.set(lowerName(p.name), { name: p.name, type: p.type, pgType: pgTypeOfDeclared(p.type), value });
    }
    const body = parseCached(def.body);
    const tempBefore = new Set(this.ix.session.tempTables.keys());
    try {
      await withOptionsRestored(this.ix.session, () => this.ix.runStatements(frame, body));
    } finally {
      await this.dropTempTablesCreatedSince(tempBefore);
    }
    return { status: frame.returnValue ?? 0, scope: frame.scope };
  }

  /** `value` (of `fromType`, or text) converted to `type` as an assignment would. */
  private async castValue(frame: Frame, value: SqlValue, type: DeclaredType, fromType?: DeclaredType): Promise<SqlValue> {
    const from = fromType ? pgTypeOfDeclared(fromType) : 'text';
    const sql = ['SELECT', ...convertTo(type, [`$1::${from}`])].join(' ');
    try {
      const r = await this.ix.withEngine((e) => e.query(sql, [toParam(value, from)]));
      return r.rows[0]?.[0] ?? null;
    } catch (e) {
      if (e instanceof LockAbortedError) throw new CancelledError();
      throw fromPgError(e, { database: this.ix.session.engine.name, statement: 'SELECT', line: frame.lineOffset });
    }
  }

  async exec(frame: Frame, procName: string, execArgs: ExecArg[], returnVar: string | undefined, line: number): Promise<void> {
    // The parser already took the last part of the name and unquoted it.
    const name = procName;
    const lower = lowerName(name);
    const args: Array<{ name?: string; value: SqlValue; isDefault: boolean; output: boolean; fromType?: DeclaredType; target?: Variable }> = [];
    for (const a of execArgs) {
      const valueTok = a.value[a.value.length - 1];
      let target: Variable | undefined;
      let value: SqlValue = null;
      let fromType: DeclaredType | undefined;
      if (!a.isDefault) {
        if (a.value.length === 1 && valueTok?.kind === 'var') {
          target = this.ix.variable(frame, valueTok.text, line);
          value = target.value;
          fromType = target.type;
        } else if (a.value.length === 1 && valueTok?.kind === 'word' && valueTok.upper !== 'NULL') {
          value = valueTok.text;
        } else {
          value = await this.ix.evaluate(frame, a.value);
        }
      }
      const arg: (typeof args)[number] = { value, isDefault: a.isDefault, output: a.output };
      if (a.name !== undefined) arg.name = a.name;
      if (fromType) arg.fromType = fromType;
      if (target) arg.target = target;
      args.push(arg);
    }
    let status: number;
    let scope: Map<string, Variable> | undefined;
    const inner = { ...frame, doneToken: Token.DONEINPROC } as Frame;
    if (lower === 'sp_executesql') {
      const r = await this.executeSql(inner, args, line);
      status = r.status;
      scope = r.scope;
      this.copyOutputs(args, scope, ['@statement', '@params'], r.paramNames);
    } else if (lower === 'sp_getapplock' || lower === 'sp_releaseapplock') {
      status = await this.appLock(lower, args, line);
    } else {
      const def = await this.load(name);
      if (!def) {
        if (lower.startsWith('sp_') || lower.startsWith('xp_')) throw unsupported(`The system procedure ${name}`, line);
        throw new SqlError({ number: 2812, class: 16, message: `Could not find stored procedure '${procName}'.`, line });
      }
      const r = await this.call(frame, def, args, line);
      status = r.status;
      scope = r.scope;
      this.copyOutputs(args, scope, [], def.params.map((p) => p.name));
    }
    if (returnVar) this.ix.variable(frame, returnVar, line).value = status;
    if (frame.topLevelBatch) {
      this.ix.out.returnStatus(status);
      this.ix.out.done(Token.DONEPROC, 0);
    }
  }

  private copyOutputs(
    args: Array<{ name?: string; output: boolean; target?: Variable }>,
    scope: Map<string, Variable>,
    skip: string[],
    paramNames: string[],
  ): void {
    let position = 0;
    for (const a of args) {
      const pname = a.name ?? paramNames[position];
      position++;
      if (!a.output || !a.target || !pname) continue;
      if (skip.includes(lowerName(pname))) continue;
      const v = scope.get(lowerName(pname.startsWith('@') ? pname : `@${pname}`));
      if (v) a.target.value = v.value === null ? null : (coerce(v.value, a.target.type, v.type) ?? v.value);
    }
  }

  /** sp_executesql: @statement, @params, then the parameter values. */
  async executeSql(
    frame: Frame,
    args: Array<{ name?: string; value: SqlValue; isDefault: boolean; fromType?: DeclaredType; tdsType?: TdsType }>,
    line: number,
  ): Promise<{ status: number; scope: Map<string, Variable>; paramNames: string[] }> {
    const [statementArg, paramsArg, ...values] = args;
    if (!statementArg || statementArg.value === null) {
      throw new SqlError({ number: 201, class: 16, message: "Procedure or function 'sp_executesql' expects parameter '@statement', which was not supplied.", line });
    }
    const declared = paramsArg && paramsArg.value !== null ? parseParamDeclarations(asText(paramsArg.value)) : [];
    const inner = newFrame(Token.DONEINPROC, frame.procName, 0, frame.depth + 1, false);
    const byName = new Map<string, (typeof values)[number]>();
    values.forEach((v, k) => {
      const key = v.name ? lowerName(v.name.startsWith('@') ? v.name : `@${v.name}`) : lowerName(declared[k]?.name ?? `#${k}`);
      byName.set(key, v);
    });
    for (const p of declared) {
      const a = byName.get(lowerName(p.name));
      if (!a && !p.output) {
        throw new SqlError({ number: 8178, class: 16, message: `The parameterized query '(${asText(paramsArg?.value ?? '')})' expects the parameter '${p.name}', which was not supplied.`, line });
      }
      const type = p.type;
      let value: SqlValue = a?.value ?? null;
      if (value !== null) value = coerce(value, type, a?.fromType) ?? (await this.castValue(frame, value, type, a?.fromType));
      inner.scope.set(lowerName(p.name), { name: p.name, type, pgType: pgTypeOfDeclared(type), value });
    }
    const text = asText(statementArg.value);
    if (!this.ix.constantSelect(text, inner)) {
      const statements = await compileBatch(text, this.ix.session.engine, declared.map((p) => p.name));
      await withOptionsRestored(this.ix.session, () => this.ix.runStatements(inner, statements));
    }
    return { status: 0, scope: inner.scope, paramNames: ['@statement', '@params', ...declared.map((p) => p.name)] };
  }

  async appLock(proc: string, args: Array<{ name?: string; value: SqlValue }>, line: number): Promise<number> {
    const named = new Map<string, SqlValue>();
    const positional = proc === 'sp_getapplock' ? ['@resource', '@lockmode', '@lockowner', '@locktimeout', '@dbprincipal'] : ['@resource', '@lockowner', '@dbprincipal'];
    args.forEach((a, k) => named.set(lowerName(a.name ? (a.name.startsWith('@') ? a.name : `@${a.name}`) : (positional[k] ?? '')), a.value));
    const resource = named.get('@resource');
    if (resource === undefined || resource === null) {
      throw new SqlError({ number: 201, class: 16, message: `Procedure or function '${proc}' expects parameter '@Resource', which was not supplied.`, line, procName: proc });
    }
    const ownerText = asText(named.get('@lockowner') ?? 'Transaction').toLowerCase();
    const owner: AppLockOwnerKind = ownerText === 'session' ? 'Session' : 'Transaction';
    if (ownerText !== 'session' && ownerText !== 'transaction') {
      throw new SqlError({ number: 1002, class: 16, message: `Line 1: Specified lock owner '${ownerText}' is not valid.`, line, procName: proc });
    }
    const s = this.ix.session;
    if (owner === 'Transaction' && s.tranCount === 0) {
      // The number is our choice; SQL Server's message text, as far as we know it, is kept.
      this.ix.out.error({ number: 1224, state: 1, class: 16, message: 'You attempted to acquire a transactional application lock without an active transaction.', procName: proc, lineNumber: line });
      return AppLockResult.ERROR;
    }
    if (proc === 'sp_releaseapplock') {
      if (!s.engine.appLocks.release(asText(resource), s.spid, owner)) {
        this.ix.out.error({
          number: 1223,
          state: 1,
          class: 16,
          message: `Cannot release the application lock (Database Principal: 'public', Resource: '${asText(resource)}') because it is not currently held.`,
          procName: proc,
          lineNumber: line,
        });
        return AppLockResult.ERROR;
      }
      return AppLockResult.GRANTED;
    }
    const mode = asText(named.get('@lockmode') ?? '').toLowerCase();
    const modes = ['shared', 'update', 'intentshared', 'intentexclusive', 'exclusive'];
    if (!modes.includes(mode)) {
      throw new SqlError({ number: 201, class: 16, message: `Procedure or function '${proc}' expects parameter '@LockMode', which was not supplied.`, line, procName: proc });
    }
    const timeoutValue = named.get('@locktimeout');
    const timeout = timeoutValue === undefined || timeoutValue === null ? s.lockTimeoutMs : Math.trunc(asNumber(timeoutValue));
    return s.engine.appLocks.acquire(asText(resource), s.spid, owner, mode === 'shared' || mode === 'intentshared', timeout, this.ix.signal);
  }
}
