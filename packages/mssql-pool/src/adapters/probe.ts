import { loginReasonOf, type LoginFailureReason } from '../login-reasons';
import { securityViolationOf, type NegotiatedTls, type SecurityViolation } from '../tls';

/** What `DriverAdapter.probe` is told besides the target. */
export interface ProbeHooks {
  /**
   * The address to open the one connection to, vetted by the caller (as the manager's
   * `beforeConnect` does for pools); TLS still names `target.host`. Undefined: the driver resolves
   * `target.host` itself.
   */
  addressOf?: (() => Promise<string>) | undefined;
  /** Called once the login has succeeded, before the query: a caller timing steps moves on. */
  onLogin?: ((login: ProbeLogin) => void) | undefined;
  /** Aborting tears the connection down; the probe then rejects. */
  signal?: AbortSignal | undefined;
}

/** What the login of a probe saw. */
export interface ProbeLogin {
  /** Whether the session is encrypted, as its socket says. */
  encrypted: boolean;
  /** What the session negotiated; undefined in plaintext. */
  tls: NegotiatedTls | undefined;
  /** ms from the start of the login to the end of the TLS handshake, when the driver reports it. */
  tlsMs: number | undefined;
  /** ms of the whole login, TLS included. */
  loginMs: number;
}

/** A probe that logged in and ran its query. */
export interface ProbeResult extends ProbeLogin {
  /** The server's own version string (`@@VERSION`, `version()`, `VERSION()`): the probe's one query. */
  serverVersion: string;
  /** ms of the version query. */
  queryMs: number;
}

export type ProbeStep = 'login' | 'query';

/**
 * A probe failed at `step`. `reason` is `loginReasonOf` the driver error; `errorCode` is the
 * driver's number, SQLSTATE, errno or code as text. The message is the driver's: never a credential.
 */
export class ProbeError extends Error {
  readonly step: ProbeStep;
  readonly reason: LoginFailureReason | undefined;
  readonly errorCode: string | undefined;
  /** `ssl_required`: the server did not offer the TLS the connection requires; the login was never sent. */
  readonly securityViolation: SecurityViolation | undefined;

  constructor(step: ProbeStep, error: unknown, errorCode?: string) {
    super(error instanceof Error ? error.message : String(error), { cause: error });
    this.name = 'ProbeError';
    this.step = step;
    this.reason = step === 'login' ? loginReasonOf(errorCode ?? error) : undefined;
    this.errorCode = errorCode ?? codeOf(error);
    this.securityViolation = securityViolationOf(error);
  }
}

function codeOf(error: unknown): string | undefined {
  const e = (error ?? {}) as { number?: unknown; errno?: unknown; code?: unknown };
  for (const value of [e.number, e.errno, e.code]) {
    if (typeof value === 'number' && value > 0) return String(value);
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/** Positive whole milliseconds, as every driver's timeout option wants. */
export function wholeMs(ms: number): number {
  return Math.max(1, Math.floor(ms));
}
