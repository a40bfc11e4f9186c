// Sentences the pages build from counts and states, in one place so each reads as English
// ("1 pool", never "1 pools"; "Applied: version 2 → 3", never "apply applied").

/** `3 pools`, `1 pool`; `many` for words whose plural is not the singular plus "s". */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The Overview's line under the environments count. */
export function defaultEnvironmentText(environments: readonly { name: string; isDefault: boolean }[]): string {
  const chosen = environments.find((e) => e.isDefault);
  if (chosen) return `${chosen.name} is the default`;
  return environments.length === 0 ? 'None yet' : 'None is the default';
}

export interface MigrationRunSummary {
  operation: 'apply' | 'rollback';
  outcome: 'applied' | 'current' | 'rolled_back' | 'failed';
  from: number | null;
  to: number | null;
}

/** The Migrations page's "Last run" (without its time): what the run did, in a few words. */
export function lastMigrationRunText(run: MigrationRunSummary): string {
  const versions = `version ${run.from ?? 'none'} → ${run.to ?? 'none'}`;
  switch (run.outcome) {
    case 'applied':
      return `Applied: ${versions}`;
    case 'rolled_back':
      return `Rolled back: ${versions}`;
    case 'current':
      return run.operation === 'apply' ? 'Nothing to apply: already current' : 'Nothing to roll back';
    case 'failed':
      return run.operation === 'apply' ? 'Applying failed' : 'Rolling back failed';
  }
}
