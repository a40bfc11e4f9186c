// Form conventions shared by every page (see apps/web/README.md "Forms"): actions answer
// `ActionResult`, fields are named by the procedure input's path (`connection.host`), and the
// F10 `details` of a failure are turned into a message per field.
import type { Problem } from '@studio/api/problem';

export type ActionResult<T = unknown> =
  | { ok: true; intent?: string; message?: string; value?: T }
  | { ok: false; intent?: string; problem: Problem; fieldErrors: Record<string, string>; values: Record<string, string> };

/** `details.fields` (zod) and `details.field` (conflicts, outbound policy) → message per field path. */
export function fieldErrorsOf(problem: Problem, alias: Record<string, string> = {}): Record<string, string> {
  // Null prototype: keys are field paths from input, and `__proto__` must be a key like any other.
  const errors: Record<string, string> = Object.create(null) as Record<string, string>;
  const fields = problem.details.fields;
  if (Array.isArray(fields)) {
    for (const entry of fields as { path?: unknown; message?: unknown }[]) {
      if (typeof entry.path !== 'string' || typeof entry.message !== 'string') continue;
      const path = Object.hasOwn(alias, entry.path) ? (alias[entry.path] as string) : entry.path;
      errors[path] ??= entry.message;
    }
  }
  const field = problem.details.field;
  if (typeof field === 'string') {
    const path = Object.hasOwn(alias, field) ? (alias[field] as string) : field;
    errors[path] ??= problem.message;
  }
  return errors;
}

/**
 * The user's input to put back in the form after a refusal; secrets are never echoed: `password`,
 * and any field whose name says password (`currentPassword`, `newPassword`, `confirmPassword`).
 */
export function valuesOf(form: FormData, secret: readonly string[] = ['password']): Record<string, string> {
  const values: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of form.entries()) {
    if (typeof value !== 'string' || /password/i.test(key) || secret.some((s) => key === s || key.endsWith(`.${s}`))) continue;
    values[key] = value;
  }
  return values;
}

export function failure(problem: Problem, form: FormData, options: { intent?: string; alias?: Record<string, string> } = {}): ActionResult & { ok: false } {
  return { ok: false, intent: options.intent, problem, fieldErrors: fieldErrorsOf(problem, options.alias), values: valuesOf(form) };
}

/** The answer to a form whose `intent` names no action of the route. */
export function unknownIntent(intent: string): ActionResult & { ok: false } {
  return { ok: false, intent, problem: { error: 'invalid_input', message: `Unknown action “${intent}”`, details: {} }, fieldErrors: {}, values: {} };
}

/** A text field: trimmed, empty = undefined (the procedure's default or "keep"). */
export function text(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** A number field: empty = undefined; anything else is passed as a number so zod names the field when it is not one. */
export function integer(form: FormData, name: string): number | undefined {
  const value = text(form, name);
  return value === undefined ? undefined : Number(value);
}

export function checkbox(form: FormData, name: string): boolean {
  return form.get(name) === 'on' || form.get(name) === 'true';
}
