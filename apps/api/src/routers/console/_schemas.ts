// Inputs and outputs shared by the console procedures, and who may run on a connection.
import { z } from 'zod';
import type { Context } from '../../context';
import type { WorkspaceScope } from '../../services/authorization';
import type { ConsoleTarget } from '../../services/console';
import { authorizeOnConnection, connectionFactsOf } from '../_permissions';

export type ConsoleContext = Context & { principal: NonNullable<Context['principal']>; workspace: WorkspaceScope };

/** A console script is at most 1 MiB of text. */
export const MAX_SQL_LENGTH = 1_048_576;

export const connectionRef = z.object({ connectionId: z.uuid() });
export const consoleAccessInput = z.enum(['off', 'read-only', 'read-write']);
export const consoleModeInput = z.enum(['read-only', 'read-write']);

const parameterValue = z.union([z.string().max(65_536), z.number(), z.boolean(), z.null()]);
/** Positional (`@p1…` / `$1…` / `?`) as an array; named (`@name`, SQL Server only) as an object. */
export const parametersInput = z
  .union([z.array(parameterValue).max(100), z.record(z.string().regex(/^@?[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'a parameter name: letters, digits, _'), parameterValue)])
  .default([]);

export const columnOutput = z.object({ name: z.string(), type: z.string() });
export const resultSetOutput = z.object({
  columns: z.array(columnOutput),
  // The service built these rows; checking their shape is enough. Parsing them with z.array(z.array())
  // copied every row again (≈ 5 ms for 10,000 rows) on the way out.
  rows: z
    .custom<unknown[][]>((value) => Array.isArray(value) && value.every((row) => Array.isArray(row)), 'rows: a list of rows')
    .meta({ override: { type: 'array', items: { type: 'array', items: {} } }, description: 'Values in column order: exact numbers as text, binary as 0x hex, instants as ISO 8601, dates and times without a time zone as the database writes them' }),
  rowCount: z.number().int(),
  truncated: z.boolean(),
});
export const messageOutput = z.object({ message: z.string(), code: z.string().nullable(), level: z.string() });

/** `user:<id>` / `token:<id>`: who owns a run. */
export function principalKeyOf(ctx: ConsoleContext): string {
  return ctx.principal.kind === 'user' ? `user:${ctx.principal.userId}` : `token:${ctx.principal.tokenId}`;
}

/**
 * Owners/Admins run on any connection; Members with `use` on it (a grant, or the default
 * environment's connection); Viewers never. Denials are audited by the Authorizer.
 */
export async function authorizeRun(ctx: ConsoleContext, target: Pick<ConsoleTarget, 'database'>, action: 'console.run' = 'console.run'): Promise<void> {
  const connectionId = target.database.connectionId;
  const facts = ctx.workspace.actor.role === 'Member' ? await connectionFactsOf(ctx, connectionId) : null;
  // Owners/Admins pass by role and Viewers fail by role: only a Member's grant needs the facts.
  await authorizeOnConnection(ctx, action, facts, { type: 'connection', id: connectionId });
}
