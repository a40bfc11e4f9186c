// The one reader of process.env for the API process (STYLE.md). Everything else receives a typed Env.
import { databaseEnvSchema } from '@studio/db';
import { z } from 'zod';

export const envSchema = z.object({
  ...databaseEnvSchema.shape,
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  AUTO_MIGRATE: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true')),
  SEED_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  SEED_USER_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  /** Set by pnpm to the folder the command was typed in; a relative DATA_DIR resolves against it. */
  INIT_CWD: z.string().optional(),
  AUTO_SEED: z
    .enum(['true', 'false'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true')),
});

export type Env = z.infer<typeof envSchema>;

export class EnvError extends Error {
  readonly code = 'invalid_environment';
  constructor(readonly issues: { field: string; message: string }[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'EnvError';
  }
}

/** Parses the environment once; throws an EnvError naming every variable at fault. */
export function loadEnv(source: Record<string, string | undefined> = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    throw new EnvError(parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(root)', message: i.message })));
  }
  return parsed.data;
}
