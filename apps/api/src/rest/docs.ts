// The API reference page at /api/docs: Swagger UI from the installed swagger-ui-dist package (no
// CDN), pointed at /api/openapi.json. Only the files the page needs are served, from memory.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const DOCS_PATH = '/api/docs';
export const OPENAPI_PATH = '/api/openapi.json';

// A Map, not an object literal: the file name comes from the request, and `name in {}` is true for
// `constructor`, `toString` and every other inherited key.
const assets = new Map<string, string>([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['swagger-ui-standalone-preset.js', 'text/javascript; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
  ['favicon-16x16.png', 'image/png'],
]);

// Its own file rather than an inline script, so a strict Content-Security-Policy can stay strict.
const initializer = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '${OPENAPI_PATH}',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: false,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout'
  });
});
`;

const page = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Workspace Studio API reference</title>
  <link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${DOCS_PATH}/swagger-ui-bundle.js" charset="utf-8"></script>
  <script src="${DOCS_PATH}/swagger-ui-standalone-preset.js" charset="utf-8"></script>
  <script src="${DOCS_PATH}/swagger-initializer.js" charset="utf-8"></script>
</body>
</html>
`;

interface Asset {
  body: Buffer;
  contentType: string;
}

export class ApiDocs {
  readonly #cache = new Map<string, Promise<Asset | undefined>>();
  readonly #dist = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

  /** Whether `pathname` is the page or one of its files. */
  handles(pathname: string): boolean {
    return pathname === DOCS_PATH || pathname === `${DOCS_PATH}/` || pathname.startsWith(`${DOCS_PATH}/`);
  }

  async serve(pathname: string, res: ServerResponse): Promise<void> {
    const name = pathname === DOCS_PATH || pathname === `${DOCS_PATH}/` ? 'index.html' : pathname.slice(DOCS_PATH.length + 1);
    const asset = await this.#asset(name);
    if (!asset) {
      const body = JSON.stringify({ error: 'not_found', message: `No such documentation file: ${name}`, details: {} });
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': asset.contentType, 'content-length': asset.body.length, 'cache-control': 'public, max-age=3600' });
    res.end(asset.body);
  }

  #asset(name: string): Promise<Asset | undefined> {
    if (name !== 'index.html' && name !== 'swagger-initializer.js' && !assets.has(name)) return Promise.resolve(undefined);
    let cached = this.#cache.get(name);
    if (!cached) {
      cached = this.#load(name);
      this.#cache.set(name, cached);
      // A failed read is not remembered: the next request tries the file again.
      cached.catch(() => this.#cache.delete(name));
    }
    return cached;
  }

  async #load(name: string): Promise<Asset | undefined> {
    if (name === 'index.html') return { body: Buffer.from(page), contentType: 'text/html; charset=utf-8' };
    if (name === 'swagger-initializer.js') return { body: Buffer.from(initializer), contentType: 'text/javascript; charset=utf-8' };
    // Only the listed files reach the file system (no traversal, and the cache stays bounded).
    const contentType = assets.get(name);
    if (contentType === undefined) return undefined;
    return { body: await readFile(join(this.#dist, name)), contentType };
  }
}
