import type { HeadersFunction } from '@remix-run/node';

/**
 * The headers of a page answered by an error boundary keep the error's Retry-After (a 503 while a
 * dependency is down, a 429), so browsers and proxies see when to come back, not only the page's
 * countdown. Remix hands the thrown response's headers to the boundary route's headers function
 * only, so every route with an ErrorBoundary exports this (test/error-headers.test.ts checks);
 * what the parent route set is kept.
 */
export const errorPageHeaders: HeadersFunction = ({ parentHeaders, errorHeaders }) => {
  const headers = new Headers(parentHeaders);
  const retryAfter = errorHeaders?.get('retry-after');
  if (retryAfter) headers.set('retry-after', retryAfter);
  return headers;
};
