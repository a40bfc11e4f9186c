// Output-schema pieces shared by the routers' `.output()` declarations. Outputs are declared for
// every REST procedure: they document the answer and, because zod objects drop unknown keys, they
// are a second guarantee that no column a service forgot to leave out (a ciphertext) reaches a client.
import { z } from 'zod';
import { connectionScopedActions, workspaceActions, workspaceRoles, type ConnectionScopedAction, type WorkspaceAction } from '../services/policy';

/** A Date over tRPC (superjson); an ISO 8601 string over REST. */
export const timestamp = z.date().meta({ override: { type: 'string', format: 'date-time' }, description: 'ISO 8601 timestamp' });

/** One page of a keyset-paginated list; `nextCursor` is null on the last page. */
export function pageOf<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }) });
}

export const deletedOutput = z.object({ id: z.uuid(), deleted: z.literal(true) });

/** Whether the caller may take one action; when not, the sentence saying why and whom to ask. */
export const verdictOutput = z.union([
  z.object({ allowed: z.literal(true), reason: z.null() }),
  z.object({ allowed: z.literal(false), reason: z.string() }),
]);

const verdictsOf = <Key extends string>(keys: readonly [Key, ...Key[]]) => z.object(Object.fromEntries(keys.map((key) => [key, verdictOutput])) as Record<Key, typeof verdictOutput>);

export const connectionVerdictsOutput = verdictsOf(connectionScopedActions as [ConnectionScopedAction, ...ConnectionScopedAction[]]);
export const roleVerdictsOutput = verdictsOf(workspaceRoles);
export const workspaceVerdictsOutput = verdictsOf(workspaceActions as [WorkspaceAction, ...WorkspaceAction[]]);
