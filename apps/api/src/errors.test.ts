import { Writable } from 'node:stream';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { errorFormatter, problemOf, toTRPCError } from './errors';
import { createLogger } from './logger';
import { CircuitOpenError, PoolClosedError, PoolCreateError } from '@studio/mssql-pool';
import { ForbiddenError, RateLimitedError } from './services/errors';
import { OutboundPolicyError } from './services/outbound-policy';

function capturingLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('error', sink), lines };
}

const wrap = (cause: unknown) => new TRPCError({ code: 'INTERNAL_SERVER_ERROR', cause });

describe('toTRPCError', () => {
  it('hides unknown errors behind a generic message and logs them', () => {
    const { logger, lines } = capturingLogger();
    const mapped = toTRPCError(wrap(new Error('connect ECONNREFUSED postgres://u:hunter2@db')), { logger, path: 'x.y' });
    expect(mapped.code).toBe('INTERNAL_SERVER_ERROR');
    expect(problemOf(mapped)).toEqual({ error: 'internal_error', message: 'Internal server error', details: {} });
    expect(lines.join('')).toContain('unhandled error in procedure');
  });

  it('maps named service errors to their codes', () => {
    expect(toTRPCError(wrap(new ForbiddenError('no'))).code).toBe('FORBIDDEN');
    const limited = toTRPCError(wrap(new RateLimitedError('list', 42, 60)));
    expect(limited.code).toBe('TOO_MANY_REQUESTS');
    expect(problemOf(limited).details).toMatchObject({ retryAfterSeconds: 42 });
  });

  it('maps an outbound refusal to FORBIDDEN with the reason and field', () => {
    const refusal = new OutboundPolicyError({ allowed: false, reason: 'cloud_metadata', address: '169.254.169.254', message: 'Host 169.254.169.254 is a cloud metadata address' });
    const mapped = toTRPCError(wrap(refusal));
    expect(mapped.code).toBe('FORBIDDEN');
    expect(problemOf(mapped)).toMatchObject({ error: 'outbound_refused', details: { reason: 'cloud_metadata', field: 'host' } });
  });

  it('maps driver constraint errors without echoing the server detail', () => {
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
      constraint: 'workspaces_slug_key',
      detail: 'Key (slug)=(secret-slug) already exists.',
    });
    const mapped = toTRPCError(wrap(pgError));
    expect(mapped.code).toBe('CONFLICT');
    expect(JSON.stringify(problemOf(mapped))).not.toContain('secret-slug');
    expect(problemOf(mapped).details).toMatchObject({ field: 'slug' });
  });

  it('formats into shape.data without a stack', () => {
    const shape = { code: -32603, message: 'x', data: { code: 'INTERNAL_SERVER_ERROR' as const, httpStatus: 500, stack: 'at secret.ts:1', path: 'a.b' } };
    const formatted = errorFormatter({ shape, error: wrap(new Error('boom')) });
    expect(formatted.data).toEqual({ error: 'internal_error', message: 'Internal server error', details: {}, code: 'INTERNAL_SERVER_ERROR', httpStatus: 500, path: 'a.b' });
    expect(JSON.stringify(formatted)).not.toContain('secret.ts');
  });
});

describe('pool manager errors', () => {
  const loginFailed = new PoolCreateError(
    'ws:conn:abcdef',
    'mssql',
    { number: 18456, sqlState: undefined, driverCode: 'ELOGIN', transient: false, connectionLost: false },
    new Error("Login failed for user 'app'."),
  );

  it('a refused login is connection_operation_failed with the number, as BAD_REQUEST', () => {
    const mapped = toTRPCError(wrap(loginFailed));
    expect(mapped.code).toBe('BAD_REQUEST');
    expect(problemOf(mapped)).toMatchObject({ error: 'connection_operation_failed', details: { reason: 'authentication_failed', database_type: 'mssql', error_code: '18456' } });
  });

  it('an open circuit and a closed manager are SERVICE_UNAVAILABLE', () => {
    const circuit = toTRPCError(wrap(new CircuitOpenError('ws:conn:abcdef', 5, Date.now() + 30_000, loginFailed)));
    expect(circuit.code).toBe('SERVICE_UNAVAILABLE');
    expect(problemOf(circuit)).toMatchObject({ error: 'connection_operation_failed', details: { reason: 'authentication_failed', error_code: '18456' } });
    const closed = toTRPCError(wrap(new PoolClosedError()));
    expect(closed.code).toBe('SERVICE_UNAVAILABLE');
    expect(problemOf(closed).details).toMatchObject({ reason: 'pool_closed', error_code: null });
  });
});
