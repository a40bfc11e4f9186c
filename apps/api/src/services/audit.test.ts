import { describe, expect, it } from 'vitest';
import { redactSecrets } from './audit';

describe('redactSecrets', () => {
  it('replaces secret-looking keys at any depth, in arrays too, leaving the rest', () => {
    const input = {
      name: 'warehouse',
      password: 'p1',
      nested: { apiToken: 't1', deeper: [{ clientSecret: 's1', host: 'h' }], Authorization: 'Bearer x' },
      sessionId: 'sid',
      passwordEncrypted: 'gcm1:…',
      changed: ['password', 'host'],
    };
    const out = redactSecrets(input);
    expect(out).toEqual({
      name: 'warehouse',
      password: '[redacted]',
      nested: { apiToken: '[redacted]', deeper: [{ clientSecret: '[redacted]', host: 'h' }], Authorization: '[redacted]' },
      sessionId: '[redacted]',
      passwordEncrypted: '[redacted]',
      changed: ['password', 'host'],
    });
    const serialized = JSON.stringify(out);
    for (const secret of ['p1', 't1', 's1', 'Bearer x', 'sid']) expect(serialized).not.toContain(`"${secret}"`);
    expect(input.password).toBe('p1');
  });

  it('survives cycles', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactSecrets(a)).toEqual({ name: 'a', self: '[circular]' });
  });
});
