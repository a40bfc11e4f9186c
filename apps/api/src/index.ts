export { startApp, type RunningApp, type StartAppOptions } from './app';
export type { FallbackHandler } from './server';
export { envSchema, loadEnv, EnvError, type Env } from './env';
export { appRouter, type AppRouter } from './routers/_app';
export { createContextInner, type Context } from './context';
export { createServices, type AppServices } from './services/index';
