import { byId, connectionFields, createInput, testTimeoutMs } from './_schemas';

export const testInput = byId.extend({ timeoutMs: testTimeoutMs });

/** Unsaved parameters: the create schema (name optional: a draft may not have one yet). */
export const testDraftInput = createInput.extend({ name: connectionFields.name.optional(), timeoutMs: testTimeoutMs });
