/**
 * One client connection: PRELOGIN, LOGIN7, then requests answered strictly one response message
 * per request message, with ATTENTION acknowledged in a message of its own.
 */
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import type { DatabaseEngine } from './engine';
import { SqlError } from './errors';
import { CancelledError, type ExecutionSession, Executor, type PreparedStatement, type ServerContext } from './executor/executor';
import type { PendingBulkLoad } from './executor/bulk';
import { isSetOptionsOnly } from './executor/options';
import { ProtocolError } from './protocol/buffer';
import { OLDEST_TDS_VERSION, negotiateTdsVersion, parseLogin7, tdsVersionName, type Login7Request } from './protocol/login7';
import { MessageAssembler, PacketStatus, PacketType, frameMessage, type Message } from './protocol/packets';
import { type ServerEncryption, buildPreloginResponse, negotiateEncryption, parsePrelogin, Encryption } from './protocol/prelogin';
import { TLS_HANDSHAKE_RECORD, startStrictTls, startTdsTls, type TdsTls } from './protocol/tls';
import { TransactionRequest, parseRpc, parseSqlBatch, parseTransactionManager } from './protocol/rpc';
import { DoneStatus, EnvChange, ResponseBuilder, Token, attentionAck } from './protocol/tokens';
import { COLLATION, type SqlValue, UnsupportedTypeError } from './protocol/types';

export interface SessionInfo {
  spid: number;
  login: string;
  database: string;
  hostName: string;
  appName: string;
  loginTime: Date;
  lastRequestTime: Date | undefined;
  requestCount: number;
  inTransaction: boolean;
  status: 'running' | 'sleeping';
  /** The login asked for ApplicationIntent=ReadOnly. */
  readOnlyIntent: boolean;
  /** What the connection encrypts: nothing, the LOGIN7 message only, everything (TDS 7.x TLS), or TDS 8.0. */
  encryption: SessionEncryption;
  /** The TLS protocol in use (`TLSv1.2`, `TLSv1.3`); undefined in plaintext. */
  tlsProtocol: string | undefined;
}

export type SessionEncryption = 'none' | 'login-only' | 'tls' | 'strict';

/** A LOGIN7 message as it arrived, before it is checked: how it travelled is what a test asserts. */
export interface LoginPacketEvent {
  spid: number;
  user: string;
  /** `none`: the login (and its password) crossed the network in plaintext. */
  encryption: SessionEncryption;
}

/** The server's encryption setting and the TLS contexts it answers with. */
export interface SessionTls {
  mode: ServerEncryption;
  /** TDS 7.x TLS (1.2) inside PRELOGIN; undefined with mode `none`. */
  tds7: SecureContext | undefined;
  /** TDS 8.0 TLS (1.2–1.3, ALPN tds/8.0); undefined with mode `none`. */
  tds8: SecureContext | undefined;
}

/** What a session needs from the server that owns it. */
export interface SessionHost extends ServerContext {
  readonly version: { major: number; minor: number; build: number };
  /** How encryption is negotiated. */
  readonly sessionTls: SessionTls;
  /** Checks credentials; returns the SQL Server error(s) to send on failure. */
  authenticate(login: Login7Request): { ok: true; database: string } | { ok: false; errors: SqlError[] };
  /** Delays and injected failures, consulted before answering. */
  beforeResponse(): Promise<void>;
  beforeRequest(session: Session, countable: boolean): Promise<'run' | 'fail' | 'close'>;
  injectedError(): SqlError;
  refusesLogins(): 'no' | 'error' | 'close';
  onLogin(session: Session): void;
  onLoginFailed(login: string, reason: string): void;
  onLoginPacket(event: LoginPacketEvent): void;
  onClose(session: Session): void;
}

const MIN_PACKET = 512;
const MAX_PACKET = 32767;

export class Session implements ExecutionSession {
  readonly tempTables = new Map<string, DatabaseEngine>();
  readonly tempProcedures = new Map<string, DatabaseEngine>();
  readonly prepared = new Map<number, PreparedStatement>();
  nextPreparedHandle = 1;
  pendingBulkLoad: PendingBulkLoad | undefined;
  engine!: DatabaseEngine;
  tranCount = 0;
  txRelease: (() => void) | undefined;
  txDescriptor = Buffer.alloc(8);
  txSchemaVersion: number | undefined;
  nocount = false;
  xactAbort = false;
  lockTimeoutMs = -1;
  lastIdentity: SqlValue = null;
  rowCount = 0;
  lastErrorNumber = 0;
  catchError: SqlError | undefined;
  login = '';
  hostName = '';
  appName = '';
  readOnlyIntent = false;
  loginTime = new Date();
  lastRequestTime: Date | undefined;
  requestCount = 0;
  encryption: SessionEncryption = 'none';

  private readonly assembler = new MessageAssembler();
  private packetSize = 4096;
  private state: 'prelogin' | 'login' | 'ready' | 'closed' = 'prelogin';
  private readonly queue: Message[] = [];
  private pumping = false;
  private current: AbortController | undefined;
  private attentionPending = false;
  private closing: Promise<void> | undefined;
  /** Where TDS packets travel: the socket, or the cleartext side of TLS over it. */
  private transport: Socket;
  /** TDS 7.x TLS, kept to drop it after LOGIN7 when only the login is encrypted. */
  private tds7Tls: TdsTls | undefined;
  private firstChunk = true;
  private readonly onTransportData = (chunk: Buffer) => this.onData(chunk);

  constructor(
    readonly spid: number,
    private readonly socket: Socket,
    readonly server: SessionHost,
  ) {
    this.transport = socket;
    socket.setNoDelay(true);
    socket.on('data', this.onTransportData);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      void this.close();
    });
  }

  get loggedIn(): boolean {
    return this.state === 'ready';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  info(): SessionInfo {
    return {
      spid: this.spid,
      login: this.login,
      database: this.engine?.name ?? '',
      hostName: this.hostName,
      appName: this.appName,
      loginTime: this.loginTime,
      lastRequestTime: this.lastRequestTime,
      requestCount: this.requestCount,
      inTransaction: this.tranCount > 0,
      status: this.current ? 'running' : 'sleeping',
      readOnlyIntent: this.readOnlyIntent,
      encryption: this.encryption,
      tlsProtocol: this.encryption === 'tls' || this.encryption === 'strict' ? ((this.transport as TLSSocket).getProtocol?.() ?? undefined) : undefined,
    };
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'closed') return;
    if (this.firstChunk) {
      this.firstChunk = false;
      if (this.opening(chunk)) return;
    }
    let messages: Message[];
    try {
      messages = this.assembler.push(chunk);
    } catch {
      this.destroy();
      return;
    }
    for (const m of messages) {
      if (m.type === PacketType.ATTENTION) this.onAttention();
      else this.queue.push(m);
    }
    void this.pump();
  }

  private onAttention(): void {
    if (this.state !== 'ready') return;
    if (this.current) {
      this.attentionPending = true;
      this.current.abort();
      return;
    }
    void this.send(attentionAck());
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && this.state !== 'closed') {
        const m = this.queue.shift() as Message;
        await this.handle(m);
      }
    } catch {
      this.destroy();
    } finally {
      this.pumping = false;
    }
  }

  private async send(payload: Buffer): Promise<void> {
    await this.server.beforeResponse();
    if (this.state === 'closed' || this.transport.destroyed) return;
    this.transport.write(frameMessage(PacketType.TABULAR_RESULT, payload, this.packetSize, this.spid));
  }

  private async handle(m: Message): Promise<void> {
    if (m.status & PacketStatus.IGNORE) {
      // The client abandoned this message; answer so that request/response stay paired.
      await this.send(Buffer.alloc(0));
      return;
    }
    switch (this.state) {
      case 'prelogin':
        if (m.type === PacketType.PRELOGIN) {
          await this.handlePrelogin(m.payload);
          return;
        }
        // A LOGIN7 without PRELOGIN (pre-7.1 clients) is plaintext; a server that insists on
        // encryption refuses it.
        if (m.type === PacketType.LOGIN7 && this.server.sessionTls.mode !== 'forced' && this.server.sessionTls.mode !== 'strict') {
          await this.handleLogin(m.payload);
          return;
        }
        this.destroy();
        return;
      case 'login':
        if (m.type !== PacketType.LOGIN7) {
          this.destroy();
          return;
        }
        // Only the login was to be encrypted (ENCRYPT_OFF): the answer and everything after it
        // travel in plaintext again.
        if (this.encryption === 'login-only') this.dropTls();
        await this.handleLogin(m.payload);
        return;
      case 'ready':
        await this.handleRequest(m);
        return;
      case 'closed':
        return;
    }
  }

  /**
   * The first bytes decide the protocol: a TLS ClientHello is a TDS 8.0 client, anything else
   * goes to the TDS 7.x state machine. True when the chunk was taken over (strict TLS, or refused).
   */
  private opening(chunk: Buffer): boolean {
    const tls = this.server.sessionTls;
    const clientHello = chunk[0] === TLS_HANDSHAKE_RECORD;
    if (clientHello) {
      if (tls.tds8 === undefined) {
        this.destroy();
        return true;
      }
      this.socket.off('data', this.onTransportData);
      this.encryption = 'strict';
      this.useCleartext(startStrictTls(this.socket, this.spid, tls.tds8, chunk));
      return true;
    }
    // Force Strict Encryption: a TDS 7.x client is not served at all.
    if (tls.mode === 'strict') {
      this.destroy();
      return true;
    }
    return false;
  }

  private async handlePrelogin(payload: Buffer): Promise<void> {
    this.state = 'login';
    const requested = parsePrelogin(payload).encryption;
    const tls = this.server.sessionTls;
    if (this.encryption === 'strict') {
      // The channel is already TLS; the ENCRYPTION option negotiates nothing more under TDS 8.0.
      await this.send(buildPreloginResponse(this.server.version, Encryption.NOT_SUP));
      return;
    }
    const { answer, channel } = negotiateEncryption(tls.mode === 'strict' ? 'forced' : tls.mode, requested);
    await this.send(buildPreloginResponse(this.server.version, answer));
    if (this.state !== 'login') return;
    if (channel === 'refuse') {
      // Encryption is forced and the client cannot do it: SQL Server ends the connection.
      this.state = 'closed';
      // Written first, then closed: the client reads the answer and reports why.
      this.socket.end(() => this.destroy());
      return;
    }
    if (channel === 'none' || tls.tds7 === undefined) return;
    this.encryption = channel;
    this.socket.off('data', this.onTransportData);
    this.tds7Tls = startTdsTls(this.socket, this.spid, tls.tds7);
    this.useCleartext(this.tds7Tls.cleartext);
  }

  private useCleartext(cleartext: TLSSocket): void {
    cleartext.on('data', this.onTransportData);
    // A failed handshake (the client refused our certificate) ends the connection like SQL Server.
    cleartext.on('error', () => this.destroy());
    this.transport = cleartext;
  }

  /** ENCRYPT_OFF after LOGIN7: back to plaintext on the socket itself. */
  private dropTls(): void {
    const tls = this.tds7Tls;
    if (tls === undefined) return;
    this.tds7Tls = undefined;
    tls.cleartext.off('data', this.onTransportData);
    tls.cleartext.removeAllListeners('error');
    tls.cleartext.on('error', () => undefined);
    tls.detach();
    this.socket.on('data', this.onTransportData);
    this.transport = this.socket;
  }

  private async handleLogin(payload: Buffer): Promise<void> {
    const refuse = this.server.refusesLogins();
    if (refuse === 'close') {
      this.destroy();
      return;
    }
    const login = parseLogin7(payload);
    this.server.onLoginPacket({ spid: this.spid, user: login.userName, encryption: this.encryption });
    this.packetSize = Math.max(MIN_PACKET, Math.min(MAX_PACKET, login.packetSize || 4096));
    const tdsVersion = negotiateTdsVersion(login.tdsVersion);
    const out = new ResponseBuilder(this.server.serverName, undefined, tdsVersion ?? login.tdsVersion);
    const fail = (errors: SqlError[], reason: string) => {
      for (const e of errors) {
        out.error({ number: e.number, state: e.state, class: e.class, message: e.message, procName: '', lineNumber: 1 });
      }
      this.server.onLoginFailed(login.userName, reason);
      return this.send(out.finish(Token.DONE, DoneStatus.ERROR)).then(() => this.destroy());
    };
    if (tdsVersion === undefined) {
      const message = `The TDS protocol version ${tdsVersionName(login.tdsVersion)} requested by the client is not supported by this server (the emulator answers TDS ${tdsVersionName(OLDEST_TDS_VERSION)} and 7.4).`;
      await fail([new SqlError({ number: 40517, class: 16, message })], message);
      return;
    }
    if (refuse === 'error') {
      await fail([new SqlError({ number: 18456, class: 14, state: 1, message: `Login failed for user '${login.userName}'.` })], 'refused');
      return;
    }
    const auth = this.server.authenticate(login);
    if (!auth.ok) {
      await fail(auth.errors, auth.errors[0]?.message ?? 'login failed');
      return;
    }
    let engine: DatabaseEngine;
    try {
      engine = await this.server.openEngine(auth.database, this.spid);
    } catch (e) {
      const message = `Cannot open database "${auth.database}" requested by the login. The login failed.`;
      await fail(
        [
          new SqlError({ number: 4060, class: 11, message, cause: e }),
          new SqlError({ number: 18456, class: 14, message: `Login failed for user '${login.userName}'.` }),
        ],
        message,
      );
      return;
    }
    if (this.state === 'closed') return;
    this.engine = engine;
    this.login = login.userName;
    this.hostName = login.hostName;
    this.appName = login.appName;
    this.readOnlyIntent = login.readOnlyIntent;
    this.loginTime = new Date();
    out.envChange(EnvChange.DATABASE, engine.name, 'master');
    out.info({ number: 5701, state: 2, class: 0, message: `Changed database context to '${engine.name}'.`, procName: '', lineNumber: 1 });
    out.envChange(EnvChange.COLLATION, COLLATION, Buffer.alloc(0));
    out.envChange(EnvChange.LANGUAGE, 'us_english', '');
    out.info({ number: 5703, state: 1, class: 0, message: 'Changed language setting to us_english.', procName: '', lineNumber: 1 });
    out.loginAck('Microsoft SQL Server', this.server.version, tdsVersion);
    out.envChange(EnvChange.PACKET_SIZE, String(this.packetSize), String(this.packetSize));
    this.state = 'ready';
    this.server.onLogin(this);
    await this.send(out.finish(Token.DONE, 0));
  }

  private async handleRequest(m: Message): Promise<void> {
    const controller = new AbortController();
    this.current = controller;
    this.lastRequestTime = new Date();
    this.requestCount++;
    const out = new ResponseBuilder(this.server.serverName, () => this.tranCount > 0);
    try {
      if (m.status & (PacketStatus.RESET_CONNECTION | PacketStatus.RESET_CONNECTION_SKIP_TRAN)) {
        const descriptor = this.txDescriptor;
        const rolledBack = await this.reset((m.status & PacketStatus.RESET_CONNECTION_SKIP_TRAN) === 0);
        // The client counts transactions from these ENVCHANGEs; without one it would still think it is in one.
        if (rolledBack) out.envChange(EnvChange.ROLLBACK_TRAN, Buffer.alloc(0), descriptor);
        out.envChange(EnvChange.RESET_CONNECTION, Buffer.alloc(0), Buffer.alloc(0));
      }
      const countable = (m.type === PacketType.SQL_BATCH && !isSetOptionsOnly(parseSqlBatch(m.payload))) || m.type === PacketType.RPC;
      const verdict = await this.server.beforeRequest(this, countable);
      if (verdict === 'close') {
        this.destroy();
        return;
      }
      if (verdict === 'fail') {
        const e = this.server.injectedError();
        out.error({ number: e.number, state: e.state, class: e.class, message: e.message, procName: '', lineNumber: 1 });
        await this.send(out.finish(m.type === PacketType.RPC ? Token.DONEPROC : Token.DONE, DoneStatus.ERROR));
        return;
      }
      const executor = new Executor(this, out, controller.signal);
      // The rows of an INSERT BULK must be the very next message; anything else abandons it.
      if (m.type !== PacketType.BULK_LOAD) this.pendingBulkLoad = undefined;
      switch (m.type) {
        case PacketType.SQL_BATCH:
          await executor.sqlBatch(parseSqlBatch(m.payload));
          break;
        case PacketType.RPC:
          await this.rpc(executor, out, m.payload);
          break;
        case PacketType.TRANSACTION_MANAGER:
          await this.transactionManager(executor, out, m.payload);
          break;
        case PacketType.BULK_LOAD:
          await executor.bulkLoad(m.payload);
          break;
        default:
          out.error({ number: 4002, state: 1, class: 16, message: `The incoming tabular data stream (TDS) message type 0x${m.type.toString(16)} is not supported by the emulator.`, procName: '', lineNumber: 0 });
          out.done(Token.DONE, DoneStatus.ERROR);
      }
      await this.send(out.finish(m.type === PacketType.RPC ? Token.DONEPROC : Token.DONE, 0));
    } finally {
      this.current = undefined;
      if (this.attentionPending) {
        this.attentionPending = false;
        await this.send(attentionAck());
      }
    }
  }

  private async rpc(executor: Executor, out: ResponseBuilder, payload: Buffer): Promise<void> {
    let request;
    try {
      request = parseRpc(payload);
    } catch (e) {
      if (e instanceof UnsupportedTypeError || e instanceof ProtocolError) {
        out.error({ number: e instanceof UnsupportedTypeError ? 40517 : 8009, state: 1, class: 16, message: e.message, procName: '', lineNumber: 0 });
        out.done(Token.DONEPROC, DoneStatus.ERROR);
        return;
      }
      throw e;
    }
    await executor.rpc(request);
  }

  private async transactionManager(executor: Executor, out: ResponseBuilder, payload: Buffer): Promise<void> {
    const request = parseTransactionManager(payload);
    try {
      switch (request.type) {
        case TransactionRequest.BEGIN:
          await executor.beginTransaction();
          break;
        case TransactionRequest.COMMIT:
          await executor.commitTransaction();
          if (request.beginAfter) await executor.beginTransaction();
          break;
        case TransactionRequest.ROLLBACK:
          if (this.tranCount === 0) {
            throw new SqlError({ number: 3903, class: 16, message: 'The ROLLBACK TRANSACTION request has no corresponding BEGIN TRANSACTION.' });
          }
          await executor.rollbackTransaction(true);
          if (request.beginAfter) await executor.beginTransaction();
          break;
        default:
          throw new SqlError({ number: 40517, class: 16, message: `Transaction manager request ${request.type} (savepoints, distributed transactions) is not supported by @studio/mssql-emulator.` });
      }
      out.done(Token.DONE, 0);
    } catch (e) {
      if (e instanceof CancelledError) return;
      const err = e instanceof SqlError ? e : new SqlError({ number: 50000, message: e instanceof Error ? e.message : String(e) });
      out.error({ number: err.number, state: err.state, class: err.class, message: err.message, procName: '', lineNumber: 1 });
      out.done(Token.DONE, DoneStatus.ERROR);
    }
  }

  /**
   * sp_reset_connection: roll back, forget SET options and prepared statements. True when an open
   * transaction was rolled back.
   */
  private async reset(rollback: boolean): Promise<boolean> {
    const rolledBack = rollback && this.tranCount > 0;
    if (rollback) await this.abandonTransaction();
    this.nocount = false;
    this.xactAbort = false;
    this.lockTimeoutMs = -1;
    this.prepared.clear();
    this.engine.appLocks.releaseAll(this.spid, 'Session');
    await this.dropTempObjects();
    return rolledBack;
  }

  private async abandonTransaction(): Promise<void> {
    if (this.tranCount === 0) return;
    const engine = this.engine;
    try {
      await engine.exec('ROLLBACK');
    } catch {
      // The engine may already be closed; the transaction dies with it.
    } finally {
      engine.rolledBack(this.txSchemaVersion);
      this.txSchemaVersion = undefined;
      this.tranCount = 0;
      engine.appLocks.releaseAll(this.spid, 'Transaction');
      const release = this.txRelease;
      this.txRelease = undefined;
      release?.();
    }
  }

  /** #temp tables and #procedures go with the session that created them. */
  private async dropTempObjects(): Promise<void> {
    for (const [name, engine] of this.tempTables) {
      await this.dropQuietly(engine, () => engine.exec(`DROP TABLE IF EXISTS "${name.replace(/"/g, '""')}"`));
    }
    this.tempTables.clear();
    for (const [key, engine] of this.tempProcedures) {
      await this.dropQuietly(engine, async () => {
        await engine.query('DELETE FROM __emulator.procedures WHERE name_key = $1', [key]);
        engine.invalidateProcedures();
      });
    }
    this.tempProcedures.clear();
  }

  /** Runs `drop` under the database's lock; a closed database or an object already gone is no error. */
  private async dropQuietly(engine: DatabaseEngine, drop: () => Promise<unknown>): Promise<void> {
    if (engine.isClosed) return;
    const release = await engine.mutex.acquire(this.spid);
    try {
      await drop();
    } catch {
      // Already gone.
    } finally {
      release();
    }
  }

  /** Drops the connection at once (the client sees ECONNRESET / "Connection lost"). */
  destroy(): void {
    this.socket.destroy();
    void this.close();
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        const wasReady = this.state === 'ready';
        this.state = 'closed';
        this.current?.abort();
        this.socket.destroy();
        if (wasReady) {
          await this.abandonTransaction();
          this.engine.appLocks.releaseAll(this.spid);
          await this.dropTempObjects();
        }
        this.server.onClose(this);
      })();
    }
    return this.closing;
  }
}
