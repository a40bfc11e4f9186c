import { describe, expect, it } from 'vitest';
import { checkbox, fieldErrorsOf, integer, text, valuesOf } from './forms';

describe('fieldErrorsOf', () => {
  it('puts each zod issue on its field path, first message wins', () => {
    const problem = {
      error: 'invalid_input',
      message: 'Invalid input',
      details: {
        fields: [
          { path: 'connection.port', message: 'expected number' },
          { path: 'connection.port', message: 'too big' },
          { path: 'name', message: 'required' },
        ],
      },
    };
    expect(fieldErrorsOf(problem)).toEqual({ 'connection.port': 'expected number', name: 'required' });
  });

  it('maps a single-field problem (conflict, outbound policy) through the form’s aliases', () => {
    const problem = { error: 'outbound_refused', message: 'Host 169.254.169.254 is not allowed', details: { field: 'host', reason: 'link_local' } };
    expect(fieldErrorsOf(problem, { host: 'connection.host' })).toEqual({ 'connection.host': 'Host 169.254.169.254 is not allowed' });
  });
});

describe('form readers', () => {
  const form = new FormData();
  form.set('name', '  Staging ');
  form.set('blank', '   ');
  form.set('port', '14a');
  form.set('tls', 'on');
  form.set('connection.password', 'hunter2-secret');
  form.set('password', 'also-secret');

  it('trim text, treat blanks as absent, and pass bad numbers on for zod to name', () => {
    expect(text(form, 'name')).toBe('Staging');
    expect(text(form, 'blank')).toBeUndefined();
    expect(integer(form, 'port')).toBeNaN();
    expect(integer(form, 'missing')).toBeUndefined();
    expect(checkbox(form, 'tls')).toBe(true);
    expect(checkbox(form, 'missing')).toBe(false);
  });

  it('give the input back without any password', () => {
    expect(valuesOf(form)).toEqual({ name: '  Staging ', blank: '   ', port: '14a', tls: 'on' });
  });

  it('never echoes a field whose name says password, whatever its case or prefix', () => {
    const form = new FormData();
    form.set('username', 'maria');
    for (const key of ['currentPassword', 'newPassword', 'confirmPassword', 'connection.password']) form.set(key, 'secret value');
    expect(valuesOf(form)).toEqual({ username: 'maria' });
  });
});
