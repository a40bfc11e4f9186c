// What a procedure's `.output(schema)` does at run time. tRPC would parse every answer against the
// schema, re-checking each field of what the service has just built from explicit columns and what
// the compiler has already checked against the same schema (a 25-row page: 25 uuids, enums and
// dates per call). What the schema must still guarantee at run time is that nothing undeclared
// reaches a client (a column a service forgot to leave out), so an answer is cut down to the
// declared keys, at every depth, and not validated again. Where cutting needs the schema's own
// judgement (a union picks its branch, a default fills in, a transform runs), that part of the
// answer is parsed by zod as before.
import { TRPCError, type AnyRouter } from '@trpc/server';
import { z } from 'zod';

type Project = (value: unknown) => unknown;

const PASS_THROUGH = new Set([
  'string',
  'number',
  'int',
  'boolean',
  'bigint',
  'date',
  'enum',
  'literal',
  'null',
  'undefined',
  'any',
  'unknown',
  'nan',
  'template_literal',
  'symbol',
]);

const asIs: Project = (value) => value;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

interface Cut {
  project: Project;
  /** Zod parses this part (it may also make a value out of nothing: a default). */
  byZod: boolean;
}

const byZod = (schema: z.ZodType): Cut => ({ project: (value) => schema.parse(value), byZod: true });

/** The cut of one schema, built once per procedure; unknown kinds of schema fall back to zod. */
export function projectionOf(schema: z.ZodType): Project {
  return cutOf(schema).project;
}

function cutOf(schema: z.ZodType): Cut {
  const def = schema._zod.def as z.core.$ZodTypeDef;
  if (PASS_THROUGH.has(def.type)) return { project: asIs, byZod: false };
  switch (def.type) {
    case 'object': {
      const catchall = (def as z.core.$ZodObjectDef).catchall?._zod.def.type;
      // No catchall (strip) or `never` (strict): undeclared keys go. `unknown`/`any` (loose): they stay.
      if (catchall !== undefined && catchall !== 'never' && catchall !== 'unknown' && catchall !== 'any') return byZod(schema);
      const keepOthers = catchall === 'unknown' || catchall === 'any';
      const fields = Object.entries((schema as z.ZodObject).shape).map(([key, field]) => ({ key, ...cutOf(field as z.ZodType) }));
      const declared = new Set(fields.map(({ key }) => key));
      return {
        byZod: false,
        project: (value) => {
          if (!isPlainObject(value)) return value;
          const out: Record<string, unknown> = {};
          for (const field of fields) {
            if (field.key in value) out[field.key] = field.project(value[field.key]);
            else if (field.byZod) {
              // As zod would: an absent field's schema still runs (a default fills it in).
              const made = field.project(undefined);
              if (made !== undefined) out[field.key] = made;
            }
          }
          if (keepOthers) for (const key of Object.keys(value)) if (!declared.has(key)) out[key] = value[key];
          return out;
        },
      };
    }
    case 'array': {
      const element = cutOf((schema as z.ZodArray<z.ZodType>).element);
      if (element.project === asIs) return element;
      return { byZod: false, project: (value) => (Array.isArray(value) ? value.map(element.project) : value) };
    }
    case 'optional':
    case 'nullable': {
      const inner = cutOf((schema as z.ZodOptional<z.ZodType>).unwrap());
      // What an absent or null value becomes under a default or a transform is zod's to say.
      if (inner.byZod) return byZod(schema);
      if (inner.project === asIs) return inner;
      return { byZod: false, project: (value) => (value === undefined || value === null ? value : inner.project(value)) };
    }
    case 'record': {
      const entry = cutOf((def as z.core.$ZodRecordDef).valueType as z.ZodType);
      if (entry.byZod) return byZod(schema);
      if (entry.project === asIs) return entry;
      return {
        byZod: false,
        project: (value) => {
          if (!isPlainObject(value)) return value;
          const out: Record<string, unknown> = {};
          for (const key of Object.keys(value)) out[key] = entry.project(value[key]);
          return out;
        },
      };
    }
  }
  return byZod(schema);
}

/**
 * A frozen answer is one a service hands to every caller as it is (a cached page, decision 023): its
 * cut is made once, kept as long as the answer lives, and frozen in turn so the REST writer can
 * serialise it once too. Anything else is cut on every call.
 */
function sharedOnce(project: Project): Project {
  const cuts = new WeakMap<object, unknown>();
  return (value) => {
    if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return project(value);
    if (cuts.has(value)) return cuts.get(value);
    const cut = freezeDeep(project(value));
    cuts.set(value, cut);
    return cut;
  };
}

/**
 * `encode` made once per frozen answer (the same page handed to every caller) and kept as long as
 * the answer lives; anything else is encoded on every call. The REST writer's JSON and tRPC's
 * superjson use it, so a cached page is serialised once whichever way it leaves.
 */
export function encodedOncePerAnswer<T>(encode: (value: unknown) => T): (value: unknown) => T {
  const encoded = new WeakMap<object, T>();
  return (value) => {
    if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return encode(value);
    let result = encoded.get(value);
    if (result === undefined) {
      result = encode(value);
      encoded.set(value, result);
    }
    return result;
  };
}

function freezeDeep(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date || Object.isFrozen(value)) return value;
  for (const inner of Object.values(value)) freezeDeep(inner);
  return Object.freeze(value);
}

/** Marks the output middlewares already replaced (routers nest, so a procedure is seen more than once). */
const PROJECTED = Symbol('projected output');

interface ProcedureInternals {
  _def: { output?: unknown; middlewares: ((opts: { next: () => Promise<MiddlewareResult> }) => Promise<MiddlewareResult>)[] & { [PROJECTED]?: true } };
}

type MiddlewareResult = { ok: true; data: unknown } | { ok: false };

/**
 * Replaces tRPC's output validation of every procedure in `router` with the cut above. tRPC keeps
 * a procedure's middlewares in `_def.middlewares` (its output check is the one marked `_type:
 * 'output'`) and reads that array on every call; the REST route table reads `_def` the same way.
 */
export function projectOutputs<Router extends AnyRouter>(router: Router): Router {
  for (const procedure of Object.values(router._def.procedures as Record<string, ProcedureInternals>)) {
    const { output, middlewares } = procedure._def;
    if (!(output instanceof z.ZodType) || middlewares[PROJECTED]) continue;
    const index = middlewares.findIndex((middleware) => (middleware as { _type?: string })._type === 'output');
    if (index === -1) continue;
    const project = sharedOnce(projectionOf(output));
    const cut = async ({ next }: { next: () => Promise<MiddlewareResult> }): Promise<MiddlewareResult> => {
      const result = await next();
      if (!result.ok) return result;
      try {
        return { ...result, data: project(result.data) };
      } catch (cause) {
        throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Output validation failed', cause });
      }
    };
    middlewares[index] = Object.assign(cut, { _type: 'output' });
    middlewares[PROJECTED] = true;
  }
  return router;
}
