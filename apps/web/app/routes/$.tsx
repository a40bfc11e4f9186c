// Any URL no route matches: a proper 404 page (rendered by the root ErrorBoundary).
import { json } from '@remix-run/node';

export function loader() {
  throw json({ error: 'not_found', message: 'There is no page at this address.', details: {} }, { status: 404 });
}

export default function NotFound() {
  return null;
}
