// Inputs and outputs of the project and import procedures.
import { z } from 'zod';
import { projectConfigSchema } from '../../services/imports/project-config';
import { timestamp } from '../_outputs';

const name = z.string().trim().min(1).max(100);
const description = z.string().max(2_000).nullish();

export const projectById = z.object({ projectId: z.uuid() });

export const createProjectInput = z.object({
  name,
  description,
  /** The connection imports go to; null or omitted: none yet (imports are refused until one is set). */
  connectionId: z.uuid().nullish(),
  config: projectConfigSchema.default(projectConfigSchema.parse({})),
});

export const updateProjectInput = z.object({
  projectId: z.uuid(),
  name: name.optional(),
  description,
  /** null: no connection (imports are refused until one is set again). */
  connectionId: z.uuid().nullable().optional(),
  /** Replaces the whole config; missing keys take their defaults. */
  config: projectConfigSchema.optional(),
});

export const projectOutput = z.object({
  id: z.uuid(),
  name: z.string(),
  description: z.string().nullable(),
  connectionId: z.uuid().nullable().meta({ description: 'null: no connection (it was never set, or it was deleted); imports are refused' }),
  connection: z.object({ id: z.uuid(), name: z.string(), type: z.enum(['mssql', 'postgres', 'mysql']) }).nullable(),
  config: projectConfigSchema,
  createdAt: timestamp,
  updatedAt: timestamp,
});
