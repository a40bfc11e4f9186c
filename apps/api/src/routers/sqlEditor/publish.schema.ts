import { z } from 'zod';
import { instantInput } from '../_schemas';
import { byId } from './_schemas';

export const publishInput = byId.extend({
  /** Publish to this environment; default: the workspace's default environment. */
  environmentId: z.uuid().optional(),
  /** The draft version the client shows; a newer draft on the server refuses the publish (CONFLICT). */
  expectedUpdatedAt: instantInput.optional(),
});
