// Input pieces shared by several routers.
import { z } from 'zod';

export const pageInput = {
  cursor: z.string().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(200).default(50),
};

/**
 * Instants the system database can store and print back: years 1–9999. `new Date('99999-01-01')`
 * is a valid JavaScript date that PostgreSQL refuses, so range is part of the input's validity.
 */
function storableInstant(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(date.getTime()) && year >= 1 && year <= 9999;
}

const STORABLE = { message: 'must be a date between the years 1 and 9999' };

/** A date given as text (REST query, JSON body) or a Date (superjson). */
export const dateInput = z.coerce.date().refine(storableInstant, STORABLE);

/** A Date as tRPC (superjson) sends it, e.g. a version stamp handed back by the client. */
export const instantInput = z.date().refine(storableInstant, STORABLE);

export const workspaceRoleInput = z.enum(['Owner', 'Admin', 'Member', 'Viewer']);
