import { redirect, type ActionFunctionArgs } from '@remix-run/node';
import { apiFor } from '../lib/api.server';

export async function action({ request, context }: ActionFunctionArgs) {
  const api = await apiFor(request, context);
  if (api.user) await api.attempt((c) => c.auth.signOut());
  return api.redirect('/sign-in');
}

export function loader() {
  return redirect('/');
}
