// "Test connection" (MISSION F2/F3): dns → tcp → tls → login → query against a workspace database,
// each step timed, the whole run bounded by one deadline. dns (the outbound policy) and tcp are
// timed here; the login and the query are the pool driver adapter's `probe` (@studio/mssql-pool),
// one connection of its own to the vetted address (never the cached pool: a test must not replace
// or warm the pool, and a bad password must not open the pool's circuit). No tRPC here; the
// routers turn a failed result into the F10 shape.
import { connect as tcpConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ConnectionOptions, ConnectionTlsRecord, ConnectionType } from '@studio/db/schema';
import { CERTIFICATE_WARNING_DAYS, ProbeError, probeTarget, type EncryptionMode, type NegotiatedTls, type ProbeLogin, type ProbeOptions, type ProbeResult, type ProbeTarget } from '@studio/mssql-pool';
import { poolTlsOptionsOf, requestedEncryptionOf, SSL_REQUIRED_MESSAGE, type RequestedEncryption } from './connection-tls';
import type { OutboundPolicy } from './outbound-policy';

export type TestStepName = 'dns' | 'tcp' | 'tls' | 'login' | 'query';

export interface TestStep {
  name: TestStepName;
  ok: boolean;
  ms: number;
  /**
   * The step did not apply (e.g. tls on a plaintext connection; `ok` is then true) or did not run
   * because an earlier one failed (`notRun`; `ok` is then false).
   */
  skipped?: boolean;
  /** The step never ran: `reason` says which step failed first. */
  notRun?: boolean;
  reason?: string;
  error?: string;
  /** Passed, but worth acting on: no encryption, an unchecked certificate, one that expires soon. */
  warning?: string;
  /** tls step: what the session negotiated, with the mode it was asked for. */
  tls?: NegotiatedTls & { mode: EncryptionMode };
}

const STEP_ORDER: readonly TestStepName[] = ['dns', 'tcp', 'tls', 'login', 'query'];

export type TestFailureReason =
  | 'authentication_failed'
  | 'database_not_found'
  | 'host_unreachable'
  | 'connection_refused'
  | 'timeout'
  | 'tls_failed'
  | 'ssl_required'
  | 'dns_failed'
  | 'outbound_refused'
  | 'query_failed'
  | 'connection_failed';

export interface ConnectionTestResult {
  success: boolean;
  message: string;
  latencyMs: number;
  serverVersion: string | null;
  steps: TestStep[];
  details: { reason: 'ok' | TestFailureReason; database_type: ConnectionType; error_code: string | null; current_protocol?: 'plain' };
  /** What the login negotiated (kept as the connection's last TLS); null when no login got that far. Not part of the API answer. */
  negotiated: ConnectionTlsRecord | null;
}

/** What a test connects to: a saved connection's decrypted settings or unsaved draft parameters. */
export interface ConnectionTestTarget {
  type: ConnectionType;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | null;
  options: ConnectionOptions;
}

export interface ConnectionTestOptions {
  /** Overall deadline; the result is a `timeout` failure if the steps have not finished by then. */
  deadlineMs?: number | undefined;
  /** Stops the test (a cancel): it ends as a `timeout` failure, which a caller that cancelled ignores. */
  signal?: AbortSignal | undefined;
  /** Told each step as it finishes (dns, tcp, then tls and login together, then query). */
  onStep?: ((step: TestStep) => void) | undefined;
  /** The login and query step; default `probeTarget`. A save passes the pool manager's `verify`, which counts it. */
  probe?: ((target: ProbeTarget, options: ProbeOptions) => Promise<ProbeResult>) | undefined;
}

export const DEFAULT_TEST_DEADLINE_MS = 5_000;
/** The longest a connection's own connect timeout may stretch a test (CONNECTION_TEST_MAX_TIMEOUT_MS). */
export const DEFAULT_TEST_MAX_DEADLINE_MS = 60_000;

/** A classified failure of one step. `message` is shown to the caller: never a credential. */
class StepFailure extends Error {
  constructor(
    readonly reason: TestFailureReason,
    message: string,
    readonly errorCode: string | null,
  ) {
    super(message);
    this.name = 'StepFailure';
  }
}

class DeadlineReached extends Error {
  constructor() {
    super('deadline reached');
    this.name = 'DeadlineReached';
  }
}

const NETWORK_REASONS: Record<string, TestFailureReason> = {
  ECONNREFUSED: 'connection_refused',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'host_unreachable',
  EHOSTDOWN: 'host_unreachable',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'connection_failed',
  ENOTFOUND: 'dns_failed',
  EAI_AGAIN: 'dns_failed',
};

const TLS_PATTERN = /certificate|self[- ]signed|\bSSL\b|\bTLS\b|handshake|ERR_TLS|DEPTH_ZERO|UNABLE_TO_VERIFY/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Network-level errors common to every driver. */
function networkFailure(error: unknown): StepFailure | undefined {
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown }).cause);
  const reason = code ? NETWORK_REASONS[code] : undefined;
  if (reason && code) return new StepFailure(reason, messageOf(error), code);
  if (TLS_PATTERN.test(messageOf(error))) return new StepFailure('tls_failed', messageOf(error), code ?? 'ETLS');
  return undefined;
}

/** A failed `adapter.probe`: the login refusal it names, else what the driver error says. */
function probeFailure(error: unknown): StepFailure {
  if (!(error instanceof ProbeError)) return new StepFailure('connection_failed', messageOf(error), codeOf(error) ?? null);
  const errorCode = error.errorCode ?? null;
  if (error.securityViolation === 'ssl_required') return new StepFailure('ssl_required', SSL_REQUIRED_MESSAGE, errorCode);
  if (error.reason !== undefined) return new StepFailure(error.reason, error.message, errorCode);
  if (errorCode === 'ETIMEOUT' || /timeout|timed out/i.test(error.message)) return new StepFailure('timeout', error.message, 'ETIMEOUT');
  return networkFailure(error.cause) ?? new StepFailure(error.step === 'query' ? 'query_failed' : 'connection_failed', error.message, errorCode);
}

function tcpProbe(address: string, port: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket: Socket = tcpConnect({ host: address, port });
    const abort = () => socket.destroy();
    signal.addEventListener('abort', abort, { once: true });
    socket.once('connect', () => {
      signal.removeEventListener('abort', abort);
      socket.destroy();
      resolve();
    });
    socket.once('error', (error) => {
      signal.removeEventListener('abort', abort);
      socket.destroy();
      reject(networkFailure(error) ?? new StepFailure('connection_failed', error.message, codeOf(error) ?? null));
    });
  });
}

/** Runs `operation`, rejecting with DeadlineReached as soon as `signal` aborts (the operation tears itself down). */
function untilDeadline<T>(operation: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    operation.catch(() => undefined);
    return Promise.reject(new DeadlineReached());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new DeadlineReached());
    signal.addEventListener('abort', onAbort, { once: true });
    operation.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** What a login negotiated, as stored with the connection (days to expiry are counted when read). */
function tlsRecordOf(login: ProbeLogin, mode: EncryptionMode): ConnectionTlsRecord {
  const tls = login.tls;
  if (!login.encrypted || tls === undefined) return { mode, encrypted: false };
  const certificate = tls.certificate && {
    subject: tls.certificate.subject,
    issuer: tls.certificate.issuer,
    subjectAltNames: tls.certificate.subjectAltNames,
    validFrom: tls.certificate.validFrom,
    validTo: tls.certificate.validTo,
    fingerprint256: tls.certificate.fingerprint256,
  };
  return { mode, encrypted: true, protocol: tls.protocol, cipher: tls.cipher, alpnProtocol: tls.alpnProtocol, authorized: tls.authorized, certificate };
}

/**
 * The tls step from what the login's socket negotiated (never from the settings): protocol,
 * cipher, certificate, with a warning when nothing is encrypted, the certificate was not checked,
 * or it expires within CERTIFICATE_WARNING_DAYS.
 */
function tlsStepOf(login: ProbeLogin, requested: RequestedEncryption, type: ConnectionType, tlsMs: number): TestStep {
  if (!login.encrypted || login.tls === undefined) {
    const what = type === 'mssql' ? 'nothing is encrypted, not even the login and its password' : 'nothing is encrypted, the login and its password included';
    return { name: 'tls', ok: true, ms: 0, skipped: true, warning: `Not encrypted: this connection's encryption setting is ${requested.mode}, so ${what}` };
  }
  const tls = login.tls;
  const warnings: string[] = [];
  if (!tls.authorized) warnings.push('The certificate was not checked (an explicit choice of this connection): anyone on the path could stand in for the server');
  const days = tls.certificate?.daysToExpiry;
  if (days !== undefined && days < CERTIFICATE_WARNING_DAYS) warnings.push(days < 0 ? 'The server certificate has expired' : `The server certificate expires in ${days} day${days === 1 ? '' : 's'}`);
  return { name: 'tls', ok: true, ms: tlsMs, tls: { ...tls, mode: requested.mode }, ...(warnings.length > 0 && { warning: warnings.join('; ') }) };
}

export class ConnectionTester {
  constructor(
    private readonly outboundPolicy: OutboundPolicy,
    readonly defaultDeadlineMs: number = DEFAULT_TEST_DEADLINE_MS,
    readonly maxDeadlineMs: number = DEFAULT_TEST_MAX_DEADLINE_MS,
  ) {}

  /**
   * The call's own deadline, else the default stretched to the connection's longer connect timeout
   * (a slow-to-wake server must be testable with the setting it will be used with), capped by the
   * server's maximum.
   */
  deadlineOf(target: ConnectionTestTarget, options: ConnectionTestOptions = {}): number {
    if (options.deadlineMs !== undefined) return options.deadlineMs;
    const connectTimeoutMs = target.options.connectTimeoutMs;
    return connectTimeoutMs === undefined ? this.defaultDeadlineMs : Math.min(Math.max(connectTimeoutMs, this.defaultDeadlineMs), this.maxDeadlineMs);
  }

  async run(target: ConnectionTestTarget, options: ConnectionTestOptions = {}): Promise<ConnectionTestResult> {
    const deadlineMs = this.deadlineOf(target, options);
    const started = performance.now();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), deadlineMs);
    const cancel = () => controller.abort();
    if (options.signal?.aborted) controller.abort();
    options.signal?.addEventListener('abort', cancel, { once: true });
    const steps: TestStep[] = [];
    const record = (step: TestStep) => {
      steps.push(step);
      options.onStep?.(step);
    };
    const remaining = () => Math.max(1, deadlineMs - (performance.now() - started));
    let negotiated: ConnectionTlsRecord | null = null;
    const finish = (result: Omit<ConnectionTestResult, 'latencyMs' | 'steps' | 'details' | 'negotiated'> & { reason: ConnectionTestResult['details']['reason']; errorCode: string | null }): ConnectionTestResult => ({
      success: result.success,
      message: result.message,
      latencyMs: Math.round(performance.now() - started),
      serverVersion: result.serverVersion,
      steps,
      details: { reason: result.reason, database_type: target.type, error_code: result.errorCode },
      negotiated,
    });

    let current: TestStepName = 'dns';
    let stepStarted = performance.now();
    const begin = (name: TestStepName) => {
      current = name;
      stepStarted = performance.now();
    };
    const pass = (extra: Partial<TestStep> = {}) => record({ name: current, ok: true, ms: Math.round(performance.now() - stepStarted), ...extra });

    try {
      begin('dns');
      const decision = await untilDeadline(this.outboundPolicy.check(target.host), controller.signal);
      if (!decision.allowed) {
        throw decision.reason === 'dns_failed'
          ? new StepFailure('dns_failed', decision.message, 'ENOTFOUND')
          : new StepFailure('outbound_refused', decision.message, decision.reason);
      }
      pass();
      const address = decision.addresses[0] ?? target.host;

      begin('tcp');
      await untilDeadline(tcpProbe(address, target.port, controller.signal), controller.signal);
      pass();

      // TLS is negotiated inside the login (TDS PRELOGIN, PostgreSQL SSLRequest, MySQL handshake),
      // so the tls step is reported from what the probe's login saw.
      begin('login');
      const requested = requestedEncryptionOf(target.type, target.options);
      const loggedIn = (login: ProbeLogin) => {
        const tlsMs = Math.round(login.tlsMs ?? 0);
        negotiated = tlsRecordOf(login, requested.mode);
        record(tlsStepOf(login, requested, target.type, tlsMs));
        record({ name: 'login', ok: true, ms: Math.max(0, Math.round(login.loginMs) - tlsMs) });
        begin('query');
      };
      let probe: ProbeResult;
      try {
        probe = await untilDeadline(
          (options.probe ?? probeTarget)(
            {
              type: target.type,
              host: target.host,
              port: target.port,
              database: target.database,
              user: target.user,
              password: target.password ?? '',
              options: poolTlsOptionsOf(target.options),
            },
            // The probe connects to the address the dns step vetted, never resolving the host again.
            { addressOf: () => Promise.resolve(address), timeoutMs: remaining(), signal: controller.signal, onLogin: loggedIn },
          ),
          controller.signal,
        );
      } catch (error) {
        const failure = error instanceof DeadlineReached ? error : probeFailure(error);
        if (failure instanceof StepFailure && (failure.reason === 'tls_failed' || failure.reason === 'ssl_required')) current = 'tls';
        throw failure;
      }
      record({ name: 'query', ok: true, ms: Math.round(probe.queryMs) });
      const latency = Math.round(performance.now() - started);
      return finish({
        success: true,
        message: `Connected to ${target.host}:${target.port}/${target.database} in ${latency} ms`,
        serverVersion: probe.serverVersion || null,
        reason: 'ok',
        errorCode: null,
      });
    } catch (error) {
      const failure =
        error instanceof DeadlineReached || controller.signal.aborted
          ? new StepFailure('timeout', `No answer within ${deadlineMs} ms (${current} step)`, 'ETIMEOUT')
          : error instanceof StepFailure
            ? error
            : new StepFailure('connection_failed', messageOf(error), codeOf(error) ?? null);
      const failed = current;
      steps.push({ name: failed, ok: false, ms: Math.round(performance.now() - stepStarted), error: failure.message });
      // Every step that never ran says so, in the order the steps happen.
      const ran = new Map(steps.map((step) => [step.name, step]));
      const ordered = STEP_ORDER.map((name) => ran.get(name) ?? { name, ok: false, ms: 0, skipped: true, notRun: true, reason: `not run: ${failed} failed` });
      steps.splice(0, steps.length, ...ordered);
      const result = finish({ success: false, message: failure.message, serverVersion: null, reason: failure.reason, errorCode: failure.errorCode });
      if (failure.reason === 'ssl_required') result.details.current_protocol = 'plain';
      return result;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
    }
  }
}
