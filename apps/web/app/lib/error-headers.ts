import type { HeadersFunction } from '@remix-run/node';

/**
 * The headers of a page answered by an error boundary keep the error's Retry-After (a 503 while a
 * dependency is down, a 429), so browsers and proxies see when to come back, not only the page's
 * countdown. Remix passes the thrown response's headers to the boundary route's headers function
 * only: every route with an ErrorBoundary exports this (the others inherit their parent's).
 */
export const errorPageHeaders: HeadersFunction = ({ errorHeaders }) => {
  const retryAfter = errorHeaders?.get('retry-after');
  return retryAfter ? { 'retry-after': retryAfter } : new Headers();
};
