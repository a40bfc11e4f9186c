// The REST view of the tRPC router: every procedure with `meta.openapi` becomes one route. The
// route table (matching, input schema) and the OpenAPI document are both derived from here, so
// what is served and what is documented cannot drift apart.
import { z } from 'zod';
import type { AnyProcedure, AnyRouter } from '@trpc/server';
import type { OpenApiMeta, OpenApiMethod } from 'trpc-to-openapi';

type OpenApiSettings = NonNullable<OpenApiMeta['openapi']>;

export interface RestRoute {
  method: OpenApiMethod;
  /** The path template as declared, e.g. `/api/v1/workspaces/{workspaceSlug}/connections`. */
  template: string;
  /** The tRPC path, e.g. `connections.list`. */
  procedurePath: string;
  type: 'query' | 'mutation';
  /** Names of the `{params}` in the template, in order. */
  params: string[];
  /** What a REST caller sends (path + query or body): the procedure's inputs merged, see restInputOf. */
  input: z.ZodObject;
  output: z.ZodType;
  openapi: OpenApiSettings;
  /** Content types of a streamed download (meta.download); undefined for JSON answers. */
  download: readonly string[] | undefined;
  /** Content types of a streamed upload (meta.upload): the body is the file, not JSON. */
  upload: readonly string[] | undefined;
  /** Literal segments count before parameters, so `/connections/pool-stats` wins over `/connections/{connectionId}`. */
  pattern: RegExp;
}

interface ProcedureDef {
  type: 'query' | 'mutation' | 'subscription';
  meta?: OpenApiMeta & { download?: { contentTypes: readonly string[] }; upload?: { contentTypes: readonly string[] } };
  inputs: unknown[];
  output?: unknown;
}

function defOf(procedure: AnyProcedure): ProcedureDef {
  return procedure._def as unknown as ProcedureDef;
}

function objectOf(schema: unknown, where: string): z.ZodObject {
  let current = schema;
  // `z.object(...).optional()` (workspaces.listMine) is an object for REST purposes.
  while (current instanceof z.ZodOptional) current = current.unwrap();
  if (!(current instanceof z.ZodObject)) throw new RestRouteError(`${where}: a REST procedure's inputs must be zod objects`);
  return current;
}

/**
 * The procedure's input as REST sees it: all `.input()` objects merged (refinements are checked by
 * the procedure itself when it runs), and for workspace procedures the workspace is the
 * `{workspaceSlug}` path parameter only; `workspaceId` is a tRPC convenience not offered over REST.
 */
function restInputOf(def: ProcedureDef, where: string): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const input of def.inputs) Object.assign(shape, objectOf(input, where).shape);
  if ('workspaceSlug' in shape) {
    delete shape.workspaceId;
    shape.workspaceSlug = z.string().min(1).max(64).meta({ description: 'The workspace slug' });
  }
  return z.object(shape);
}

function patternOf(template: string): RegExp {
  const source = template
    .split('/')
    .map((segment) => (/^\{\w+\}$/.test(segment) ? `(?<${segment.slice(1, -1)}>[^/]+)` : segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

/** Fewer parameters first, then the position of the first parameter later = more specific. */
function specificity(route: RestRoute): [number, number] {
  const segments = route.template.split('/');
  const first = segments.findIndex((segment) => segment.startsWith('{'));
  return [route.params.length, -(first === -1 ? segments.length : first)];
}

export class RestRouteError extends Error {
  readonly code = 'invalid_rest_route';
  constructor(message: string) {
    super(message);
    this.name = 'RestRouteError';
  }
}

/** Every procedure with `meta.openapi` (and not `enabled: false`), checked once at startup. */
export function collectRestRoutes(router: AnyRouter): RestRoute[] {
  const routes: RestRoute[] = [];
  const seen = new Set<string>();
  for (const [procedurePath, procedure] of Object.entries(router._def.procedures as Record<string, AnyProcedure>)) {
    const def = defOf(procedure);
    const openapi = def.meta?.openapi;
    if (!openapi || openapi.enabled === false) continue;
    const where = `${procedurePath} (${openapi.method} ${openapi.path})`;
    if (def.type === 'subscription') throw new RestRouteError(`${where}: subscriptions cannot be REST routes`);
    if (!openapi.path.startsWith('/api/v1/')) throw new RestRouteError(`${where}: REST paths start with /api/v1/`);
    if (!(def.output instanceof z.ZodType)) throw new RestRouteError(`${where}: a REST procedure needs .output(schema)`);
    const key = `${openapi.method} ${openapi.path.replace(/\{\w+\}/g, '{}')}`;
    if (seen.has(key)) throw new RestRouteError(`${where}: another procedure already serves this route`);
    seen.add(key);
    const params = [...openapi.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
    const input = restInputOf(def, where);
    for (const param of params) {
      if (!(param in input.shape)) throw new RestRouteError(`${where}: path parameter {${param}} is not an input field`);
    }
    routes.push({
      method: openapi.method,
      template: openapi.path,
      procedurePath,
      type: def.type,
      params,
      input,
      output: def.output,
      openapi,
      download: def.meta?.download?.contentTypes,
      upload: def.meta?.upload?.contentTypes,
      pattern: patternOf(openapi.path),
    });
  }
  return routes.sort((a, b) => {
    const [pa, fa] = specificity(a);
    const [pb, fb] = specificity(b);
    return pa - pb || fa - fb;
  });
}

export interface RouteMatch {
  route: RestRoute;
  params: Record<string, string>;
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A malformed escape is passed on as typed; the input schema then names the field.
    return value;
  }
}

/** Segments of a path, a trailing slash ignored (templates match with or without one). */
function segmentCount(path: string): number {
  return (path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path).split('/').length;
}

export class RestRouteTable {
  /**
   * Routes by their number of segments, in table order: a path is tried only against the routes it
   * could match (a dozen rather than every route's pattern, on every request).
   */
  readonly #bySegments = new Map<number, RestRoute[]>();

  constructor(readonly routes: readonly RestRoute[]) {
    for (const route of routes) {
      const count = segmentCount(route.template);
      this.#bySegments.set(count, [...(this.#bySegments.get(count) ?? []), route]);
    }
  }

  /** The route for a method and path; `allowed` lists the methods the path has when the method is wrong. */
  match(method: string, pathname: string): { match?: RouteMatch; allowed: string[] } {
    const allowed: string[] = [];
    for (const route of this.#bySegments.get(segmentCount(pathname)) ?? []) {
      const found = route.pattern.exec(pathname);
      if (!found) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = Object.create(null) as Record<string, string>;
      for (const [name, value] of Object.entries(found.groups ?? {})) params[name] = decodeSegment(value);
      return { match: { route, params }, allowed };
    }
    return { allowed: [...new Set(allowed)] };
  }
}
