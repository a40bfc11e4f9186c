import { z } from 'zod';
import { timestamp } from './_outputs';
import { publicProcedure, router } from '../trpc';

export const healthRouter = router({
  ping: publicProcedure
    .meta({ openapi: { method: 'GET', path: '/api/v1/health', tags: ['health'], summary: 'Liveness of the API (no token needed)', protect: false } })
    .output(z.object({ ok: z.literal(true), time: timestamp }))
    .query(() => ({ ok: true as const, time: new Date() })),
});
