import { useRouteLoaderData } from '@remix-run/react';
import type { loader } from '../routes/w.$slug';

/**
 * The workspace layout's data (current workspace with the caller's role, the user, their
 * workspaces), for any page under /w/:slug.
 */
export function useWorkspace() {
  const data = useRouteLoaderData<typeof loader>('routes/w.$slug');
  if (!data) throw new Error('useWorkspace() is only available under /w/:slug');
  return data;
}
