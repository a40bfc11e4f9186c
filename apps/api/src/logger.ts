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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    { level, redact: { paths: redactedPaths, censor: '[redacted]' }, base: { service: 'studio-api' } },
    destination as pino.DestinationStream | undefined,
  );
}
