import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { projectionOf } from './output-projection';
import { connectionVerdictsOutput, pageOf, timestamp } from './routers/_outputs';
import { createCallerFactory, publicProcedure, router } from './trpc';

/** Shaped like a page of connections (nested nullable object, options, dates), kept here so the test does not follow every new column. */
const connectionLike = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  type: z.enum(['mssql', 'postgres', 'mysql']),
  port: z.number().int(),
  user: z.string().nullable(),
  hasPassword: z.boolean(),
  options: z.object({ tls: z.boolean().optional(), poolSize: z.number().int().optional() }),
  lastTls: z.object({ mode: z.string(), encrypted: z.boolean(), cipher: z.string().optional() }).nullable(),
  lastTestedAt: timestamp.nullable(),
  createdAt: timestamp,
});

function connectionRow(name: string) {
  return {
    id: randomUUID(),
    name,
    description: null,
    type: 'mssql' as const,
    port: 1433,
    user: null,
    hasPassword: true,
    options: { tls: true, poolSize: 5 },
    lastTls: null,
    lastTestedAt: new Date('2026-01-02T03:04:05Z'),
    createdAt: new Date('2026-01-01T00:00:00Z'),
  };
}

describe('output projection', () => {
  it('answers what zod would for a page of connections, leaving out every undeclared key at every depth', () => {
    const schema = pageOf(connectionLike);
    const page = {
      items: [
        { ...connectionRow('a'), userEncrypted: 'gcm1:1:iv:tag:ciphertext', options: { tls: false, secret: 'x' } },
        { ...connectionRow('b'), passwordEncrypted: 'gcm1:1:iv:tag:other', lastTls: { mode: 'strict', encrypted: true, cipher: 'TLS_AES_256_GCM_SHA384', secret: 'x' } },
      ],
      nextCursor: null,
      total: 2,
    };
    const projected = projectionOf(schema)(page);
    expect(projected).toEqual(schema.parse(page));
    expect(JSON.stringify(projected)).not.toMatch(/ciphertext|gcm1|secret|total/);
  });

  it('leaves unions, defaults and transforms to zod', () => {
    const verdicts = Object.fromEntries(Object.keys(connectionVerdictsOutput.shape).map((action) => [action, { allowed: false, reason: 'Ask an Owner', hint: 'internal' }]));
    expect(projectionOf(connectionVerdictsOutput)(verdicts)).toEqual(connectionVerdictsOutput.parse(verdicts));
    const schema = z.object({ kept: z.string(), filled: z.number().default(7), shouted: z.string().transform((s) => s.toUpperCase()) });
    expect(projectionOf(schema)({ kept: 'k', shouted: 'hi', extra: 1 })).toEqual({ kept: 'k', filled: 7, shouted: 'HI' });
  });

  it('keeps the undeclared keys of a loose object, and strips those of a strict one', () => {
    expect(projectionOf(z.looseObject({ a: z.string() }))({ a: 'x', b: 1 })).toEqual({ a: 'x', b: 1 });
    expect(projectionOf(z.strictObject({ a: z.string() }))({ a: 'x', b: 1 })).toEqual({ a: 'x' });
  });

  it('is what a procedure answers: a key the handler returns but the output does not declare never reaches the caller', async () => {
    const leaky = router({
      get: publicProcedure.output(z.object({ name: z.string(), nested: z.array(z.object({ id: z.number() })) })).query(() => ({
        name: 'visible',
        passwordHash: 'argon2id$…',
        nested: [{ id: 1, tokenHash: 'abc' }],
      })),
    });
    const answer = await createCallerFactory(leaky)({} as never).get();
    expect(answer).toEqual({ name: 'visible', nested: [{ id: 1 }] });
  });
});
