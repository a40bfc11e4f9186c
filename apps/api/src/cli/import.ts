// Operator command for CSV imports (seed 004), against the system database from the environment
// (DATABASE_URL, or the embedded PGlite in DATA_DIR: stop the API first, PGlite is single-process).
// The same import service as the API: the same checks, one transaction, history and audit (as
// `cli:<user>`). A progress bar on stderr while it runs; Ctrl-C cancels the import.
//   pnpm run import --workspace twsbp --project NAME [--table schema.table] FILE
//                   [--mode insert|upsert|replace] [--error-policy all-or-nothing|skip] [--max-rejects N]
// (`pnpm import` alone is pnpm's own lockfile command, hence `pnpm run import`.)
// Exit code 0 when the import succeeded, 1 when it was refused, failed or was cancelled, 2 for bad usage.
import '../../../../tooling/node-version';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { hostname, userInfo } from 'node:os';
import { z } from 'zod';
import { ServiceError } from '../services/errors';
import type { AppServices } from '../services/index';
import { MAX_REJECTS_CAP, type ImportRunView } from '../services/imports/service';
import { exitWith, UsageError, withOperatorServices } from './operator-cli';

const USAGE = `usage:
  import --workspace SLUG --project NAME [--table schema.table] FILE
         [--mode insert|upsert|replace] [--error-policy all-or-nothing|skip] [--max-rejects N]`;

const argsSchema = z.strictObject({
  workspace: z.string().min(1).max(64),
  project: z.string().min(1).max(100),
  table: z.string().min(1).max(257).optional(),
  file: z.string().min(1),
  mode: z.enum(['insert', 'upsert', 'replace']).default('insert'),
  errorPolicy: z.enum(['all-or-nothing', 'skip']).default('all-or-nothing'),
  maxRejects: z.coerce.number().int().min(0).max(MAX_REJECTS_CAP).default(1_000),
});

type Args = z.output<typeof argsSchema>;

const FLAGS: Record<string, string> = {
  '--workspace': 'workspace',
  '--project': 'project',
  '--table': 'table',
  '--mode': 'mode',
  '--error-policy': 'errorPolicy',
  '--max-rejects': 'maxRejects',
};

/** argv → validated arguments; every mistake names the flag. */
export function parseImportArgs(argv: readonly string[]): Args {
  const rest = argv.filter((arg) => arg !== '--');
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] ?? '';
    if (!arg.startsWith('--')) {
      if (raw.file !== undefined) throw new UsageError(`one FILE only (got ${String(raw.file)} and ${arg})\n${USAGE}`);
      raw.file = arg;
      continue;
    }
    const [name, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    const key = FLAGS[name];
    if (!key) throw new UsageError(`unknown argument ${name}\n${USAGE}`);
    const value = inline ?? rest[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value\n${USAGE}`);
    raw[key] = value;
  }
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const what = field === 'file' ? 'FILE' : `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`${what}: ${issue?.message ?? 'invalid'}\n${USAGE}`);
  }
  return parsed.data;
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
const count = (n: number) => n.toLocaleString('en-US');

/** One line of progress: a bar by bytes read (when the size is known), rows, speed, rejects. */
export function progressLine(run: Pick<ImportRunView, 'bytesRead' | 'rowsWritten' | 'rowsRejected' | 'rowsPerSecond' | 'elapsedMs'>, fileBytes: number | undefined, width = 24): string {
  const share = fileBytes && fileBytes > 0 ? Math.min(1, run.bytesRead / fileBytes) : undefined;
  const bar = share === undefined ? '' : `[${'#'.repeat(Math.round(share * width)).padEnd(width, '-')}] ${String(Math.floor(share * 100)).padStart(3)}% `;
  const size = fileBytes === undefined ? mib(run.bytesRead) : `${mib(run.bytesRead)}/${mib(fileBytes)}`;
  return `${bar}${size}  ${count(run.rowsWritten)} rows  ${count(run.rowsPerSecond)} rows/s  ${count(run.rowsRejected)} rejected  ${(run.elapsedMs / 1000).toFixed(1)} s`;
}

async function run(args: Args, services: AppServices, err: NodeJS.WriteStream): Promise<number> {
  const operator = (() => {
    try {
      return userInfo().username;
    } catch {
      return 'unknown';
    }
  })();
  const workspace = await services.workspaces.find({ workspaceSlug: args.workspace });
  if (!workspace) throw new UsageError(`--workspace: no workspace with slug "${args.workspace}"`);
  const project = await services.projects.byName(workspace.id, args.project);
  if (!project) throw new UsageError(`--project: workspace "${args.workspace}" has no project "${args.project}"`);
  const path = resolve(process.env.INIT_CWD ?? process.cwd(), args.file);
  const size = await stat(path).then(
    (s) => s.size,
    () => {
      throw new UsageError(`FILE: cannot read ${args.file}`);
    },
  );
  if (project.connectionId === null) {
    err.write(`refused: project_connection_missing: project ${project.name} has no connection; choose one for it before importing\n`);
    return 1;
  }
  let started: ImportRunView;
  try {
    started = await services.imports.start({
      workspaceId: workspace.id,
      project: { ...project, connectionId: project.connectionId },
      table: args.table,
      mode: args.mode,
      errorPolicy: args.errorPolicy,
      maxRejects: args.maxRejects,
      upload: { stream: createReadStream(path), fileName: basename(path), declaredBytes: size },
      startedBy: { userId: null, name: `cli:${operator}` },
      actor: { username: `cli:${operator}` },
      requestMeta: { ip: null, userAgent: `studio-import-cli (${hostname()})` },
    });
  } catch (error) {
    if (error instanceof ServiceError) {
      err.write(`refused: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  err.write(`import ${started.id}: ${basename(path)} → ${started.table} (${started.mode}, ${started.errorPolicy})\n`);
  const tty = err.isTTY === true;
  let cancelling = false;
  const onInterrupt = () => {
    if (cancelling) return;
    cancelling = true;
    err.write('\ncancelling…\n');
    void services.imports.cancel(workspace.id, started.id);
  };
  process.on('SIGINT', onInterrupt);
  let lastPlain = 0;
  const draw = async () => {
    const current = await services.imports.get(workspace.id, started.id);
    const line = progressLine(current, size);
    if (tty) err.write(`\r${line}\x1b[K`);
    else if (Date.now() - lastPlain >= 5_000) {
      lastPlain = Date.now();
      err.write(`${line}\n`);
    }
  };
  const ticker = setInterval(() => void draw().catch(() => undefined), tty ? 200 : 1_000);
  try {
    await services.imports.settled(started.id);
  } finally {
    clearInterval(ticker);
    process.off('SIGINT', onInterrupt);
  }
  const done = await services.imports.get(workspace.id, started.id);
  err.write(`${tty ? '\r' : ''}${progressLine(done, size)}${tty ? '\x1b[K' : ''}\n`);
  process.stdout.write(`${done.outcome}: ${count(done.rowsWritten)} rows written, ${count(done.rowsRejected)} rejected (import ${done.id})\n`);
  if (done.error) process.stdout.write(`${done.error.error}: ${done.error.message}\n`);
  if (done.rowsRejected > 0) process.stdout.write(`rejected rows: GET /api/v1/workspaces/${workspace.slug}/projects/${project.id}/imports/${done.id}/rejects\n`);
  return done.outcome === 'succeeded' ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseImportArgs(argv);
  return withOperatorServices(
    (env) => ({ imports: { maxFileBytes: env.IMPORT_MAX_BYTES } }),
    (services) => run(args, services, process.stderr),
  );
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  exitWith('import', main(process.argv.slice(2)));
}
