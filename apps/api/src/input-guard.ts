// What no procedure accepts, whatever its schema says, checked once for all of them before any
// schema runs (so a new procedure cannot forget it).

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** Deeper input than any procedure takes; refusing it early keeps validation cheap and bounded. */
const MAX_INPUT_DEPTH = 32;

/**
 * The first place in `input` no procedure can accept whatever its schema says: a NUL character or a
 * lone surrogate in any text (the system database refuses NUL in text with an error, and neither is
 * text a person typed), or nesting deeper than MAX_INPUT_DEPTH. Walked iteratively, so hostile
 * nesting cannot exhaust the stack.
 */
export function malformedInputOf(input: unknown): { path: string; message: string } | null {
  const pending: { value: unknown; path: string[] }[] = [{ value: input, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\0')) return { path: path.join('.') || '(input)', message: 'must not contain NUL characters' };
      if (!isWellFormed(value)) return { path: path.join('.') || '(input)', message: 'must be well-formed Unicode text (no lone surrogates)' };
      continue;
    }
    if (typeof value !== 'object' || value === null || value instanceof Date || ArrayBuffer.isView(value)) continue;
    if (path.length >= MAX_INPUT_DEPTH) return { path: path.join('.'), message: `nested deeper than ${MAX_INPUT_DEPTH} levels` };
    for (const [key, inner] of Object.entries(value)) {
      if (key.includes('\0') || !isWellFormed(key)) return { path: path.join('.') || '(input)', message: 'keys must be well-formed text without NUL characters' };
      pending.push({ value: inner, path: [...path, key] });
    }
  }
  return null;
}

