import { z } from 'zod';
import { DEFAULT_CONSOLE_ROW_LIMIT } from '../../services/console';
import { connectionRef, consoleModeInput, messageOutput, MAX_SQL_LENGTH, parametersInput, resultSetOutput } from './_schemas';

export const runInput = connectionRef.extend({
  sql: z.string().trim().min(1, 'the query text is empty').max(MAX_SQL_LENGTH),
  parameters: parametersInput,
  /** Default read-only; read-write only where the connection's console access allows it. */
  mode: consoleModeInput.default('read-only'),
  /** Rows kept per result set; further rows are read and dropped, and the set is marked truncated. */
  rowLimit: z.number().int().min(1).max(100_000).default(DEFAULT_CONSOLE_ROW_LIMIT),
  /** Default 30 s; never more than the connection's request timeout (its maximum). */
  timeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  /** Chosen by the client so it can cancel before this call returns; default: a new uuid. */
  runId: z.uuid().optional(),
});

export const runOutput = z.object({
  runId: z.uuid(),
  connectionId: z.uuid(),
  status: z.enum(['completed', 'cancelled']),
  mode: consoleModeInput,
  rolledBack: z.boolean().meta({ description: 'Read-only on SQL Server: the batch ran in a transaction that was rolled back' }),
  resultSets: z.array(resultSetOutput),
  messages: z.array(messageOutput),
  rowsAffected: z.array(z.number().int()),
  truncated: z.boolean(),
  rowLimit: z.number().int(),
  timeoutMs: z.number().int(),
  elapsedMs: z.number(),
});

export const cancelInput = z.object({ runId: z.uuid() });

export const exportInput = connectionRef.extend({
  sql: runInput.shape.sql,
  parameters: parametersInput,
  mode: consoleModeInput.default('read-only'),
  format: z.enum(['csv', 'json']).default('csv'),
  timeoutMs: runInput.shape.timeoutMs,
});
