// Output-schema pieces shared by the routers' `.output()` declarations. Outputs are declared for
// every REST procedure: they document the answer and, because zod objects drop unknown keys, they
// are a second guarantee that no column a service forgot to leave out (a ciphertext) reaches a client.
import { z } from 'zod';

/** A Date over tRPC (superjson); an ISO 8601 string over REST. */
export const timestamp = z.date().meta({ override: { type: 'string', format: 'date-time' }, description: 'ISO 8601 timestamp' });

/** One page of a keyset-paginated list; `nextCursor` is null on the last page. */
export function pageOf<Item extends z.ZodType>(item: Item) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }) });
}

export const deletedOutput = z.object({ id: z.uuid(), deleted: z.literal(true) });
