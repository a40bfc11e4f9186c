// Operator commands for workspace database migrations (MISSION F5), against the system database
// from the environment (DATABASE_URL, or the embedded PGlite in DATA_DIR: stop the API first, PGlite
// is single-process). Same services, key ring and audit as the API; runs are audited as `cli:<user>`.
//   pnpm ws:migrate --workspace twsbp [--environment NAME] [--target N] [--dry-run]
//   pnpm ws:migrate --all [--concurrency N] [--dry-run]
//   pnpm ws:rollback --workspace twsbp [--environment NAME] [--steps 1] [--dry-run]
//   pnpm ws:status [--workspace twsbp] [--environment NAME]
// Exit code 0 when everything succeeded (status: nothing drifted or unreachable), 1 otherwise, 2 for bad usage.
import '../../../../tooling/node-version';
import { hostname, userInfo } from 'node:os';
import { environments } from '@studio/db/schema';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import type { AppServices } from '../services/index';
import {
  runErrorOf,
  workspaceMigrationConfigOf,
  type MigrationOrigin,
  type MigrationRunReport,
  type MigrationScope,
  type SkippedWorkspace,
  type WorkspaceMigrationStatus,
} from '../services/workspace-migrations';
import { exitWith, UsageError, withOperatorServices } from './operator-cli';

const USAGE = `usage:
  ws-migrate migrate  --workspace SLUG [--environment NAME] [--target N] [--dry-run]
  ws-migrate migrate  --all [--concurrency N] [--dry-run]
  ws-migrate rollback --workspace SLUG [--environment NAME] [--steps N] [--dry-run]
  ws-migrate status   [--workspace SLUG] [--environment NAME]`;

const count = (max: number) => z.coerce.number().int().min(1).max(max);
const slug = z.string().min(1).max(64);
const environmentName = z.string().min(1).max(100);

const schemas = {
  migrateOne: z.strictObject({ command: z.literal('migrate'), workspace: slug, environment: environmentName.optional(), target: z.coerce.number().int().min(0).optional(), dryRun: z.boolean().default(false) }),
  migrateAll: z.strictObject({ command: z.literal('migrate'), all: z.literal(true), concurrency: count(64).optional(), dryRun: z.boolean().default(false) }),
  rollback: z.strictObject({ command: z.literal('rollback'), workspace: slug, environment: environmentName.optional(), steps: count(1_000).default(1), dryRun: z.boolean().default(false) }),
  status: z.strictObject({ command: z.literal('status'), workspace: slug.optional(), environment: environmentName.optional() }),
};

type Args = { [K in keyof typeof schemas]: z.output<(typeof schemas)[K]> }[keyof typeof schemas];

const FLAGS: Record<string, { key: string; value: boolean }> = {
  '--workspace': { key: 'workspace', value: true },
  '--environment': { key: 'environment', value: true },
  '--target': { key: 'target', value: true },
  '--steps': { key: 'steps', value: true },
  '--concurrency': { key: 'concurrency', value: true },
  '--all': { key: 'all', value: false },
  '--dry-run': { key: 'dryRun', value: false },
};

/** argv → validated arguments; every mistake names the flag. */
function parseArgs(argv: readonly string[]): Args {
  // pnpm forwards a literal `--` when arguments follow the script name.
  const [command, ...rest] = argv.filter((arg) => arg !== '--');
  const raw: Record<string, unknown> = { command };
  for (let i = 0; i < rest.length; i++) {
    const [name, inline] = (rest[i] ?? '').split(/=(.*)/s, 2) as [string, string | undefined];
    const flag = FLAGS[name];
    if (!flag) throw new UsageError(`unknown argument ${name}\n${USAGE}`);
    if (!flag.value) {
      raw[flag.key] = true;
      continue;
    }
    const value = inline ?? rest[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value\n${USAGE}`);
    raw[flag.key] = value;
  }
  if (raw.all === true && raw.workspace !== undefined) throw new UsageError(`give --workspace or --all, not both\n${USAGE}`);
  if (command !== 'migrate' && command !== 'rollback' && command !== 'status') throw new UsageError(`unknown command ${command ?? '(none)'}\n${USAGE}`);
  const schema = command === 'migrate' ? (raw.all === true ? schemas.migrateAll : schemas.migrateOne) : schemas[command];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || (issue && 'keys' in issue ? (issue.keys as string[]).join(', ') : '');
    const what = field === 'command' || field === '' ? 'command and flags' : `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`${what}: ${issue?.message ?? 'invalid'}\n${USAGE}`);
  }
  return parsed.data;
}

/** Plain aligned columns; the widest cell sets each column's width. */
function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const version = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));

function errorText(error: { code: string; number: number | null; message: string } | null | undefined): string {
  if (!error) return '';
  return `${error.code}${error.number === null ? '' : ` ${error.number}`}: ${error.message}`.replace(/\s+/g, ' ').slice(0, 160);
}

function runRows(results: readonly (MigrationRunReport | SkippedWorkspace)[]): string[][] {
  return results.map((r) =>
    r.outcome === 'skipped'
      ? [r.workspaceSlug, r.environmentName ?? '-', 'skipped', '-', '-', '', '', r.reason]
      : [r.workspaceSlug, r.environmentName, r.outcome, version(r.from), version(r.to), r.migrations.map((m) => m.version).join(',') || '-', `${r.durationMs} ms`, errorText(r.error)],
  );
}

const RUN_HEADERS = ['WORKSPACE', 'ENVIRONMENT', 'OUTCOME', 'FROM', 'TO', 'MIGRATIONS', 'TIME', 'ERROR'];

async function scopeOf(services: AppServices, workspaceSlug: string, environmentName: string | undefined): Promise<MigrationScope> {
  const workspace = await services.workspaces.find({ workspaceSlug });
  if (!workspace) throw new UsageError(`--workspace: no workspace with slug "${workspaceSlug}"`);
  if (environmentName === undefined) return services.workspaceMigrations.resolve(workspace.id);
  const [environment] = await services.db
    .select({ id: environments.id })
    .from(environments)
    .where(and(eq(environments.workspaceId, workspace.id), eq(environments.name, environmentName)));
  if (!environment) throw new UsageError(`--environment: workspace "${workspaceSlug}" has no environment "${environmentName}"`);
  return services.workspaceMigrations.resolve(workspace.id, environment.id);
}

async function run(args: Args, services: AppServices, out: (text: string) => void): Promise<number> {
  const operator = (() => {
    try {
      return userInfo().username;
    } catch {
      return 'unknown';
    }
  })();
  const origin: MigrationOrigin = { actor: { username: `cli:${operator}` }, appliedBy: `${operator}@${hostname()} (ws:${args.command})`, trigger: 'cli' };
  const migrations = services.workspaceMigrations;

  if (args.command === 'status') {
    const scopes = args.workspace === undefined ? await migrations.defaultEnvironments() : [await scopeOf(services, args.workspace, args.environment)];
    const rows: string[][] = [];
    let problems = 0;
    for (const scope of scopes) {
      if (scope.connectionId === null) {
        rows.push([scope.workspaceSlug, scope.environmentName ?? '-', 'skipped', '-', '-', '', scope.reason]);
        continue;
      }
      const status: WorkspaceMigrationStatus = await migrations.status(scope);
      if (status.status === 'drifted' || !status.reachable) problems++;
      const note = !status.reachable
        ? `unreachable: ${errorText(status.error)}`
        : status.problems.length > 0
          ? status.problems.map((p) => p.message).join('; ')
          : errorText(status.lastError);
      rows.push([
        scope.workspaceSlug,
        scope.environmentName,
        status.status,
        version(status.currentVersion),
        String(status.latestVersion),
        status.pending.map((p) => p.version).join(',') || '-',
        note.slice(0, 160),
      ]);
    }
    out(table(['WORKSPACE', 'ENVIRONMENT', 'STATUS', 'VERSION', 'LATEST', 'PENDING', 'NOTE'], rows));
    return problems === 0 ? 0 : 1;
  }

  if (args.command === 'migrate' && 'all' in args) {
    if (args.dryRun) {
      const rows: string[][] = [];
      let failed = 0;
      for (const scope of await migrations.defaultEnvironments()) {
        if (scope.connectionId === null) {
          rows.push([scope.workspaceSlug, scope.environmentName ?? '-', '-', '-', scope.reason]);
          continue;
        }
        try {
          const plan = await migrations.dryRun(scope, { direction: 'up' });
          rows.push([scope.workspaceSlug, scope.environmentName, version(plan.from), version(plan.to), plan.plan.map((p) => `V${p.version} ${p.name}`).join(', ') || 'nothing to do']);
        } catch (error) {
          failed++;
          rows.push([scope.workspaceSlug, scope.environmentName, '-', '-', errorText(runErrorOf(error))]);
        }
      }
      out(table(['WORKSPACE', 'ENVIRONMENT', 'FROM', 'TO', 'WOULD APPLY'], rows));
      return failed === 0 ? 0 : 1;
    }
    const report = await migrations.applyAll({ concurrency: args.concurrency }, origin);
    await services.audit.record({
      actor: origin.actor,
      workspaceId: null,
      action: 'migration.applyAll',
      outcome: report.failed === 0 ? 'success' : 'failure',
      details: { trigger: 'cli', concurrency: report.concurrency, ok: report.ok, failed: report.failed, skipped: report.skipped, durationMs: report.durationMs },
    });
    out(table(RUN_HEADERS, runRows(report.results)));
    out(`\n${report.ok} ok, ${report.failed} failed, ${report.skipped} skipped in ${report.durationMs} ms (concurrency ${report.concurrency})`);
    return report.failed === 0 ? 0 : 1;
  }

  const scope = await scopeOf(services, args.workspace, args.environment);
  if (args.dryRun) {
    const plan =
      args.command === 'migrate'
        ? await migrations.dryRun(scope, { direction: 'up', target: args.target })
        : await migrations.dryRun(scope, { direction: 'down', steps: args.steps });
    out(`-- ${scope.workspaceSlug} / ${scope.environmentName}: version ${version(plan.from)} -> ${version(plan.to)}\n${plan.script}`);
    return 0;
  }
  const report =
    args.command === 'migrate'
      ? await migrations.apply(scope, { target: args.target }, origin)
      : await migrations.rollback(scope, { steps: args.steps }, origin);
  out(table(RUN_HEADERS, runRows([report])));
  return report.ok ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  return withOperatorServices(
    (env) => ({ workspaceMigrations: workspaceMigrationConfigOf(env) }),
    (services) => run(args, services, (text) => process.stdout.write(`${text}\n`)),
  );
}

exitWith('ws-migrate', main(process.argv.slice(2)));
