// What the pages outside any workspace (Account, People, the forced password change) share on the
// server: the signed-in person for the top bar, and the "type it twice" check of a new password.
import type { Api } from './api.server';
import type { ActionResult } from './forms';
import type { SignedInUser } from '../components/user-menu';

export async function signedInUser(api: Api): Promise<SignedInUser & { systemRole: string; hasPassword: boolean; signIn: string; email: string | null }> {
  const account = await api.load((c) => c.account.get());
  return {
    username: account.username,
    displayName: account.displayName,
    isSystemAdmin: account.systemRole === 'Admin',
    systemRole: account.systemRole,
    hasPassword: account.hasPassword,
    signIn: account.signIn,
    email: account.email,
  };
}

/**
 * The new password and its confirmation must match before the API is asked (the API never sees the
 * confirmation). Answers the refusal to show, or null.
 */
export function confirmationMismatch(form: FormData, intent?: string): (ActionResult & { ok: false }) | null {
  const password = String(form.get('newPassword') ?? '');
  const confirmation = String(form.get('confirmPassword') ?? '');
  if (password === confirmation) return null;
  return {
    ok: false,
    intent,
    problem: { error: 'invalid_input', message: 'The two new passwords differ', details: { field: 'confirmPassword' } },
    fieldErrors: { confirmPassword: 'does not match the new password' },
    values: {},
  };
}
