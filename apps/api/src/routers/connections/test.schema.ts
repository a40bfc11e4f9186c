import { z } from 'zod';
import { timestamp } from '../_outputs';
import { byId, connectionFields, createFields, encryptionFits, testResultOutput, testTimeoutMs } from './_schemas';

export const testInput = byId.extend({ timeoutMs: testTimeoutMs });

/** Unsaved parameters: the create schema (name optional: a draft may not have one yet). */
export const testDraftInput = createFields.extend({ name: connectionFields.name.optional(), timeoutMs: testTimeoutMs }).superRefine(encryptionFits);

/** A watched test run: read it (long poll past `afterVersion`, up to `waitMs`) or cancel it. */
export const testRunInput = z.object({
  runId: z.uuid(),
  afterVersion: z.number().int().min(-1).optional().meta({ description: 'Answer once the run has changed past this version (the last one seen)' }),
  waitMs: z.number().int().min(0).max(10_000).optional().meta({ description: 'How long to wait for a change; 0 (default) answers at once' }),
});

export const testRunOutput = z.object({
  id: z.uuid(),
  state: z.enum(['running', 'passed', 'failed', 'cancelled']),
  version: z.number().int(),
  steps: testResultOutput.shape.steps.meta({ description: 'Steps in the order they finished; once ended, every step in order' }),
  result: testResultOutput.nullable().meta({ description: 'The whole result once passed or failed; null while running or when cancelled' }),
  startedAt: timestamp,
  endedAt: timestamp.nullable(),
});
