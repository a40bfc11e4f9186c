// An error page keeps the error's Retry-After: Remix hands a thrown response's headers only to the
// headers function of the route whose ErrorBoundary renders it, so every such route must export one.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorPageHeaders } from '../app/lib/error-headers';

const app = fileURLToPath(new URL('../app', import.meta.url));

describe('error page headers', () => {
  it('carries the thrown Retry-After and keeps what the parent route set', () => {
    const headers = new Headers(
      errorPageHeaders({
        errorHeaders: new Headers({ 'retry-after': '5', 'content-type': 'application/json' }),
        parentHeaders: new Headers({ 'x-parent': 'kept' }),
        loaderHeaders: new Headers(),
        actionHeaders: new Headers(),
      }),
    );
    expect(headers.get('retry-after')).toBe('5');
    expect(headers.get('x-parent')).toBe('kept');
    expect(headers.get('content-type')).toBeNull();
    const none = new Headers(errorPageHeaders({ errorHeaders: undefined, parentHeaders: new Headers(), loaderHeaders: new Headers(), actionHeaders: new Headers() }));
    expect(none.get('retry-after')).toBeNull();
  });

  it('is exported as headers by every route that has an ErrorBoundary', () => {
    const files = [join(app, 'root.tsx'), ...readdirSync(join(app, 'routes')).map((name) => join(app, 'routes', name))];
    const withBoundary = files.filter((file) => /export (function ErrorBoundary|\{ PageErrorBoundary as ErrorBoundary \})/.test(readFileSync(file, 'utf8')));
    expect(withBoundary.length).toBeGreaterThan(20);
    const missing = withBoundary.filter((file) => !/export (const headers = errorPageHeaders|\{ errorPageHeaders as headers \})/.test(readFileSync(file, 'utf8')));
    expect(missing).toEqual([]);
  });
});
