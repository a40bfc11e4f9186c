// Which environment the editor's Publish and Run act on, and what each environment runs of the
// procedure (hash, who, when, and whether the editor's text is it). The list comes from
// sqlEditor.deployments; only environments the person may run on or publish to can be picked.
import type { Verdict } from '../permission';
import { Badge, formatDateTime } from '../ui';

export interface EnvironmentDeployment {
  environmentId: string;
  environmentName: string;
  isDefault: boolean;
  configured: boolean;
  deployment: { sqlHash: string; deployedAt: string | Date; deployedBy: { username: string } | null } | null;
  canRun: boolean;
  canPublish: boolean;
  /** Publishing and running here: allowed, or the API's sentence saying why not and whom to ask. */
  can?: { publish: Verdict; execute: Verdict };
}

/** The environment the page acts on: the one asked for when it may be picked, else the default. */
export function chosenEnvironment(environments: EnvironmentDeployment[], requested: string | null): EnvironmentDeployment | null {
  const pickable = environments.filter((e) => e.canRun || e.canPublish);
  return pickable.find((e) => e.environmentId === requested) ?? environments.find((e) => e.isDefault) ?? pickable[0] ?? null;
}

/** Whether the editor's text differs from what `environment` runs (`unsaved`: the editor holds text not yet saved). */
export function differsFrom(environment: EnvironmentDeployment, savedDraftHash: string, unsaved: boolean): boolean {
  return environment.deployment === null || unsaved || environment.deployment.sqlHash !== savedDraftHash;
}

/** The picker, when there is a choice; otherwise the environment named as text. */
export function EnvironmentPicker({ environments, selected, onPick }: { environments: EnvironmentDeployment[]; selected: EnvironmentDeployment | null; onPick: (environmentId: string) => void }) {
  const pickable = environments.filter((e) => e.canRun || e.canPublish);
  if (selected === null) return <span className="muted small">No environment configured</span>;
  if (pickable.length < 2) return <span className="small" data-testid="sql-environment">Environment: {selected.environmentName}</span>;
  return (
    <span className="row small sql-environment-picker">
      <label htmlFor="sql-environment">Environment</label>
      <select id="sql-environment" value={selected.environmentId} onChange={(event) => onPick(event.currentTarget.value)} data-testid="sql-environment">
        {pickable.map((e) => (
          <option key={e.environmentId} value={e.environmentId}>
            {e.environmentName}
            {e.isDefault ? ' (default)' : ''}
          </option>
        ))}
      </select>
    </span>
  );
}

/** "Published" per environment: when, by whom, the text's hash, and whether the editor holds it. */
export function DeploymentList({ environments, savedDraftHash, unsaved }: { environments: EnvironmentDeployment[]; savedDraftHash: string; unsaved: boolean }) {
  return (
    <ul className="sql-deployments" aria-label="Published per environment">
      {environments.map((e) => (
        <li key={e.environmentId} data-environment={e.environmentName}>
          <strong>{e.environmentName}</strong>
          {e.isDefault ? <span className="muted small"> (default)</span> : null}{' '}
          {e.deployment === null ? (
            <Badge>{e.configured ? 'Not published' : 'Not configured'}</Badge>
          ) : (
            <>
              {differsFrom(e, savedDraftHash, unsaved) ? <Badge tone="warning">Differs from the editor</Badge> : <Badge tone="success">Matches the editor</Badge>}
              <span className="muted small">
                {' '}
                Published {formatDateTime(e.deployment.deployedAt)} by {e.deployment.deployedBy?.username ?? 'an API token or a deleted user'} ·{' '}
                <code title={`SHA-256 ${e.deployment.sqlHash}`}>{e.deployment.sqlHash.slice(0, 12)}</code>
              </span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

/** What Run warns about before it runs on `environment`, or null when the editor's text is what runs there. */
export function runWarningOf(environment: EnvironmentDeployment | null, savedDraftHash: string, unsaved: boolean): string | null {
  if (environment === null) return null;
  if (environment.deployment === null) return `${environment.environmentName} has no recorded publish of this procedure: publish there first, or Run may not find it.`;
  if (!differsFrom(environment, savedDraftHash, unsaved)) return null;
  return `The editor's text differs from what runs on ${environment.environmentName}: Run executes the version deployed there ${formatDateTime(environment.deployment.deployedAt)}, not the text above. Publish first to run your changes.`;
}
