// The colour theme: the toggle's POST sets a year-long cookie (with script: a JSON answer; without:
// back to the page it came from), anything but light/dark/system is a 400 naming the field, and
// the root loader reads the cookie so the server renders the chosen theme.
import type { AppLoadContext } from '@remix-run/node';
import { describe, expect, it } from 'vitest';
import * as root from '../app/root';
import * as theme from '../app/routes/theme';
import { callRoute, routeRequest, type RouteFn } from './support';

// The theme route reads only whether the request came over TLS; it touches no service.
const context = { studio: { requestMeta: { ip: '198.51.100.9', userAgent: 'route-test', tls: false } } } as unknown as AppLoadContext;

describe('theme', () => {
  it('remembers the choice in a cookie and answers the script with the theme', async () => {
    const response = await callRoute(theme.action as RouteFn, context, routeRequest({ path: '/theme', form: { theme: 'dark' } }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ theme: 'dark' });
    expect(response.headers.get('set-cookie')).toMatch(/^studio_theme=dark; Path=\/; Max-Age=31536000; SameSite=Lax; HttpOnly$/);
  });

  it('without script, goes back to the page, never to another site', async () => {
    const back = await callRoute(theme.action as RouteFn, context, routeRequest({ path: '/theme', form: { theme: 'light', redirectTo: '/w/twsbp/sql?x=1' } }));
    expect(back.status).toBe(302);
    expect(back.headers.get('location')).toBe('/w/twsbp/sql?x=1');
    expect(back.headers.get('set-cookie')).toMatch(/^studio_theme=light;/);
    const away = await callRoute(theme.action as RouteFn, context, routeRequest({ path: '/theme', form: { theme: 'light', redirectTo: '//evil.example/' } }));
    expect(away.headers.get('location')).toBe('/');
  });

  it('refuses a theme it does not know, naming the field', async () => {
    const response = await callRoute(theme.action as RouteFn, context, routeRequest({ path: '/theme', form: { theme: 'purple' } }));
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_input', details: { fields: [{ path: 'theme' }] } });
    expect(response.headers.get('set-cookie')).toBeNull();
  });

  it('the root renders the theme in the cookie, and the system theme otherwise', async () => {
    const load = (cookie?: string) => (root.loader as (args: { request: Request }) => { theme: string })({ request: routeRequest({ path: '/', cookie }) });
    expect(load('other=1; studio_theme=dark').theme).toBe('dark');
    expect(load('studio_theme=purple').theme).toBe('system');
    expect(load().theme).toBe('system');
  });
});
