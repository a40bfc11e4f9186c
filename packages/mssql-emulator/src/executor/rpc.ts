/**
 * RPC requests: sp_executesql (what `request.query()` sends), the sp_prepare family
 * (`PreparedStatement`), sp_getapplock/sp_releaseapplock and procedures by name
 * (`request.execute()`), answered with RETURNSTATUS, RETURNVALUE for OUTPUT parameters and
 * DONEPROC.
 */
import { SqlError, unsupported } from '../errors';
import type { RpcParam, RpcRequest } from '../protocol/rpc';
import { DoneStatus, Token } from '../protocol/tokens';
import type { SqlValue, TdsType } from '../protocol/types';
import { parseParamDeclarations } from '../tsql/parser';
import { type DeclaredType, declaredTypeOfTds } from '../tsql/types';
import { compileBatch } from './compile';
import { CancelledError, type Interpreter, type Variable, lowerName, newFrame } from './frame';
import type { Procedures } from './procedures';
import { asNumber, asText } from './values';

export class RpcCalls {
  constructor(
    private readonly ix: Interpreter,
    private readonly procedures: Procedures,
  ) {}

  async run(request: RpcRequest): Promise<void> {
    const name = request.procName === undefined ? undefined : lowerName(stripSchema(request.procName));
    const id = request.procId;
    try {
      if (id === 10 || name === 'sp_executesql') return await this.executeSql(request.params);
      if (id === 11 || name === 'sp_prepare') return await this.prepare(request.params, false);
      if (id === 13 || name === 'sp_prepexec') return await this.prepare(request.params, true);
      if (id === 12 || name === 'sp_execute') return await this.executePrepared(request.params);
      if (id === 15 || name === 'sp_unprepare') {
        const handle = request.params[0]?.value;
        this.ix.session.prepared.delete(asNumber(handle ?? null));
        this.finish(0, []);
        return;
      }
      if (id !== undefined) throw unsupported(`RPC procedure id ${id}`);
      await this.procedure(request.procName ?? '', request.params);
    } catch (e) {
      this.handleError(e);
    }
  }

  private handleError(e: unknown): void {
    if (e instanceof CancelledError) {
      this.ix.out.done(Token.DONEPROC, 0);
      return;
    }
    const err = this.ix.asSqlError(e, newFrame(Token.DONEINPROC, '', 0, 1, false), 0);
    this.ix.reportError(err);
    this.ix.out.done(Token.DONEPROC, DoneStatus.ERROR);
  }

  private finish(status: number, outputs: Array<{ param: RpcParam; ordinal: number; value: SqlValue }>): void {
    this.ix.out.returnStatus(status);
    for (const o of outputs) this.ix.out.returnValue(o.ordinal, o.param.name, o.param.type, o.value);
    this.ix.out.done(Token.DONEPROC, 0);
  }

  private args(params: RpcParam[]): Array<{ name?: string; value: SqlValue; isDefault: boolean; output: boolean; fromType: DeclaredType; tdsType: TdsType }> {
    return params.map((p) => {
      const a: { name?: string; value: SqlValue; isDefault: boolean; output: boolean; fromType: DeclaredType; tdsType: TdsType } = {
        value: p.value,
        isDefault: false,
        output: p.output,
        fromType: declaredTypeOfTds(p.type),
        tdsType: p.type,
      };
      if (p.name) a.name = p.name;
      return a;
    });
  }

  private outputsFrom(params: RpcParam[], scope: Map<string, Variable>, paramNames: string[]): Array<{ param: RpcParam; ordinal: number; value: SqlValue }> {
    const out: Array<{ param: RpcParam; ordinal: number; value: SqlValue }> = [];
    params.forEach((p, k) => {
      if (!p.output) return;
      const name = p.name || paramNames[k] || '';
      const v = scope.get(lowerName(name.startsWith('@') ? name : `@${name}`));
      out.push({ param: { ...p, name: name.startsWith('@') ? name : `@${name}` }, ordinal: k, value: v ? v.value : p.value });
    });
    return out;
  }

  private async executeSql(params: RpcParam[]): Promise<void> {
    const frame = newFrame(Token.DONEINPROC, '', 0, 0, false);
    const args = this.args(params);
    // Fast path for the pool's validation query and other constant selects.
    const first = params[0];
    if (params.length === 1 && first && typeof first.value === 'string' && this.ix.constantSelect(first.value, frame)) {
      this.finish(0, []);
      return;
    }
    try {
      const r = await this.procedures.executeSql(frame, args, 1);
      this.finish(r.status, this.outputsFrom(params, r.scope, r.paramNames));
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      const err = this.ix.asSqlError(e, frame, 0);
      this.ix.reportError(err);
      this.ix.out.done(Token.DONEPROC, DoneStatus.ERROR);
    }
  }

  private async procedure(procName: string, params: RpcParam[]): Promise<void> {
    const frame = newFrame(Token.DONEINPROC, '', 0, 0, false);
    const name = stripSchema(procName);
    const lower = lowerName(name);
    const args = this.args(params);
    try {
      if (lower === 'sp_getapplock' || lower === 'sp_releaseapplock') {
        const status = await this.procedures.appLock(lower, args, 1);
        this.finish(status, []);
        return;
      }
      const def = await this.procedures.load(name);
      if (!def) {
        if (lower.startsWith('sp_') || lower.startsWith('xp_')) throw unsupported(`The system procedure ${name}`, 1);
        throw new SqlError({ number: 2812, class: 16, message: `Could not find stored procedure '${procName}'.`, line: 1 });
      }
      const r = await this.procedures.call(frame, def, args, 1);
      this.finish(r.status, this.outputsFrom(params, r.scope, def.params.map((p) => p.name)));
    } catch (e) {
      if (e instanceof CancelledError) throw e;
      const err = this.ix.asSqlError(e, frame, 0);
      this.ix.reportError(err);
      this.ix.out.done(Token.DONEPROC, DoneStatus.ERROR);
    }
  }

  private async prepare(params: RpcParam[], execute: boolean): Promise<void> {
    const [handle, decl, stmt, ...values] = params;
    if (!handle || !decl || !stmt) throw unsupported('sp_prepare without @handle, @params and @stmt');
    // SQL Server compiles at sp_prepare: a statement that does not compile gets no handle.
    await compileBatch(asText(stmt.value), this.ix.session.engine, parseParamDeclarations(asText(decl.value)).map((p) => p.name));
    const s = this.ix.session;
    const id = s.nextPreparedHandle++;
    s.prepared.set(id, { params: asText(decl.value), statement: asText(stmt.value) });
    const outputs = [{ param: { ...handle, name: handle.name || '@handle' }, ordinal: 0, value: id as SqlValue }];
    if (!execute) {
      this.finish(0, outputs);
      return;
    }
    const frame = newFrame(Token.DONEINPROC, '', 0, 0, false);
    const args = this.args([{ ...stmt, name: '@statement' }, { ...decl, name: '@params' }, ...values]);
    const r = await this.procedures.executeSql(frame, args, 1);
    this.finish(r.status, [...outputs, ...this.outputsFrom(values, r.scope, r.paramNames.slice(2))]);
  }

  private async executePrepared(params: RpcParam[]): Promise<void> {
    const [handle, ...values] = params;
    const prepared = handle ? this.ix.session.prepared.get(asNumber(handle.value)) : undefined;
    if (!prepared) {
      throw new SqlError({ number: 8179, class: 16, message: `Could not find prepared statement with handle ${asText(handle?.value ?? null)}.`, line: 1 });
    }
    const frame = newFrame(Token.DONEINPROC, '', 0, 0, false);
    const stmtParam: RpcParam = { name: '@statement', output: false, type: { kind: 'nvarchar', maxBytes: 0xffff }, value: prepared.statement };
    const declParam: RpcParam = { name: '@params', output: false, type: { kind: 'nvarchar', maxBytes: 0xffff }, value: prepared.params };
    const r = await this.procedures.executeSql(frame, this.args([stmtParam, declParam, ...values]), 1);
    this.finish(r.status, this.outputsFrom(values, r.scope, r.paramNames.slice(2)));
  }
}

/**
 * The last part of a multi-part name, unquoted: `[dbo].[a]]b]` → `a]b`, `dbo.x` → `x`. RPC
 * requests carry the name as the client wrote it, quoting and all.
 */
export function stripSchema(name: string): string {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i] as string;
    if (c === '[' || c === '"') {
      const close = c === '[' ? ']' : '"';
      for (i++; i < name.length; i++) {
        if (name[i] === close) {
          if (name[i + 1] !== close) break;
          i++;
        }
        current += name[i];
      }
    } else if (c === '.') {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts[parts.length - 1] ?? name;
}
