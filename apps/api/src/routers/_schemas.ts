// Input pieces shared by several routers.
import { z } from 'zod';

export const pageInput = {
  cursor: z.string().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(200).default(50),
};

export const workspaceRoleInput = z.enum(['Owner', 'Admin', 'Member', 'Viewer']);
