import '../../../tooling/node-version';
import { closeOnSignals, startApp } from './app';
import { loadEnv } from './env';

const env = loadEnv();
const app = await startApp(env).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
closeOnSignals(app);
