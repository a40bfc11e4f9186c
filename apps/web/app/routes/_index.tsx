import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../lib/api.server';

/** Home: the user's first workspace (the seeded `twsbp` for a new install). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaces = await api.load((c) => c.workspaces.listMine({ limit: 1 }));
  const first = workspaces.items[0];
  return api.redirect(first ? `/w/${first.slug}` : '/workspaces/new');
}
