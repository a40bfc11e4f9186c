// `pnpm start` / `pnpm dev` from the repository root: the API and the web UI on one URL.
import '../../../tooling/node-version';
import { closeOnSignals, loadEnv } from '@studio/api';
import { startStudio } from './index';

const mode = process.argv.includes('--dev') ? 'development' : 'production';
const app = await startStudio({ env: loadEnv(), mode }).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
app.logger.info({ url: app.url, mode }, 'workspace studio web UI is ready');
// Plain text as well as the log line: this is what a newcomer looks for after `pnpm start`.
process.stdout.write(`\nWorkspace Studio is running at ${app.url}\n\n`);

closeOnSignals(app);
