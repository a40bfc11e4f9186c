// A watched connection test, for the page that started it: GET answers the run once it has changed
// past `?after=` (the version the page last saw; the API waits up to 8 s for a change, so the page
// reads each step as it finishes without hammering), POST cancels it. Only its starter can see it.
import type { ActionFunctionArgs, LoaderFunctionArgs } from '@remix-run/node';
import { requireUser } from '../lib/api.server';
import type { TestRunView } from '../components/test-run';

const WAIT_MS = 8_000;
const noStore = { 'cache-control': 'no-store' };

function viewOf(run: { id: string; state: TestRunView['state']; version: number; steps: TestRunView['steps']; result: { success: boolean; message: string; latencyMs: number; steps: TestRunView['steps'] } | null }): TestRunView {
  return {
    id: run.id,
    state: run.state,
    version: run.version,
    steps: run.steps,
    result: run.result && { success: run.result.success, message: run.result.message, latencyMs: run.result.latencyMs, steps: run.result.steps },
  };
}

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const after = new URL(request.url).searchParams.get('after');
  const result = await api.attempt((c) =>
    c.connections.testRun({ workspaceSlug: params.slug ?? '', runId: params.runId ?? '', afterVersion: after === null ? -1 : Number(after), waitMs: after === null ? 0 : WAIT_MS }),
  );
  if (!result.ok) return api.json(result.problem, { status: result.status, headers: noStore });
  return api.json(viewOf(result.value), { headers: noStore });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const result = await api.attempt((c) => c.connections.testCancel({ workspaceSlug: params.slug ?? '', runId: params.runId ?? '' }));
  if (!result.ok) return api.json(result.problem, { status: result.status, headers: noStore });
  return api.json(viewOf(result.value), { headers: noStore });
}
