// Hostile input against every procedure of the router, enumerated from the router itself (a new
// procedure is fuzzed without touching this file): through tRPC's server-side caller and through
// REST over HTTP. NUL characters, lone surrogates, 1 MB strings, huge, negative and non-finite
// numbers, prototype keys, deep nesting and wrong types. Whatever the answer, it is never a 5xx /
// INTERNAL_SERVER_ERROR, always the F10 shape, never carries a secret, and /healthz still answers.
// Seeded and bounded: the same inputs on every run, a fixed number of runs per procedure.
import { testTargets } from '@studio/db/testing';
import { TRPCError, type AnyProcedure } from '@trpc/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createContextInner } from '../src/context';
import { ApiProblem } from '../src/errors';
import { collectRestRoutes } from '../src/rest/routes';
import { appRouter } from '../src/routers/_app';
import type { Principal } from '../src/services/authorization';
import { createCallerFactory } from '../src/trpc';
import { startTestApp, type TestApp } from './support/http-app';
import { PROTOTYPE_KEYS } from './support/hostile';

const SEED = 20_261_204;
const RUNS_PER_PROCEDURE = 40;
const RUNS_PER_ROUTE = 12;
const ADMIN_PASSWORD = 'http-app-admin-password';
const USER_PASSWORD = 'http-app-user-password';
const CONNECTION_PASSWORD = 'Fuzz-Stored-Connection-Passw0rd';

const pglite = testTargets.find((target) => target.name === 'pglite')!;
// Destructive procedures last, so the seeded workspace and token serve every other procedure first.
const destructive = (path: string) => /\.(delete|remove|revoke\w*|signOut)$/.test(path);
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, AnyProcedure>).sort(
  ([a], [b]) => Number(destructive(a)) - Number(destructive(b)) || a.localeCompare(b),
);

// Built once: generating a megabyte per run would spend the time budget on generation.
const MEGABYTE = 'x'.repeat(1_048_576);
const MEGABYTE_OF_NUL = `${'\u0000'.repeat(1_048_575)}y`;

function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

const hostileText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('\u0000', 'fuzz\u0000', '\ud800', 'fuzz\udfff') },
  fc.constantFrom('\u0000', 'a\u0000b', '\ud800', 'x\udfff', '\ud83d', '\u202e\u0000', '', ' ', '%00', '../../etc/passwd', "'; DROP TABLE users; --", '\r\nSet-Cookie: x=1', '//evil.example', '/\t/evil.example'),
  fc.constantFrom(...PROTOTYPE_KEYS),
  fc.constantFrom(MEGABYTE, MEGABYTE_OF_NUL),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('twsbp', '00000000-0000-4000-8000-000000000000', '2026-13-45T99:99:99.000Z|00000000-0000-4000-8000-000000000000', '99999-01-01', 'admin', 'Owner', 'mssql'),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(2_147_483_648, -2_147_483_649, Number.MAX_SAFE_INTEGER + 2, -1, 0, 1e308, -1e308, 5e-324, 65_536, 0.5),
  fc.integer(),
  fc.double(),
);

const leaf = fc.oneof({ weight: 4, arbitrary: hostileText }, { weight: 2, arbitrary: hostileNumber }, fc.boolean(), fc.constant(null), fc.constantFrom(9_223_372_036_854_775_808n, -(2n ** 70n)), fc.date({ noInvalidDate: false }));

/**
 * Over HTTP, bodies stay under the 1 MB limit: an oversized body is refused with 413 (or, when the
 * server answers before the client finished sending, a reset the client cannot tell from a crash).
 * The megabyte strings reach every procedure through the server-side caller instead.
 */
const withinBodyLimit = (value: unknown): boolean => {
  const text = JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? '0' : inner)) ?? '';
  return text.length < 200_000;
};

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 5, arbitrary: leaf },
  { weight: 1, arbitrary: fc.array(leaf, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(hostileText, fc.constantFrom(...PROTOTYPE_KEYS)), leaf, { maxKeys: 4 }) },
  { weight: 1, arbitrary: fc.integer({ min: 33, max: 2_000 }).chain((depth) => leaf.map((value) => nested(depth, value))) },
);

interface JsonSchema {
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  minimum?: number;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
}

const TEXT_CANDIDATES = ['fuzz', '192.0.2.1', '/fuzz', 'Fuzz_1'];

/**
 * A value the schema accepts, so that one hostile field is all that is wrong with an input and
 * the call gets past validation to the services and the database behind it.
 */
function plausible(schema: JsonSchema): unknown {
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return plausible(schema.anyOf.find((option) => option.type !== 'null') ?? {});
  switch (schema.type) {
    case 'object':
      return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, inner]) => [key, plausible(inner)]));
    case 'array':
      return [];
    case 'boolean':
      return false;
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'string': {
      if (schema.format === 'uuid') return '00000000-0000-4000-8000-000000000000';
      if (schema.format === 'date-time') return new Date().toISOString();
      const pattern = schema.pattern === undefined ? undefined : new RegExp(schema.pattern);
      const text = TEXT_CANDIDATES.find((candidate) => pattern?.test(candidate) ?? true) ?? 'fuzz';
      return text.padEnd(schema.minLength ?? 0, 'z');
    }
    default:
      // Dates and other values JSON Schema cannot describe.
      return new Date();
  }
}

/** The procedure's input fields (all `.input()` objects merged) with an accepted value each. */
function baselineOf(procedure: AnyProcedure): Record<string, unknown> {
  const baseline: Record<string, unknown> = {};
  for (const input of (procedure._def as unknown as { inputs: z.ZodType[] }).inputs) {
    const schema = z.toJSONSchema(input, { unrepresentable: 'any', io: 'input' }) as JsonSchema;
    const value = plausible(schema);
    if (typeof value === 'object' && value !== null && !(value instanceof Date)) Object.assign(baseline, value);
  }
  if ('workspaceSlug' in baseline || 'workspaceId' in baseline) {
    delete baseline.workspaceId;
    baseline.workspaceSlug = 'twsbp';
  }
  return baseline;
}

/** Mostly one of the input's own fields, sometimes a prototype key. */
function fieldOrPrototypeKey(fields: string[]): fc.Arbitrary<string> {
  return fields.length === 0 ? fc.constantFrom(...PROTOTYPE_KEYS) : fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...fields) }, { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS) });
}

/**
 * An input for a procedure: mostly an accepted input with one or two fields (or prototype keys)
 * replaced by hostile values; sometimes something that is not an object at all.
 */
function inputFor(procedure: AnyProcedure): fc.Arbitrary<unknown> {
  const baseline = baselineOf(procedure);
  const fields = Object.keys(baseline);
  const aimed = fc.array(fc.tuple(fieldOrPrototypeKey(fields), hostileValue), { minLength: 1, maxLength: 2 }).map((replacements) => {
    const input: Record<string, unknown> = { ...baseline };
    for (const [key, value] of replacements) Object.defineProperty(input, key, { value, enumerable: true, writable: true, configurable: true });
    return input;
  });
  return fc.oneof({ weight: 5, arbitrary: aimed }, { weight: 1, arbitrary: hostileValue }, { weight: 1, arbitrary: fc.constant(undefined) });
}

function isProblem(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const { error, message, details } = value as Record<string, unknown>;
  return typeof error === 'string' && typeof message === 'string' && typeof details === 'object' && details !== null && !Array.isArray(details);
}

describe('fuzz: every procedure with hostile input', () => {
  let test: TestApp;
  let token: string;
  let principal: Principal;
  const secrets: string[] = [ADMIN_PASSWORD, USER_PASSWORD, CONNECTION_PASSWORD];

  function assertNoSecret(text: string, where: string): void {
    for (const secret of secrets) expect(text.includes(secret), `${where} carries a secret`).toBe(false);
    expect(text, where).not.toMatch(/\bat .+\.(ts|js):\d+/);
  }

  beforeAll(async () => {
    test = await startTestApp(pglite, { CONNECTION_TEST_TIMEOUT_MS: '300', OUTBOUND_ALLOW_LOOPBACK: 'false', NODE_ENV: 'test' });
    token = await test.token('Owner');
    secrets.push(token);
    const authenticated = await test.app.services.tokens.authenticate(token);
    if (!authenticated) throw new Error('the minted token does not authenticate');
    principal = authenticated;
    // A stored credential for the answers to (never) reveal.
    const caller = createCallerFactory(appRouter)(createContextInner({ ...test.app.services, principal, requestMeta: { ip: null, userAgent: 'fuzz' } }));
    await caller.connections.create({ workspaceSlug: 'twsbp', name: 'fuzz-target', type: 'postgres', host: '10.0.0.7', port: 5432, database: 'db', user: 'u', password: CONNECTION_PASSWORD, options: { connectTimeoutMs: 300, requestTimeoutMs: 1_000 } });
  }, 120_000);

  afterAll(async () => {
    await test?.close();
  });

  it('enumerates the router', () => {
    expect(procedures.length).toBeGreaterThan(40);
    expect(collectRestRoutes(appRouter).length).toBeGreaterThan(20);
  });

  it('tRPC (server-side caller): never INTERNAL_SERVER_ERROR, always the F10 shape, no secret', { timeout: 120_000 }, async () => {
    const createCaller = createCallerFactory(appRouter);
    for (const [path, procedure] of procedures) {
      const call = async (input: unknown, anonymous: boolean): Promise<void> => {
        const ctx = createContextInner({ ...test.app.services, principal: anonymous ? null : principal, requestMeta: { ip: '198.51.100.1', userAgent: 'fuzz' } });
        const caller = createCaller(ctx) as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>;
        const [group, name] = path.split('.') as [string, string];
        try {
          const answer = await caller[group]![name]!(input);
          assertNoSecret(JSON.stringify(answer, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value)) ?? '', path);
        } catch (error) {
          expect(error, `${path} threw a non-tRPC error`).toBeInstanceOf(TRPCError);
          const trpc = error as TRPCError;
          expect(trpc.code, `${path}: ${trpc.message}`).not.toBe('INTERNAL_SERVER_ERROR');
          expect(trpc.cause, path).toBeInstanceOf(ApiProblem);
          const problem = (trpc.cause as ApiProblem).problem;
          expect(isProblem(problem), path).toBe(true);
          assertNoSecret(JSON.stringify(problem), path);
        }
      };
      await fc.assert(fc.asyncProperty(inputFor(procedure), fc.boolean(), call), { seed: SEED, numRuns: RUNS_PER_PROCEDURE, endOnFailure: true });
    }
    expect((await fetch(`${test.app.url}/healthz`)).status).toBe(200);
  });

  it('REST over HTTP: never a 5xx, always the F10 shape, no secret', { timeout: 120_000 }, async () => {
    const routes = collectRestRoutes(appRouter);
    /**
     * Percent-encodes UTF-8 bytes, so lone surrogates and NUL travel in a path like anything else.
     * Cut to 1,000 characters: a longer URL is refused by Node's HTTP parser (431) before any of our
     * code runs; megabyte strings are sent in bodies instead.
     */
    const segment = (value: unknown): string => {
      const text = typeof value === 'string' ? value : JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? inner.toString() : inner)) ?? 'null';
      return [...Buffer.from(text.slice(0, 1_000), 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
    };
    for (const route of routes) {
      const baseline = plausible(z.toJSONSchema(route.input, { unrepresentable: 'any', io: 'input' }) as JsonSchema) as Record<string, unknown>;
      for (const param of route.params) delete baseline[param];
      const fields = Object.keys(baseline);
      const request = fc.record({
        params: fc.array(fc.oneof(hostileValue.filter(withinBodyLimit), fc.constant('twsbp'), fc.constant('00000000-0000-4000-8000-000000000000')), { minLength: route.params.length, maxLength: route.params.length }),
        input: fc.array(fc.tuple(fieldOrPrototypeKey(fields), hostileValue.filter(withinBodyLimit)), { maxLength: 2 }),
        authenticated: fc.boolean(),
        rawBody: fc.oneof(fc.constant(undefined), fc.constantFrom('{"__proto__": {"admin": true}}', '[', 'null', '[]', '"x"', '{"a":'.repeat(5_000), `{"name": "${'\\u0000'.repeat(8)}"}`)),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ params, input, authenticated, rawBody }) => {
          let path = route.template;
          route.params.forEach((name, index) => (path = path.replace(`{${name}}`, segment(params[index]))));
          const headers: Record<string, string> = authenticated ? { authorization: `Bearer ${token}` } : {};
          const carriesBody = route.method === 'POST' || route.method === 'PATCH' || route.method === 'PUT';
          const replaced = new Map<string, unknown>(Object.entries(baseline));
          for (const [key, value] of input) replaced.set(key, value);
          const entries = [...replaced];
          let body: string | undefined;
          if (carriesBody) {
            headers['content-type'] = 'application/json';
            const object: Record<string, unknown> = {};
            for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
            body = rawBody ?? JSON.stringify(object, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
          } else if (entries.length > 0) {
            path += `?${entries.map(([key, value]) => `${segment(key)}=${segment(value)}`).join('&')}`;
          }
          const response = await fetch(`${test.app.url}${path}`, { method: route.method, headers, ...(body === undefined ? {} : { body }) });
          const text = await response.text();
          const where = `${route.method} ${route.template} → ${response.status}`;
          expect(response.status, `${where}: ${text.slice(0, 300)}`).toBeLessThan(500);
          assertNoSecret(text, where);
          if (response.status >= 400) expect(isProblem(JSON.parse(text)), where).toBe(true);
        }),
        { seed: SEED, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      );
    }
    expect((await fetch(`${test.app.url}/healthz`)).status).toBe(200);
  });
});
