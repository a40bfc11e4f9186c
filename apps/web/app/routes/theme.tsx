// Remembers the colour theme (lib/theme.ts). The top bar's toggle posts here with a fetcher and the
// page re-renders in place; without JavaScript the form also sends `redirectTo` and the browser
// comes back to the page it was on.
import { json, redirect, type ActionFunctionArgs } from '@remix-run/node';
import { invalidReturnPath, safeReturnPath } from '../lib/api.server';
import { isTheme, themeCookie } from '../lib/theme';

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const theme = form.get('theme');
  if (!isTheme(theme)) {
    const message = 'must be light, dark or system';
    return json({ error: 'invalid_input', message: `Theme ${message}`, details: { fields: [{ path: 'theme', message }] } }, { status: 400 });
  }
  const returnProblem = invalidReturnPath(form);
  if (returnProblem) return json(returnProblem, { status: 400 });
  const headers = { 'set-cookie': themeCookie(theme, context.studio.requestMeta.tls || new URL(request.url).protocol === 'https:') };
  const redirectTo = form.get('redirectTo');
  if (typeof redirectTo === 'string') return redirect(safeReturnPath(redirectTo), { headers });
  return json({ theme }, { headers });
}

export function loader() {
  return redirect('/');
}
