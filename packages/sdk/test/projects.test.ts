// Import projects through the SDK with an API token: typed CRUD, and a refusal as StudioApiError.
import { testTargets } from '@studio/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, isStudioApiError, type RouterOutputs, type StudioClient } from '../src/index';
import { startTestApi, type TestApi } from './support/api';

describe.each(testTargets)('SDK projects on $name', (target) => {
  let api: TestApi;
  let service: StudioClient;

  beforeAll(async () => {
    api = await startTestApi(target);
    service = createClient({ url: api.url, token: (await api.token('Admin')).token });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('creates, updates, lists and deletes a project; an unknown one is project_not_found', async () => {
    const created: RouterOutputs['projects']['create'] = await service.projects.create.mutate({
      workspaceSlug: 'twsbp',
      name: 'sdk-project',
      config: { mappings: [{ file_pattern: 'customers*.csv', table: 'crm.customers' }] },
    });
    expect(created.config.mappings).toEqual([{ file_pattern: 'customers*.csv', table: 'crm.customers', columns: {}, ignore: [] }]);
    expect(created.createdAt).toBeInstanceOf(Date);
    const updated = await service.projects.update.mutate({ workspaceSlug: 'twsbp', projectId: created.id, name: 'sdk-project-renamed' });
    expect(updated.name).toBe('sdk-project-renamed');
    expect((await service.projects.list.query({ workspaceSlug: 'twsbp' })).items.map((p) => p.id)).toContain(created.id);
    await service.projects.delete.mutate({ workspaceSlug: 'twsbp', projectId: created.id });
    const failure = await service.projects.get.query({ workspaceSlug: 'twsbp', projectId: created.id }).catch((error: unknown) => error);
    expect(isStudioApiError(failure)).toBe(true);
    expect(failure).toMatchObject({ error: 'project_not_found', status: 404 });
  });
});
