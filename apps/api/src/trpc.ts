// The only place that touches initTRPC (STYLE.md). Authorisation for workspace-scoped procedures
// is decided here, once, from each procedure's `meta.action` and services/policy.ts.
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { z } from 'zod';
import type { Context } from './context';
import { ApiProblem, errorFormatter, toTRPCError, unauthenticated } from './errors';
import { malformedInputOf } from './input-guard';
import { encodedOncePerAnswer, projectOutputs } from './output-projection';
import { forbidden, type SystemAction } from './services/denials';
import { installPlainValidationMessages } from './validation-messages';
import type { WorkspaceRole } from '@studio/db/schema';
import type { WorkspaceScope } from './services/authorization';
import type { WorkspaceAction } from './services/policy';


// Validation errors in plain language, naming the field (validation-messages.ts).
installPlainValidationMessages();

/**
 * Our own meta keys. A type literal rather than an interface, so it stays assignable to the
 * `Record<string, unknown>` that trpc-to-openapi's meta type is built on.
 */
type StudioMeta = {
  /** The policy action (and audit action) of a workspace-scoped procedure. */
  action?: WorkspaceAction;
  /**
   * 'role' (default): the role table in policy.ts decides before the handler runs.
   * 'handler': the handler decides through ctx.authorizer (grants, role ceilings).
   */
  authorize?: 'role' | 'handler';
  /**
   * 'allow': callable by a person who must still change their generated or Admin-typed password
   * (who am I, change it, sign out). Everything else is refused until they have.
   */
  passwordChangePending?: 'allow';
  /**
   * The procedure answers a ConsoleDownload: REST streams its body with its own content type
   * (the OpenAPI document lists `contentTypes` for the 200 answer) instead of sending JSON.
   */
  download?: { contentTypes: readonly string[] };
  /**
   * The procedure takes a file: REST streams the request body (one of `contentTypes`) to it as
   * `ctx.upload`, with the other input fields from the query string (or the multipart fields).
   */
  upload?: { contentTypes: readonly string[] };
};

/**
 * `openapi: { method, path, tags, summary, protect }` publishes a procedure as a REST route under
 * /api/v1 and in /api/openapi.json; such a procedure must also declare `.output(schema)`. See
 * README "REST API" for the conventions (paths, methods, workspace in the path).
 */
export type ProcedureMeta = OpenApiMeta<StudioMeta>;

/**
 * superjson both ways, with a frozen answer's encoding (a cached page handed to every caller,
 * decisions 023 and 024) made once per answer, as REST does with its JSON: walking a 25-row page
 * with its dates was most of a cached list call over tRPC. The wire format is superjson's.
 */
const transformer = {
  input: superjson,
  output: {
    serialize: encodedOncePerAnswer((value) => superjson.serialize(value)),
    deserialize: (value: ReturnType<typeof superjson.serialize>) => superjson.deserialize(value),
  },
};

const t = initTRPC
  .context<Context>()
  .meta<ProcedureMeta>()
  .create({ transformer, errorFormatter, isDev: false });

/** `t.router`; answers are cut to each procedure's declared output rather than re-validated (output-projection.ts). */
export const router: typeof t.router = (procedures) => projectOutputs(t.router(procedures));
export const createCallerFactory = t.createCallerFactory;

const mapErrors = t.middleware(async ({ ctx, path, next }) => {
  const result = await next();
  if (result.ok) return result;
  return { ...result, error: toTRPCError(result.error, { logger: ctx.logger, path, outages: ctx.outages }) };
});

/** Every procedure, before its schema: see input-guard.ts. */
const refuseMalformedInput = t.middleware(async ({ getRawInput, next }) => {
  const malformed = malformedInputOf(await getRawInput());
  if (malformed) {
    throw new TRPCError({
      code: 'BAD_REQUEST',
      message: `${malformed.path}: ${malformed.message}`,
      cause: new ApiProblem({ error: 'invalid_input', message: `Invalid input: ${malformed.path}: ${malformed.message}`, details: { fields: [malformed] } }),
    });
  }
  return next();
});

/** The words for a refusal outside a workspace: the procedure's router names what it is about. */
const systemActionByRouter: Record<string, SystemAction> = {
  users: 'people.manage',
  backups: 'backup.manage',
  audit: 'audit.readSystem',
  account: 'account.manage',
  auth: 'session.manage',
};

function systemActionOf(path: string): SystemAction {
  return systemActionByRouter[path.split('.')[0] ?? ''] ?? 'account.manage';
}

export const publicProcedure = t.procedure.use(mapErrors).use(refuseMalformedInput);

export const authedProcedure = publicProcedure.use(({ ctx, meta, path, next }) => {
  if (!ctx.principal) throw unauthenticated();
  if (ctx.principal.kind === 'user' && ctx.principal.mustChangePassword && meta?.passwordChangePending !== 'allow') {
    throw forbidden(systemActionOf(path), 'password_change_required');
  }
  // Only narrows the type of what ctx holds, so `next()` without tRPC copying the whole context (some
  // 50 keys) as `next({ ctx })` does; never for new values: a batch's calls share one context.
  return next() as unknown as ReturnType<typeof next<{ principal: typeof ctx.principal }>>;
});

/** Procedures only a signed-in person may call: an API token is refused (and the refusal audited). */
export const personProcedure = authedProcedure.use(async ({ ctx, path, next }) => {
  const principal = ctx.principal;
  if (principal.kind !== 'user') {
    return ctx.authorizer.deny({ workspaceId: null, action: systemActionOf(path), auditAction: path, reason: 'session_required' });
  }
  // Only narrows (see authedProcedure).
  return next() as unknown as ReturnType<typeof next<{ principal: typeof principal }>>;
});

/**
 * System administration (people, system roles): a signed-in person whose system role is Admin,
 * read from the database on every call so a demotion or deactivation counts at once.
 */
export const systemAdminProcedure = personProcedure.use(async ({ ctx, path, next }) => {
  const role = await ctx.people.activeSystemRole(ctx.principal.userId);
  if (role !== 'Admin') {
    return ctx.authorizer.deny({ workspaceId: null, action: systemActionOf(path), auditAction: path, reason: 'not_system_admin' });
  }
  return next();
});

const workspaceRef = z
  .object({
    workspaceId: z.uuid().optional(),
    workspaceSlug: z.string().min(1).max(64).optional(),
  })
  .refine((ref) => ref.workspaceId !== undefined || ref.workspaceSlug !== undefined, {
    message: 'workspaceId or workspaceSlug is required',
    path: ['workspaceId'],
  });

/**
 * Resolves the workspace from `workspaceId` or `workspaceSlug`, the caller's role in it (membership,
 * or the token's scope), and enforces `meta.action`. Every refusal is audited by the Authorizer.
 */
export const workspaceProcedure = authedProcedure.input(workspaceRef).use(async ({ ctx, input, meta, path, next }) => {
  const action = meta?.action;
  const principal = ctx.principal;
  // A person's membership comes with the workspace row (one statement); a token carries its role.
  const workspace: { id: string; slug: string; role?: WorkspaceRole | undefined } | undefined =
    principal.kind === 'user' ? await ctx.workspaces.findWithRole(input, principal.userId) : await ctx.workspaces.find(input);
  // The refusal's words name the action; its audit row keeps the procedure's path when it names none.
  const denial = { action: action ?? 'workspace.read', auditAction: action ?? path };
  if (!workspace) {
    return ctx.authorizer.deny({ workspaceId: null, ...denial, reason: 'not_a_member' });
  }
  let role: WorkspaceRole | undefined;
  if (principal.kind === 'token') {
    if (principal.workspaceId !== workspace.id) {
      return ctx.authorizer.deny({ workspaceId: workspace.id, ...denial, reason: 'token_scope' });
    }
    role = principal.role;
  } else {
    role = workspace.role;
    if (!role) {
      return ctx.authorizer.deny({ workspaceId: workspace.id, ...denial, reason: 'not_a_member' });
    }
  }
  const scope: WorkspaceScope = { id: workspace.id, slug: workspace.slug, role, actor: { kind: principal.kind, role } };
  // Fail closed: a workspace procedure that forgot to name its action is refused, not opened.
  if (!action) return ctx.authorizer.deny({ workspaceId: workspace.id, ...denial, reason: 'no_policy' });
  if ((meta?.authorize ?? 'role') === 'role') await ctx.authorizer.require(scope, action);
  return next({ ctx: { workspace: scope } });
});
