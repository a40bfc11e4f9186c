/** One page of a keyset-paginated list: the cursor is the sort key of the last item. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** `rows` were fetched with `limit + 1`; the extra row only tells whether another page exists. */
export function keysetPage<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}
