// Which environment the SQL editor acts on, and when Run warns, from the deployments list.
import { describe, expect, it } from 'vitest';
import { chosenEnvironment, runWarningOf, type EnvironmentDeployment } from '../app/components/sql-editor/environments';

const HASH = 'a'.repeat(64);
const environment = (name: string, overrides: Partial<EnvironmentDeployment> = {}): EnvironmentDeployment => ({
  environmentId: `${name}-id`,
  environmentName: name,
  isDefault: false,
  configured: true,
  deployment: { sqlHash: HASH, deployedAt: '2026-12-04T10:00:00.000Z', deployedBy: { username: 'admin' } },
  canRun: true,
  canPublish: true,
  ...overrides,
});

describe('chosenEnvironment', () => {
  const production = environment('Production', { isDefault: true });
  const staging = environment('Staging');
  it('acts on the default unless another one that may be picked is asked for', () => {
    expect(chosenEnvironment([production, staging], null)).toBe(production);
    expect(chosenEnvironment([production, staging], 'Staging-id')).toBe(staging);
    expect(chosenEnvironment([production, staging], 'unknown')).toBe(production);
  });
  it('ignores an environment the person may neither run on nor publish to', () => {
    const closed = environment('Staging', { canRun: false, canPublish: false });
    expect(chosenEnvironment([production, closed], 'Staging-id')).toBe(production);
  });
});

describe('runWarningOf', () => {
  it('says nothing when the saved editor text is what runs there', () => {
    expect(runWarningOf(environment('Staging'), HASH, false)).toBeNull();
  });
  it('warns about unsaved text, a different saved draft, and an environment never published to', () => {
    expect(runWarningOf(environment('Staging'), HASH, true)).toContain("The editor's text differs from what runs on Staging");
    expect(runWarningOf(environment('Staging'), 'b'.repeat(64), false)).toContain('Publish first to run your changes');
    expect(runWarningOf(environment('Staging', { deployment: null }), HASH, false)).toBe('Staging has no recorded publish of this procedure: publish there first, or Run may not find it.');
  });
});
