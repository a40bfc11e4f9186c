/**
 * Fault injection and observation for tests: counters, refusing logins, killing sessions,
 * stopping and restarting the listener, delays, latency and failing the Nth request.
 */
import { SqlError } from './errors';
import type { LoginPacketEvent, SessionInfo } from './session';

export interface ControlEvents {
  login: [session: SessionInfo];
  loginFailed: [user: string, reason: string];
  sessionClosed: [spid: number];
}

/** What Control needs from the emulator. */
export interface ControlHost {
  readonly port: number;
  readonly listening: boolean;
  readonly liveSessions: Array<{ spid: number; info(): SessionInfo; destroy(): void; close(): Promise<void> }>;
  listen(port: number): Promise<void>;
  stopListening(): Promise<void>;
  killAll(): Promise<number>;
}

export type LoginRefusal = 'error' | 'close';

export interface FailRequestOptions {
  /** 'error' (default) answers with an error token; 'close' drops the connection instead. */
  mode?: 'error' | 'close';
  /** The error to send in 'error' mode; default 40613 "Database ... is not currently available". */
  error?: { number: number; message: string; class?: number; state?: number };
}

interface PendingFailure {
  remaining: number;
  options: FailRequestOptions;
}

export class Control {
  private logins = 0;
  private failedLogins = 0;
  private plaintextLogins = 0;
  private requests = 0;
  private refusal: LoginRefusal | undefined;
  private responseDelayMs = 0;
  private latencyMs = 0;
  private latencyJitterMs = 0;
  private failures: PendingFailure[] = [];
  private lastFailure: FailRequestOptions = {};
  private delayWaiters: Array<() => void> = [];
  private portToReuse = 0;

  constructor(private readonly host: ControlHost) {}

  /** Successful logins since start (or resetCounters()). */
  get loginCount(): number {
    return this.logins;
  }

  /** Refused or failed logins since start (or resetCounters()). */
  get failedLoginCount(): number {
    return this.failedLogins;
  }

  /**
   * LOGIN7 messages that arrived in plaintext (password readable on the wire) since start (or
   * resetCounters()), whether or not the login then succeeded.
   */
  get plaintextLoginCount(): number {
    return this.plaintextLogins;
  }

  /** Logged-in connections right now (what sys.dm_exec_sessions would list for user sessions). */
  get sessionCount(): number {
    return this.host.liveSessions.length;
  }

  /** Alias of sessionCount. */
  get liveSessions(): number {
    return this.sessionCount;
  }

  /** SQL_BATCH and RPC requests seen (tedious's post-login SET batch excluded). */
  get requestCount(): number {
    return this.requests;
  }

  /** Whether the listener is up (false between stop() and restart()). */
  get isRunning(): boolean {
    return this.host.listening;
  }

  /** One row per logged-in session, like sys.dm_exec_sessions. */
  sessions(): SessionInfo[] {
    return this.host.liveSessions.map((s) => s.info());
  }

  resetCounters(): void {
    this.logins = 0;
    this.failedLogins = 0;
    this.plaintextLogins = 0;
    this.requests = 0;
  }

  /**
   * Refuses new logins until acceptLogins(): 'error' (default) answers LOGIN7 with error 18456
   * (the client sees ConnectionError ELOGIN "Login failed for user 'x'."); 'close' drops the
   * socket right after the client's LOGIN7 (the client sees ESOCKET). Existing sessions stay.
   */
  refuseLogins(mode: LoginRefusal | boolean = 'error'): void {
    this.refusal = mode === true ? 'error' : mode === false ? undefined : mode;
  }

  acceptLogins(): void {
    this.refusal = undefined;
  }

  /** Destroys every connection's socket; returns how many logged-in sessions were killed. */
  killAllSessions(): Promise<number> {
    return this.host.killAll();
  }

  /** Destroys one session's socket; false if no such logged-in session. */
  async killSession(spid: number): Promise<boolean> {
    const s = this.host.liveSessions.find((x) => x.spid === spid);
    if (!s) return false;
    s.destroy();
    await s.close();
    return true;
  }

  /** Closes the listener and every connection (new connects get ECONNREFUSED). Data is kept. */
  async stop(): Promise<void> {
    if (this.host.listening) this.portToReuse = this.host.port;
    await this.host.stopListening();
  }

  /** Listens again on the same port as before stop(); a no-op when running. */
  async restart(): Promise<void> {
    if (this.host.listening) return;
    await this.host.listen(this.portToReuse || this.host.port);
  }

  /**
   * Holds every server message (prelogin, login and request responses) for `ms` before sending.
   * `Infinity` holds them until the delay is changed; 0 or null turns the delay off.
   */
  delayResponses(ms: number | null): void {
    this.responseDelayMs = ms === null || ms < 0 ? 0 : ms;
    const waiters = this.delayWaiters;
    this.delayWaiters = [];
    for (const w of waiters) w();
  }

  /** Adds `ms` (± up to `jitterMs`) before each request (not logins) is executed. */
  setLatency(ms: number, jitterMs = 0): void {
    this.latencyMs = Math.max(0, ms);
    this.latencyJitterMs = Math.max(0, jitterMs);
  }

  /**
   * Makes the Nth countable request from now (1 = the next one) fail, across all sessions.
   * Countable: SQL_BATCH and RPC, except tedious's post-login SET-options batch.
   */
  failNthRequest(n: number, options: FailRequestOptions = {}): void {
    if (!Number.isInteger(n) || n < 1) throw new RangeError('failNthRequest(n): n must be a positive integer');
    this.failures.push({ remaining: n, options });
  }

  /** Removes delays, latency, pending failures and login refusal. */
  clearFaults(): void {
    this.refusal = undefined;
    this.failures = [];
    this.latencyMs = 0;
    this.latencyJitterMs = 0;
    this.delayResponses(0);
  }

  // Hooks used by the emulator ----------------------------------------------------------------

  recordLogin(): void {
    this.logins++;
  }

  recordFailedLogin(): void {
    this.failedLogins++;
  }

  recordLoginPacket(event: LoginPacketEvent): void {
    if (event.encryption === 'none') this.plaintextLogins++;
  }

  loginRefusal(): 'no' | LoginRefusal {
    return this.refusal ?? 'no';
  }

  async beforeResponse(): Promise<void> {
    while (this.responseDelayMs > 0) {
      const ms = this.responseDelayMs;
      if (Number.isFinite(ms)) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          timer.unref();
        });
        return;
      }
      await new Promise<void>((resolve) => this.delayWaiters.push(resolve));
    }
  }

  async beforeRequest(_session: unknown, countable: boolean): Promise<'run' | 'fail' | 'close'> {
    if (this.latencyMs > 0 || this.latencyJitterMs > 0) {
      const ms = Math.max(0, this.latencyMs + (Math.random() * 2 - 1) * this.latencyJitterMs);
      await new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    }
    if (!countable) return 'run';
    this.requests++;
    let verdict: 'run' | 'fail' | 'close' = 'run';
    const still: PendingFailure[] = [];
    for (const f of this.failures) {
      f.remaining--;
      if (f.remaining === 0 && verdict === 'run') {
        verdict = f.options.mode === 'close' ? 'close' : 'fail';
        this.lastFailure = f.options;
      } else if (f.remaining > 0) {
        still.push(f);
      }
    }
    this.failures = still;
    return verdict;
  }

  injectedError(): SqlError {
    const e = this.lastFailure.error;
    if (e) return new SqlError({ number: e.number, message: e.message, class: e.class ?? 16, state: e.state ?? 1 });
    return new SqlError({
      number: 40613,
      class: 17,
      message: "Database is not currently available. Please retry the connection later. (injected by @studio/mssql-emulator control.failNthRequest)",
    });
  }

  dispose(): void {
    this.clearFaults();
  }
}
