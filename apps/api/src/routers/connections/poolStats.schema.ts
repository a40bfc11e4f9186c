import { z } from 'zod';

export const poolStatsInput = z.object({ connectionId: z.uuid().optional() });
