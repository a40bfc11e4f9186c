import { describe, expect, it } from 'vitest';
import { hideLogin } from './server-messages';

describe('hideLogin', () => {
  it('takes the login out of the refusals of each database type', () => {
    expect(hideLogin("Login failed for user 'app_login'.", null)).toBe("Login failed for user '(hidden)'.");
    expect(hideLogin('password authentication failed for user "app_login"', null)).toBe('password authentication failed for user "(hidden)"');
    expect(hideLogin("Access denied for user 'app_login'@'10.0.0.1' (using password: YES)", null)).toBe("Access denied for user '(hidden)'@'10.0.0.1' (using password: YES)");
  });

  it('hides the known login wherever the server quotes or brackets it', () => {
    expect(hideLogin('role "app_login" does not exist', 'app_login')).toBe('role "(hidden)" does not exist');
    expect(hideLogin('Cannot open database requested by the login [app_login]. The login failed.', 'app_login')).toBe('Cannot open database requested by the login [(hidden)]. The login failed.');
    // Not a quoted login: left alone (a short name must not eat other words).
    expect(hideLogin('Database sales is not available', 'sa')).toBe('Database sales is not available');
  });
});
