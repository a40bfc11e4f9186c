// Response headers every answer of this process carries, by what is being answered: API JSON
// (never framed, never cached, nothing to execute), the API reference page (Swagger UI from our own
// files) and the web UI's pages (scripts only from our origin or with this response's nonce).
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

const COMMON: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  // For browsers without CSP frame-ancestors.
  'x-frame-options': 'DENY',
};

/** JSON answers: nothing in them may load, run or be framed. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * Swagger UI: its scripts and stylesheet are our own files (the initializer too, so no inline
 * script); React sets inline style attributes, which `style-src 'unsafe-inline'` allows without
 * allowing any script.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** API answers (JSON, metrics, health): the security headers plus `Cache-Control: no-store`. */
export function setApiHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(COMMON)) res.setHeader(name, value);
  res.setHeader('content-security-policy', API_CSP);
  res.setHeader('cache-control', 'no-store');
}

/** The API reference page and its files (public, cacheable: they hold no data). */
export function setDocsHeaders(res: ServerResponse): void {
  for (const [name, value] of Object.entries(COMMON)) res.setHeader(name, value);
  res.setHeader('content-security-policy', DOCS_CSP);
}

/** A fresh nonce for one HTML response's scripts. */
export function createCspNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The web UI's policy. Remix's hydration scripts carry `nonce`; everything else (modules, styles,
 * images) comes from our origin. No `form-action`: the single sign-on form answers with a redirect to
 * the identity provider, which browsers check against form-action. In development Vite's client
 * talks to its HMR socket and injects its own styles.
 */
export function webContentSecurityPolicy(nonce: string, options: { development: boolean }): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    options.development ? "connect-src 'self' ws: wss:" : "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
  ].join('; ');
}

/**
 * Headers of a web UI page or data answer. Pages show workspace data to a signed-in user, so none of
 * them may sit in a shared or back-button cache.
 */
export function webSecurityHeaders(nonce: string, options: { development: boolean }): Record<string, string> {
  return { ...COMMON, 'content-security-policy': webContentSecurityPolicy(nonce, options), 'cache-control': 'no-store' };
}
