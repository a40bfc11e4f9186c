export { startApp, type RunningApp, type StartAppOptions } from './app';
export { envSchema, loadEnv, EnvError, type Env } from './env';
