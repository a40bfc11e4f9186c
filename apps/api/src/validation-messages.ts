// What a person reads when their input is refused: plain sentences, after the field's name in the
// F10 message ("name: must not be empty"), instead of zod's "Too small: expected string to have
// >=1 characters" or "expected number, received NaN". Installed once as zod's global error map
// (trpc.ts); a schema's own message ("the query text is empty") still wins over these. Never
// quotes the input: it may be a password.
import { z } from 'zod';

type RawIssue = z.core.$ZodRawIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  date: 'a date',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
  record: 'an object',
  map: 'an object',
  set: 'a list',
};

const FORMAT_NAMES: Record<string, string> = {
  email: 'an email address',
  url: 'a URL',
  uuid: 'an id (a UUID)',
  guid: 'an id (a UUID)',
  datetime: 'a date and time (ISO 8601, e.g. 2026-01-31T09:00:00Z)',
  date: 'a date (YYYY-MM-DD)',
  time: 'a time (HH:MM:SS)',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  base64: 'base64 text',
};

function unitOf(origin: string, count: number | bigint): string {
  const one = Number(count) === 1;
  if (origin === 'string') return one ? 'character' : 'characters';
  if (origin === 'array' || origin === 'set') return one ? 'item' : 'items';
  if (origin === 'file') return one ? 'byte' : 'bytes';
  return '';
}

function bound(origin: string, limit: number | bigint | Date): string {
  if (origin === 'date') return new Date(Number(limit)).toISOString();
  const unit = unitOf(origin, limit as number | bigint);
  return unit ? `${String(limit)} ${unit}` : String(limit);
}

function tooSmall(issue: Extract<RawIssue, { code: 'too_small' }>): string {
  const { origin, minimum, inclusive, exact } = issue;
  if ((origin === 'string' || origin === 'array' || origin === 'set') && Number(minimum) === 1 && inclusive !== false) {
    return origin === 'string' ? 'must not be empty' : 'must have at least one item';
  }
  if (exact) return `must be exactly ${bound(origin, minimum)}`;
  if (origin === 'string' || origin === 'array' || origin === 'set' || origin === 'file') return `must have at least ${bound(origin, minimum)}`;
  if (origin === 'date') return `must be ${inclusive === false ? 'after' : 'on or after'} ${bound(origin, minimum)}`;
  return inclusive === false ? `must be greater than ${String(minimum)}` : `must be at least ${String(minimum)}`;
}

function tooBig(issue: Extract<RawIssue, { code: 'too_big' }>): string {
  const { origin, maximum, inclusive, exact } = issue;
  if (exact) return `must be exactly ${bound(origin, maximum)}`;
  if (origin === 'string' || origin === 'array' || origin === 'set' || origin === 'file') return `must have at most ${bound(origin, maximum)}`;
  if (origin === 'date') return `must be ${inclusive === false ? 'before' : 'on or before'} ${bound(origin, maximum)}`;
  return inclusive === false ? `must be less than ${String(maximum)}` : `must be at most ${String(maximum)}`;
}

function invalidType(issue: Extract<RawIssue, { code: 'invalid_type' }>): string {
  if (issue.input === undefined || issue.input === null) return issue.expected === 'null' || issue.expected === 'undefined' ? 'must be left out' : 'is required';
  const expected = TYPE_NAMES[issue.expected];
  if (issue.expected === 'number' || issue.expected === 'int') return `must be ${expected}`;
  return expected ? `must be ${expected}` : 'has the wrong type';
}

function listOf(values: readonly unknown[]): string {
  const shown = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return shown.length <= 1 ? (shown[0] ?? '') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}

/** The plain message for a zod issue, or undefined for zod's own (a custom check's message). */
export function plainValidationMessage(issue: RawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return invalidType(issue);
    case 'too_small':
      return tooSmall(issue);
    case 'too_big':
      return tooBig(issue);
    case 'invalid_format': {
      if (issue.format === 'regex') return 'has characters or a shape that is not allowed here';
      if (issue.format === 'starts_with') return `must start with "${(issue as { prefix?: string }).prefix ?? ''}"`;
      if (issue.format === 'ends_with') return `must end with "${(issue as { suffix?: string }).suffix ?? ''}"`;
      if (issue.format === 'includes') return `must contain "${(issue as { includes?: string }).includes ?? ''}"`;
      const name = FORMAT_NAMES[issue.format];
      return name ? `must be ${name}` : `must be a valid ${issue.format}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys':
      return `${issue.keys.length === 1 ? 'is not a field here' : 'are not fields here'}: ${issue.keys.join(', ')}`;
    case 'invalid_value':
      return issue.values.length === 1 ? `must be ${listOf(issue.values)}` : `must be one of ${listOf(issue.values)}`;
    case 'invalid_union':
      return 'is not in any of the accepted forms';
    case 'invalid_key':
      return 'has a key that is not allowed';
    case 'invalid_element':
      return 'has an item that is not allowed';
    default:
      return undefined;
  }
}

/** Makes every zod schema in the process speak plainly (called once, by trpc.ts). */
export function installPlainValidationMessages(): void {
  z.config({ customError: plainValidationMessage });
}
