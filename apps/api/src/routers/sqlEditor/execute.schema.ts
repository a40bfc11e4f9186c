import { z } from 'zod';
import { DEFAULT_EXECUTION_TIMEOUT_MS, DEFAULT_ROW_LIMIT } from '../../services/sql-editor';
import { byId } from './_schemas';

export const executeInput = byId.extend({
  /** Run on this environment; default: the workspace's default environment. */
  environmentId: z.uuid().optional(),
  /**
   * Values by parameter name (without `@`): numbers, strings, booleans, Date, bigint, Uint8Array
   * (or base64 text) and null; exact decimals as strings. Checked against the server's catalogue.
   */
  parameters: z.record(z.string().min(1).max(128), z.unknown()).default({}),
  /** Rows kept per result set; further rows are read and dropped, and the set is marked truncated. */
  rowLimit: z.number().int().min(1).max(100_000).default(DEFAULT_ROW_LIMIT),
  timeoutMs: z.number().int().min(100).max(600_000).default(DEFAULT_EXECUTION_TIMEOUT_MS),
  /** Chosen by the client so it can cancel before this call returns; default: a new uuid. */
  executionId: z.uuid().optional(),
});

export const cancelInput = z.object({ executionId: z.uuid() });
