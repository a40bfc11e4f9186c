// Search-as-you-type for "add member" on the Access page: active people whose username or name
// starts with `q`. A resource route (JSON only), called by a fetcher.
import type { LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../lib/api.server';

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const query = new URL(request.url).searchParams.get('q')?.trim() ?? '';
  if (query === '') return api.json({ people: [] });
  const result = await api.attempt((c) => c.workspaces.searchUsers({ workspaceSlug: params.slug ?? '', query: query.slice(0, 64), limit: 8 }));
  return api.json({ people: result.ok ? result.value : [] }, { status: result.ok ? 200 : result.status });
}
