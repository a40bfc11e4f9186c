// The new-password pair used wherever someone chooses a password (account, forced change, invite).
import { Field } from './form';

export const PASSWORD_RULES = 'At least 12 characters, not your username, not a common password.';

export function NewPasswordFields({ errors, label = 'New password' }: { errors: Record<string, string>; label?: string }) {
  return (
    <>
      <Field name="newPassword" label={label} type="password" autoComplete="new-password" required error={errors.newPassword ?? errors.password} hint={PASSWORD_RULES} />
      <Field name="confirmPassword" label={label === 'New password' ? 'Repeat the new password' : `Repeat the ${label.toLowerCase()}`} type="password" autoComplete="new-password" required error={errors.confirmPassword} />
    </>
  );
}
