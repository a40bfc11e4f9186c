import { z } from 'zod';
import { timestamp } from '../_outputs';

export const schemaInput = z.object({
  connectionId: z.uuid(),
  /** Read the catalogue again instead of answering from the cache. */
  refresh: z.boolean().optional(),
});

const column = z.object({ name: z.string(), dataType: z.string(), nullable: z.boolean(), default: z.string().nullable(), primaryKey: z.boolean() });
const index = z.object({ name: z.string(), columns: z.array(z.string()), unique: z.boolean(), primary: z.boolean() });
const table = z.object({ name: z.string(), kind: z.enum(['table', 'view']), rowEstimate: z.number().nullable(), columns: z.array(column), indexes: z.array(index) });
const parameter = z.object({ name: z.string().nullable(), dataType: z.string(), mode: z.enum(['in', 'out', 'inout']) });
const routine = z.object({ name: z.string(), kind: z.enum(['procedure', 'function']), parameters: z.array(parameter) });

export const schemaOutput = z.object({
  connectionId: z.uuid(),
  type: z.enum(['mssql', 'postgres', 'mysql']),
  database: z.string(),
  loadedAt: timestamp,
  truncated: z.boolean(),
  schemas: z.array(z.object({ name: z.string(), tables: z.array(table), routines: z.array(routine) })),
});
