/**
 * Typed client for the Workspace Studio API (tRPC v11, superjson, batching). The router's types come
 * from `@studio/api` as types only: nothing of the server is loaded at run time.
 */
import type { AppRouter } from '@studio/api';
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';

export { createClient, ClientOptionsError, type ClientOptions, type StudioClient } from './client';
export { importCsv, waitForImport, type ImportCsvOptions, type ImportRun, type WaitForImportOptions } from './imports';
export { isStudioApiError, StudioApiError, toStudioApiError, type Problem, type StudioErrorCode } from './errors';
export type { AppRouter };

/** Inputs of every procedure: `RouterInputs['connections']['create']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure: `RouterOutputs['connections']['list']['items'][number]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
