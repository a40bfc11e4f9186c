// Every failure a call can end in, as one class: the server's F10 problem `{ error, message,
// details }` plus what HTTP said (status, Retry-After). It extends TRPCClientError so the tRPC
// client passes it through unchanged and tRPC-aware code (react-query, `safe()`) still sees one.
import { TRPCClientError } from '@trpc/client';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import type { AppRouter } from '@studio/api';
import type { Problem } from '@studio/api/problem';

export type { Problem };

/** tRPC's code for the failure, or NETWORK_ERROR when no HTTP response came back at all. */
export type StudioErrorCode = TRPC_ERROR_CODE_KEY | 'NETWORK_ERROR';

const codeByStatus: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  408: 'TIMEOUT',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
  499: 'CLIENT_CLOSED_REQUEST',
  501: 'NOT_IMPLEMENTED',
  502: 'BAD_GATEWAY',
  503: 'SERVICE_UNAVAILABLE',
  504: 'GATEWAY_TIMEOUT',
};

type ErrorShape = NonNullable<TRPCClientError<AppRouter>['shape']>;

interface StudioApiErrorInit {
  code: StudioErrorCode;
  status: number;
  retryAfterSeconds: number | undefined;
  path: string | undefined;
  cause?: Error | undefined;
  /** The server's tRPC error shape, kept so `shape`/`data` read as on any TRPCClientError. */
  shape?: ErrorShape | undefined;
  /** The HTTP `response` and its `responseJSON`, as tRPC's links report them. */
  meta?: Record<string, unknown> | undefined;
}

export class StudioApiError extends TRPCClientError<AppRouter> {
  override readonly name = 'StudioApiError';
  readonly code: StudioErrorCode;
  /** The F10 `error` (snake_case), e.g. `forbidden`. */
  readonly error: string;
  readonly details: Record<string, unknown>;
  /** HTTP status of the response; 0 when there was none (network failure). */
  readonly status: number;
  /** Seconds the server asked to wait, on TOO_MANY_REQUESTS (and SERVICE_UNAVAILABLE when it says). */
  readonly retryAfterSeconds: number | undefined;
  /** The procedure that failed, e.g. `connections.create`. */
  readonly path: string | undefined;

  constructor(problem: Problem, init: StudioApiErrorInit) {
    super(problem.message, { result: init.shape ? { error: init.shape } : undefined, cause: init.cause, meta: init.meta });
    // TRPCClientError's constructor pins its own prototype; restore ours so methods and instanceof work.
    Object.setPrototypeOf(this, new.target.prototype);
    this.code = init.code;
    this.error = problem.error;
    this.details = problem.details;
    this.status = init.status;
    this.retryAfterSeconds = init.retryAfterSeconds;
    this.path = init.path;
  }

  get problem(): Problem {
    return { error: this.error, message: this.message, details: this.details };
  }

  /** What a service would log or forward: the problem plus status, never request headers. */
  toJSON() {
    return { ...this.problem, code: this.code, status: this.status, retryAfterSeconds: this.retryAfterSeconds, path: this.path };
  }
}

export function isStudioApiError(value: unknown): value is StudioApiError {
  return value instanceof StudioApiError;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function problemIn(value: unknown): Problem | undefined {
  if (!isRecord(value) || typeof value.error !== 'string' || typeof value.message !== 'string') return undefined;
  return { error: value.error, message: value.message, details: isRecord(value.details) ? value.details : {} };
}

const WAIT_CODES: ReadonlySet<StudioErrorCode> = new Set(['TOO_MANY_REQUESTS', 'SERVICE_UNAVAILABLE']);

/**
 * The call's own `details.retryAfterSeconds` first: a batch shares one response, whose Retry-After
 * header belongs to whichever call was limited, not to its neighbours that failed otherwise.
 */
function retryAfterOf(code: StudioErrorCode, response: Response | undefined, details: Record<string, unknown>): number | undefined {
  if (!WAIT_CODES.has(code)) return undefined;
  if (typeof details.retryAfterSeconds === 'number') return details.retryAfterSeconds;
  const header = response?.headers.get('retry-after')?.trim();
  return header !== undefined && /^\d+$/.test(header) ? Number(header) : undefined;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error.cause instanceof Error && error.cause.name === 'AbortError'));
}

/**
 * Turns whatever a call rejected with into a StudioApiError: the server's F10 problem when there is
 * one (tRPC's `error.data`, or the plain JSON body of a non-tRPC answer such as 503 "starting"),
 * else a problem describing what went wrong on the way (unreachable host, a body that is not ours).
 */
export function toStudioApiError(value: unknown, path?: string): StudioApiError {
  if (value instanceof StudioApiError) return value;
  const clientError = value instanceof TRPCClientError ? (value as TRPCClientError<AppRouter>) : undefined;
  const meta = clientError?.meta;
  const response = meta?.response instanceof Response ? meta.response : undefined;
  const cause = value instanceof Error ? value : undefined;
  const data = clientError?.data;
  const fromServer = problemIn(data);

  if (data && fromServer) {
    return new StudioApiError(fromServer, {
      code: data.code,
      status: data.httpStatus,
      retryAfterSeconds: retryAfterOf(data.code, response, fromServer.details),
      path: data.path ?? path,
      cause,
      shape: clientError.shape ?? undefined,
      meta,
    });
  }
  if (response) {
    const problem = problemIn(meta?.responseJSON) ?? {
      error: 'unexpected_response',
      message: `The API answered HTTP ${response.status} without an error body`,
      details: { status: response.status },
    };
    const code = codeByStatus[response.status] ?? 'INTERNAL_SERVER_ERROR';
    return new StudioApiError(problem, {
      code,
      status: response.status,
      retryAfterSeconds: retryAfterOf(code, response, problem.details),
      path,
      cause,
      meta,
    });
  }
  const underlying = clientError?.cause ?? value;
  if (isAbort(underlying)) {
    return new StudioApiError(
      { error: 'aborted', message: 'The call was aborted before the API answered', details: {} },
      { code: 'CLIENT_CLOSED_REQUEST', status: 0, retryAfterSeconds: undefined, path, cause },
    );
  }
  // fetch() reports "fetch failed" and keeps the reason (ECONNREFUSED, DNS) in its own cause.
  const reason = underlying instanceof Error ? (underlying.cause instanceof Error ? underlying.cause.message : underlying.message) : String(underlying);
  return new StudioApiError(
    { error: 'network_error', message: `The API could not be reached: ${reason}`, details: {} },
    { code: 'NETWORK_ERROR', status: 0, retryAfterSeconds: undefined, path, cause },
  );
}
