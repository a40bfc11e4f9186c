import { pino, type Logger } from 'pino';

/** Paths whose values never reach a log line, wherever they appear in a logged object. */
export const redactedPaths = [
  'password',
  '*.password',
  '*.*.password',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'connectionString',
  '*.connectionString',
  'DATABASE_URL',
  '*.DATABASE_URL',
  'ENCRYPTION_KEYS',
  '*.ENCRYPTION_KEYS',
  'REDIS_URL',
  '*.REDIS_URL',
  'sessionId',
  '*.sessionId',
];

/**
 * Error fields a log line may carry. An allowlist, because database errors carry the values of
 * the statement that failed: drizzle's DrizzleQueryError has `params` (and repeats them in its
 * message and stack), PostgreSQL's `detail` quotes the offending row ("Key (token_hash)=(…)").
 * Credential ciphertext and token hashes are such values.
 */
const loggableErrorFields = ['code', 'number', 'state', 'sqlState', 'severity', 'constraint', 'table', 'column', 'schema', 'routine', 'reason', 'field', 'databaseType', 'driverCode', 'transient'] as const;

const PARAMS_LINE = /\nparams: [\s\S]*$/;

/** The error as a log line may show it: no statement values, wherever in the cause chain they sit. */
export function serializeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error)) return error;
  const source = error as Error & Record<string, unknown>;
  // DrizzleQueryError puts "\nparams: …" after the SQL; the SQL text itself has placeholders only.
  const message = error.message.replace(PARAMS_LINE, '');
  const frames = (error.stack ?? '').split('\n').filter((line) => line.startsWith('    at '));
  const out: Record<string, unknown> = { type: error.name, message, stack: [`${error.name}: ${message}`, ...frames].join('\n') };
  if (typeof source.query === 'string') out.query = source.query;
  for (const field of loggableErrorFields) {
    const value = source[field];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[field] = value;
  }
  if (error.cause !== undefined && depth < 5) out.cause = serializeError(error.cause, depth + 1);
  if (error instanceof AggregateError && depth < 5) out.errors = error.errors.slice(0, 10).map((inner: unknown) => serializeError(inner, depth + 1));
  return out;
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      base: { service: 'studio-api' },
      serializers: { err: serializeError, error: serializeError },
    },
    destination as pino.DestinationStream | undefined,
  );
}
