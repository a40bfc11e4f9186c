// SQL editor for one procedure: the draft in CodeMirror with autosave (optimistic version, a stale
// save is shown, never forced), Publish with SQL Server's error at its line, the diff against what
// is published, and a Run panel (parameters from the server's catalogue, result grids, messages,
// elapsed time, Cancel).
import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useActionData, useBlocker, useFetcher, useLoaderData, useSearchParams, type ShouldRevalidateFunction } from '@remix-run/react';
import type { Problem } from '@studio/api/problem';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ConfirmDialog, Dialog } from '../components/dialog';
import { SqlCodeEditor, type EditorDiagnostic, type SqlCodeEditorHandle } from '../components/sql-editor/code-editor';
import { ShortcutsPopover } from '../components/sql-editor/shortcuts';
import { DiffView } from '../components/sql-editor/diff-view';
import { chosenEnvironment, DeploymentList, EnvironmentPicker, runWarningOf, type EnvironmentDeployment } from '../components/sql-editor/environments';
import { ResultGrid } from '../components/sql-editor/result-grid';
import { toDisplay, type DisplayExecution } from '../components/sql-editor/results';
import styles from '../components/sql-editor/sql-editor.css?url';
import { useDenial, type Verdict } from '../components/permission';
import { Alert, Card, formatDateTime, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { useWorkspace } from '../lib/workspace';
import { ProcedureStatus } from './w.$slug.sql._index';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.procedure.qualifiedName} · SQL editor` : 'SQL editor · Workspace Studio' }];
export const links: LinksFunction = () => [{ rel: 'stylesheet', href: styles }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const ref = { workspaceSlug: params.slug ?? '', procedureId: params.procedureId ?? '' };
  const procedure = await api.load((c) => c.sqlEditor.get(ref));
  const { environments } = await api.load((c) => c.sqlEditor.deployments(ref));
  const environmentId = chosenEnvironment(environments, new URL(request.url).searchParams.get('environment'))?.environmentId;
  const parameters = procedure.status === 'published' ? await api.attempt((c) => c.sqlEditor.parameters({ ...ref, environmentId })) : null;
  return api.json({
    procedure: {
      id: procedure.id,
      qualifiedName: procedure.qualifiedName,
      status: procedure.status,
      hasUnpublishedChanges: procedure.hasUnpublishedChanges,
      sqlDraft: procedure.sqlDraft,
      sqlPublished: procedure.sqlPublished,
      sqlDraftHash: procedure.sqlDraftHash,
      updatedAt: procedure.updatedAt.toISOString(),
      publishedAt: procedure.publishedAt?.toISOString() ?? null,
    },
    environments,
    environmentId: environmentId ?? null,
    parameters: parameters?.ok ? parameters.value.parameters : [],
    parametersProblem: parameters && !parameters.ok ? parameters.problem.message : null,
    can: procedure.can,
  });
}

type ActionAnswer =
  | { intent: 'save'; ok: true; updatedAt: string; draftHash: string }
  | { intent: 'publish'; ok: true; updatedAt: string; publishedAt: string | null; environment: string }
  | { intent: 'execute'; ok: true; result: DisplayExecution }
  | { intent: 'cancel'; ok: true }
  | { intent: 'save' | 'publish' | 'execute' | 'cancel' | 'delete'; ok: false; problem: Problem };

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const ref = { workspaceSlug: params.slug ?? '', procedureId: params.procedureId ?? '' };
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');
  const answer = (value: ActionAnswer) => api.json(value);
  const version = () => new Date(String(form.get('expectedUpdatedAt') ?? ''));
  const environmentId = String(form.get('environmentId') ?? '') || undefined;

  if (intent === 'save' || intent === 'publish') {
    let updatedAt = version();
    const sqlDraft = form.get('sqlDraft');
    if (typeof sqlDraft === 'string') {
      const saved = await api.attempt((c) => c.sqlEditor.saveDraft({ ...ref, sqlDraft, expectedUpdatedAt: updatedAt }));
      if (!saved.ok) return answer({ intent, ok: false, problem: saved.problem });
      updatedAt = saved.value.updatedAt;
      if (intent === 'save') return answer({ intent, ok: true, updatedAt: updatedAt.toISOString(), draftHash: saved.value.sqlDraftHash });
    }
    const published = await api.attempt((c) => c.sqlEditor.publish({ ...ref, environmentId, expectedUpdatedAt: updatedAt }));
    if (!published.ok) return answer({ intent: 'publish', ok: false, problem: published.problem });
    return answer({
      intent: 'publish',
      ok: true,
      updatedAt: published.value.procedure.updatedAt.toISOString(),
      publishedAt: published.value.procedure.publishedAt?.toISOString() ?? null,
      environment: published.value.environment.name,
    });
  }
  if (intent === 'overwrite') {
    const sqlDraft = String(form.get('sqlDraft') ?? '');
    const saved = await api.attempt((c) => c.sqlEditor.saveDraft({ ...ref, sqlDraft, expectedUpdatedAt: version(), overwrite: true }));
    if (!saved.ok) return answer({ intent: 'save', ok: false, problem: saved.problem });
    return answer({ intent: 'save', ok: true, updatedAt: saved.value.updatedAt.toISOString(), draftHash: saved.value.sqlDraftHash });
  }
  if (intent === 'execute') {
    let parameters: Record<string, unknown>;
    try {
      parameters = JSON.parse(String(form.get('parameters') ?? '{}')) as Record<string, unknown>;
    } catch {
      return answer({ intent, ok: false, problem: { error: 'invalid_input', message: 'parameters: not JSON', details: { field: 'parameters' } } });
    }
    const executionId = String(form.get('executionId') ?? '') || undefined;
    const rowLimit = Number(form.get('rowLimit') ?? 1000);
    const timeoutSeconds = Number(form.get('timeoutSeconds') ?? DEFAULT_TIMEOUT_SECONDS);
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
      return answer({ intent, ok: false, problem: { error: 'invalid_input', message: `Timeout: a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}`, details: { field: 'timeoutSeconds' } } });
    }
    const ran = await api.attempt((c) => c.sqlEditor.execute({ ...ref, environmentId, parameters, executionId, rowLimit, timeoutMs: timeoutSeconds * 1000 }));
    if (!ran.ok) return answer({ intent, ok: false, problem: ran.problem });
    return answer({ intent, ok: true, result: toDisplay(ran.value) });
  }
  if (intent === 'cancel') {
    const cancelled = await api.attempt((c) => c.sqlEditor.cancel({ workspaceSlug: ref.workspaceSlug, executionId: String(form.get('executionId') ?? '') }));
    return answer(cancelled.ok ? { intent, ok: true } : { intent, ok: false, problem: cancelled.problem });
  }
  if (intent === 'delete') {
    const deleted = await api.attempt((c) => c.sqlEditor.delete({ ...ref, dropFromServer: form.get('dropFromServer') === 'on' }));
    if (!deleted.ok) return answer({ intent, ok: false, problem: deleted.problem });
    return api.redirect(`/w/${ref.workspaceSlug}/sql`);
  }
  return answer({ intent: 'save', ok: false, problem: { error: 'invalid_input', message: `Unknown action ${intent}`, details: {} } });
}

/** Autosaves and runs do not change what the page loaded; publishing does (status, published text, parameters). */
export const shouldRevalidate: ShouldRevalidateFunction = ({ formData, defaultShouldRevalidate }) => {
  const intent = formData?.get('intent');
  if (intent === 'save' || intent === 'overwrite' || intent === 'execute' || intent === 'cancel') return false;
  return defaultShouldRevalidate;
};

const AUTOSAVE_DELAY_MS = 800;
/** The run's own time limit; the API caps it at 10 minutes. */
const DEFAULT_TIMEOUT_SECONDS = 30;
const MAX_TIMEOUT_SECONDS = 600;
/** A keepalive request carries at most 64 KiB; a larger draft cannot be saved while the page unloads. */
const KEEPALIVE_LIMIT = 60_000;
const ROUTE_ID = 'routes/w.$slug.sql.$procedureId';

type SaveState = 'saved' | 'unsaved' | 'saving' | 'conflict' | 'error';

const saveLabels: Record<SaveState, string> = {
  saved: 'All changes saved',
  unsaved: 'Unsaved changes',
  saving: 'Saving…',
  conflict: 'Not saved: someone changed this draft elsewhere',
  error: 'Not saved',
};

function lineOf(problem: Problem): number | null {
  const line = problem.details.line;
  return typeof line === 'number' ? line : null;
}

export default function SqlEditorPage() {
  const { procedure, parameters, parametersProblem, environments, environmentId, can } = useLoaderData<typeof loader>();
  const environment = environments.find((e) => e.environmentId === environmentId) ?? null;
  const [, setSearchParams] = useSearchParams();
  const pickEnvironment = (id: string) => setSearchParams((params) => (params.set('environment', id), params), { replace: true, preventScrollReset: true });
  /** SHA-256 of the saved draft, to compare with what each environment runs; follows every save. */
  const [savedHash, setSavedHash] = useState(procedure.sqlDraftHash);
  useEffect(() => setSavedHash(procedure.sqlDraftHash), [procedure.sqlDraftHash]);
  const { workspace } = useWorkspace();
  const canEdit = can.draft.allowed;
  const editDenial = useDenial(can.draft);
  // Publish and Run are decided on the environment they act on; the rest on the default one.
  const publishDenial = useDenial(environment?.can?.publish ?? can.publish);
  const deleteDenial = useDenial(can.delete);
  // Every save names this procedure's own action: a save that fires after a navigation must never
  // post to whatever route is showing by then.
  const actionUrl = `/w/${workspace.slug}/sql/${procedure.id}`;

  const editor = useRef<SqlCodeEditorHandle>(null);
  /** What the editor holds now. */
  const draft = useRef(procedure.sqlDraft);
  /** What the server is known to hold (at `version`). */
  const serverText = useRef(procedure.sqlDraft);
  const version = useRef(procedure.updatedAt);
  /** The server's text as state, for the diff: it follows every save, publish and "take theirs". */
  const [savedDraft, setSavedDraft] = useState(procedure.sqlDraft);
  const confirmSaved = (text: string) => {
    serverText.current = text;
    setSavedDraft(text);
  };
  /** The text of the save in flight, if any. */
  const sending = useRef<string | null>(null);
  const [saveState, setSaveStateValue] = useState<SaveState>('saved');
  const saveStateRef = useRef<SaveState>('saved');
  const setSaveState = (state: SaveState) => {
    saveStateRef.current = state;
    setSaveStateValue(state);
  };
  const [diagnostics, setDiagnostics] = useState<EditorDiagnostic[]>([]);
  const [tab, setTab] = useState<'run' | 'diff'>('run');
  const saver = useFetcher<typeof action>({ key: `save-${procedure.id}` });
  const publisher = useFetcher<typeof action>({ key: `publish-${procedure.id}` });
  const theirs = useFetcher<typeof loader>({ key: `theirs-${procedure.id}` });
  const [showConflictDiff, setShowConflictDiff] = useState(false);
  const timer = useRef<ReturnType<typeof setTimeout>>();
  const dirty = () => canEdit && draft.current !== serverText.current;

  const save = useCallback(() => {
    clearTimeout(timer.current);
    if (!dirty() || sending.current !== null || saveStateRef.current === 'conflict') return;
    sending.current = draft.current;
    setSaveState('saving');
    saver.submit({ intent: 'save', sqlDraft: draft.current, expectedUpdatedAt: version.current }, { method: 'post', action: actionUrl });
  }, [saver.submit, actionUrl]);

  const settle = useCallback(
    (data: ActionAnswer, sent: string) => {
      if (data.intent === 'save' && data.ok) {
        version.current = data.updatedAt;
        setSavedHash(data.draftHash);
        confirmSaved(sent);
        if (dirty()) {
          setSaveState('unsaved');
          timer.current = setTimeout(save, AUTOSAVE_DELAY_MS);
        } else setSaveState('saved');
      } else if (!data.ok) {
        setSaveState(data.problem.error === 'conflict' ? 'conflict' : 'error');
      }
    },
    [save],
  );

  useEffect(() => {
    const data = saver.data as ActionAnswer | undefined;
    const sent = sending.current;
    if (saver.state !== 'idle' || !data || sent === null) return;
    sending.current = null;
    settle(data, sent);
  }, [saver.state, saver.data, settle]);

  const onChange = useCallback(
    (text: string) => {
      draft.current = text;
      if (saveStateRef.current === 'conflict') return;
      clearTimeout(timer.current);
      if (!dirty()) {
        if (sending.current === null) setSaveState('saved');
        return;
      }
      setSaveState('unsaved');
      timer.current = setTimeout(save, AUTOSAVE_DELAY_MS);
    },
    [save],
  );

  // A link or back/forward inside the app: save first, then go; when the text cannot be saved
  // (conflict, error), ask before leaving it behind.
  const blocker = useBlocker(({ currentLocation, nextLocation }) => currentLocation.pathname !== nextLocation.pathname && dirty());
  const publishing = publisher.state !== 'idle';
  useEffect(() => {
    if (blocker.state !== 'blocked') return;
    if (!dirty()) {
      blocker.proceed();
      return;
    }
    if (saveState === 'conflict' || saveState === 'error' || publishing || sending.current !== null) return;
    save();
  }, [blocker, saveState, publishing, save]);

  // Closing the tab, reloading or typing another address: the page is going away, so the pending
  // save goes out as a keepalive request that outlives it. Only a text that cannot be sent that
  // way (conflict, a save already in flight, too large) makes the browser ask.
  useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (!dirty()) return;
      const text = draft.current;
      if (saveStateRef.current !== 'conflict' && sending.current === null && publisher.state === 'idle' && text.length <= KEEPALIVE_LIMIT) {
        clearTimeout(timer.current);
        sending.current = text;
        const body = new URLSearchParams({ intent: 'save', sqlDraft: text, expectedUpdatedAt: version.current });
        void fetch(`${actionUrl}?_data=${encodeURIComponent(ROUTE_ID)}`, { method: 'POST', body, keepalive: true, credentials: 'same-origin' })
          .then((response) => response.json() as Promise<ActionAnswer>)
          .then((data) => settle(data, text))
          .catch(() => setSaveState('error'))
          .finally(() => {
            if (sending.current === text) sending.current = null;
          });
        return;
      }
      event.preventDefault();
      // Older Chromium and Safari still want returnValue set to show the prompt.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [actionUrl, publisher.state, settle]);

  // A conflict: fetch the other version so the person can compare, keep theirs or overwrite it.
  useEffect(() => {
    if (saveState === 'conflict') theirs.load(actionUrl);
  }, [saveState, actionUrl]);
  const theirVersion = saveState === 'conflict' && theirs.state === 'idle' ? theirs.data?.procedure : undefined;
  const keepMine = () => {
    if (!theirVersion) return;
    sending.current = draft.current;
    setSaveState('saving');
    saver.submit({ intent: 'overwrite', sqlDraft: draft.current, expectedUpdatedAt: theirVersion.updatedAt }, { method: 'post', action: actionUrl });
  };
  const takeTheirs = () => {
    if (!theirVersion) return;
    confirmSaved(theirVersion.sqlDraft);
    version.current = theirVersion.updatedAt;
    setSavedHash(theirVersion.sqlDraftHash);
    setSaveState('saved');
    editor.current?.replaceText(theirVersion.sqlDraft);
    draft.current = theirVersion.sqlDraft;
  };

  const published = publisher.data as ActionAnswer | undefined;
  const publishSent = useRef<string | null>(null);
  useEffect(() => {
    if (publisher.state !== 'idle' || !published || published.intent !== 'publish') return;
    const sent = publishSent.current;
    publishSent.current = null;
    if (published.ok) {
      version.current = published.updatedAt;
      if (sent !== null) confirmSaved(sent);
      setSaveState(dirty() ? 'unsaved' : 'saved');
      setDiagnostics([]);
    } else {
      const line = lineOf(published.problem);
      const number = published.problem.details.number;
      setDiagnostics(line === null ? [] : [{ line, message: typeof number === 'number' ? `${published.problem.message} (SQL Server error ${number})` : published.problem.message }]);
      if (published.problem.error === 'conflict') setSaveState('conflict');
    }
  }, [publisher.state, published]);

  const publish = () => {
    clearTimeout(timer.current);
    const fields: Record<string, string> = { intent: 'publish', expectedUpdatedAt: version.current, environmentId: environment?.environmentId ?? '' };
    if (dirty()) fields.sqlDraft = draft.current;
    publishSent.current = draft.current;
    publisher.submit(fields, { method: 'post', action: actionUrl });
  };

  // Keys from the editor. Run goes through the Run form (its parameters, row limit and checks);
  // when the procedure cannot run yet, the Run panel says why.
  const runForm = useRef<HTMLFormElement>(null);
  const [formatProblem, setFormatProblem] = useState<string | null>(null);
  const editorCommands = {
    run() {
      setTab('run');
      requestAnimationFrame(() => runForm.current?.requestSubmit());
    },
    save,
  };
  // Ctrl/Cmd+S anywhere on this page saves, instead of the browser's "Save page" dialog.
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key.toLowerCase() !== 's' || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey || event.defaultPrevented) return;
      event.preventDefault();
      save();
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [save]);

  const publishProblem = published && !published.ok ? published.problem : null;
  const formAnswer = useActionData<typeof action>() as ActionAnswer | undefined;
  const deleteProblem = formAnswer && formAnswer.intent === 'delete' && !formAnswer.ok ? formAnswer.problem : null;

  return (
    <>
      <PageHeader
        title={procedure.qualifiedName}
        description={
          <span className="row">
            <ProcedureStatus status={procedure.status} hasUnpublishedChanges={procedure.hasUnpublishedChanges} />
            <span className="muted small">{procedure.publishedAt ? `Published ${formatDateTime(procedure.publishedAt)}` : 'Never published'}</span>
          </span>
        }
      />
      <Card
        title="Definition"
        actions={
          <span className="row">
            <EnvironmentPicker environments={environments} selected={environment} onPick={pickEnvironment} />
            <span className="sql-save-state muted" role="status" aria-live="polite" data-save-state={saveState}>
              {canEdit ? saveLabels[saveState] : 'Read only'}
            </span>
            {editDenial.reason}
            <button type="button" className="btn btn-primary" onClick={publish} disabled={publishing || saveState === 'conflict'} aria-busy={publishing || undefined} {...publishDenial.control}>
              {publishing ? 'Publishing…' : environment ? `Publish to ${environment.environmentName}` : 'Publish'}
            </button>
            {publishDenial.reason}
          </span>
        }
      >
        <SqlCodeEditor
          ref={editor}
          initialValue={procedure.sqlDraft}
          onChange={(text) => {
            setFormatProblem(null);
            onChange(text);
          }}
          diagnostics={diagnostics}
          readOnly={!canEdit}
          label={`Definition of ${procedure.qualifiedName}`}
          commands={editorCommands}
          onFormatError={setFormatProblem}
        />
        <div className="row sql-editor-foot">
          <ShortcutsPopover />
        </div>
        <DeploymentList environments={environments} savedDraftHash={savedHash} unsaved={canEdit && saveState !== 'saved'} />
        {formatProblem ? <Alert tone="warning" title={`Could not format: ${formatProblem}`} /> : null}
        {saveState === 'conflict' ? (
          <Alert tone="warning" title="Someone saved a newer version of this draft while you were editing">
            <p className="small">Your text is still here. Compare the two, then keep yours (it replaces theirs, and the overwrite is recorded in the audit log) or take theirs.</p>
            <div className="row">
              <button type="button" className="btn btn-secondary" onClick={() => setShowConflictDiff(true)} disabled={!theirVersion}>
                View the difference
              </button>
              <button type="button" className="btn btn-secondary" onClick={keepMine} disabled={!theirVersion}>
                Keep mine
              </button>
              <button type="button" className="btn btn-secondary" onClick={takeTheirs} disabled={!theirVersion}>
                Take theirs
              </button>
            </div>
          </Alert>
        ) : null}
        {publishProblem ? (
          <Alert tone="danger" title={lineOf(publishProblem) === null ? publishProblem.message : `Line ${lineOf(publishProblem)}: ${publishProblem.message}`}>
            <p className="muted small">
              {typeof publishProblem.details.number === 'number' ? `SQL Server error ${publishProblem.details.number}. ` : ''}Nothing was published; the server still runs the last published version.
            </p>
          </Alert>
        ) : null}
        {published?.ok && published.intent === 'publish' ? <Alert tone="success" title={`Published to ${published.environment}`} /> : null}
      </Card>
      <div className="row" role="tablist" aria-label="Panels">
        <button type="button" role="tab" aria-selected={tab === 'run'} className={`btn ${tab === 'run' ? 'btn-secondary' : 'btn-ghost'}`} onClick={() => setTab('run')}>
          Run
        </button>
        <button type="button" role="tab" aria-selected={tab === 'diff'} className={`btn ${tab === 'diff' ? 'btn-secondary' : 'btn-ghost'}`} onClick={() => setTab('diff')}>
          Diff
        </button>
      </div>
      {tab === 'diff' ? (
        <Card title="Draft vs published">
          <p className="muted small">As last saved; it follows every save and publish.</p>
          {procedure.status !== 'published' || procedure.sqlPublished === null ? (
            <p className="muted">Not published yet: the whole draft is new.</p>
          ) : procedure.sqlPublished === savedDraft ? (
            <p className="muted">The draft is what is published.</p>
          ) : (
            <DiffView oldText={procedure.sqlPublished} newText={savedDraft} />
          )}
        </Card>
      ) : (
        <RunPanel procedureId={procedure.id} actionUrl={actionUrl} environment={environment} warning={runWarningOf(environment, savedHash, canEdit && saveState !== 'saved')} formRef={runForm} published={procedure.status === 'published'} parameters={parameters} parametersProblem={parametersProblem} runVerdict={environment?.can?.execute ?? can.execute} />
      )}
      <Dialog open={showConflictDiff && theirVersion !== undefined} title="Their version → yours" wide onClose={() => setShowConflictDiff(false)} actions={
        <button type="button" className="btn btn-secondary" onClick={() => setShowConflictDiff(false)} autoFocus>
          Close
        </button>
      }>
        {theirVersion ? <DiffView oldText={theirVersion.sqlDraft} newText={draft.current} oldLabel="Theirs" newLabel="Yours" /> : null}
      </Dialog>
      <ConfirmDialog
        open={blocker.state === 'blocked' && (saveState === 'conflict' || saveState === 'error')}
        title="Leave without saving?"
        confirmLabel="Leave without saving"
        onConfirm={() => blocker.proceed?.()}
        onCancel={() => blocker.reset?.()}
      >
        <p>Your latest changes to {procedure.qualifiedName} could not be saved ({saveState === 'conflict' ? 'someone saved a newer version' : 'the save failed'}). If you leave now they are lost.</p>
      </ConfirmDialog>
      <Card title="Delete">
        <Form method="post" className="row" onSubmit={(event) => (window.confirm(`Delete ${procedure.qualifiedName}?`) ? undefined : event.preventDefault())}>
          <label className="row small">
            <input type="checkbox" name="dropFromServer" /> Also drop it from the SQL Server
          </label>
          <button type="submit" name="intent" value="delete" className="btn btn-danger" {...deleteDenial.control}>
            Delete procedure
          </button>
          {deleteDenial.reason}
        </Form>
        {deleteProblem ? <Alert tone="danger" title={deleteProblem.message} /> : null}
      </Card>
    </>
  );
}

interface ParameterInfo {
  name: string;
  declaration: string;
  kind: string;
  direction: 'in' | 'inout';
  hasDefault: boolean;
}

function RunPanel({
  procedureId,
  actionUrl,
  formRef,
  published,
  parameters,
  parametersProblem,
  runVerdict,
  environment,
  warning,
}: {
  environment: EnvironmentDeployment | null;
  warning: string | null;
  procedureId: string;
  actionUrl: string;
  formRef: React.RefObject<HTMLFormElement>;
  published: boolean;
  parameters: ParameterInfo[];
  parametersProblem: string | null;
  runVerdict: Verdict;
}) {
  // Per environment: a result from one is never shown under "Run on" another.
  const runner = useFetcher<typeof action>({ key: `run-${procedureId}-${environment?.environmentId ?? ''}` });
  const canceller = useFetcher<typeof action>({ key: `cancel-${procedureId}` });
  const [executionId, setExecutionId] = useState<string | null>(null);
  const [startedAt, setStartedAt] = useState<number | null>(null);
  const [now, setNow] = useState(0);
  const running = runner.state !== 'idle';

  useEffect(() => {
    if (!running) return;
    const tick = setInterval(() => setNow(performance.now()), 100);
    return () => clearInterval(tick);
  }, [running]);

  const answer = runner.data as ActionAnswer | undefined;
  const result = answer && answer.intent === 'execute' && answer.ok ? answer.result : null;
  const problem = answer && !answer.ok ? answer.problem : null;

  if (!published) return <Card title="Run">Publish the procedure to run it.</Card>;
  if (!runVerdict.allowed) return <Card title="Run">{runVerdict.reason}.</Card>;

  const run = (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    // Null prototype: a procedure may well name a parameter @__proto__.
    const values: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const p of parameters) {
      if (form.get(`null:${p.name}`) === 'on') values[p.name] = null;
      else {
        const raw = String(form.get(`param:${p.name}`) ?? '');
        if (raw !== '') values[p.name] = raw;
      }
    }
    const id = crypto.randomUUID();
    setExecutionId(id);
    setStartedAt(performance.now());
    setNow(performance.now());
    runner.submit(
      { intent: 'execute', environmentId: environment?.environmentId ?? '', executionId: id, rowLimit: String(form.get('rowLimit') ?? '1000'), timeoutSeconds: String(form.get('timeoutSeconds') ?? DEFAULT_TIMEOUT_SECONDS), parameters: JSON.stringify(values) },
      { method: 'post', action: actionUrl },
    );
  };

  return (
    <Card title="Run">
      {warning ? <Alert tone="warning" title={warning} /> : null}
      {parametersProblem ? <Alert tone="warning" title={`Parameters could not be read from the server: ${parametersProblem}`} /> : null}
      <form ref={formRef} onSubmit={run} className="stack" aria-label="Run procedure">
        {parameters.length === 0 ? <p className="muted small">No parameters.</p> : null}
        <div className="sql-params">
          {parameters.map((p) => (
            <div key={p.name} className="field">
              <label htmlFor={`param-${p.name}`}>
                @{p.name} <span className="muted small">{p.declaration}</span>
                {p.direction === 'inout' ? <span className="muted small"> OUTPUT</span> : null}
                {!p.hasDefault && p.direction === 'in' ? <span className="muted small"> required</span> : null}
              </label>
              {p.kind === 'boolean' ? (
                <select id={`param-${p.name}`} name={`param:${p.name}`} defaultValue="">
                  <option value="">{p.hasDefault ? '(default)' : '(choose)'}</option>
                  <option value="true">1 (true)</option>
                  <option value="false">0 (false)</option>
                </select>
              ) : (
                <input
                  id={`param-${p.name}`}
                  name={`param:${p.name}`}
                  inputMode={p.kind === 'integer' || p.kind === 'bigint' || p.kind === 'decimal' || p.kind === 'float' ? 'decimal' : undefined}
                  placeholder={p.hasDefault ? '(default)' : p.kind === 'binary' ? 'base64' : p.kind === 'date' ? 'YYYY-MM-DD' : p.kind === 'datetime' ? 'YYYY-MM-DDThh:mm:ssZ' : ''}
                />
              )}
              <label className="row small">
                <input type="checkbox" name={`null:${p.name}`} /> NULL
              </label>
            </div>
          ))}
        </div>
        <div className="row">
          <div className="field">
            <label htmlFor="rowLimit">Row limit per result set</label>
            <input id="rowLimit" name="rowLimit" type="number" min={1} max={100000} defaultValue={1000} />
          </div>
          <div className="field">
            <label htmlFor="timeoutSeconds">Timeout (seconds)</label>
            <input id="timeoutSeconds" name="timeoutSeconds" type="number" min={1} max={MAX_TIMEOUT_SECONDS} step={1} defaultValue={DEFAULT_TIMEOUT_SECONDS} aria-describedby="timeoutSeconds-hint" />
            <p id="timeoutSeconds-hint" className="hint">
              Up to {MAX_TIMEOUT_SECONDS / 60} minutes; the run is stopped after it.
            </p>
          </div>
          <button type="submit" className="btn btn-primary" disabled={running}>
            {running ? 'Running…' : environment ? `Run on ${environment.environmentName}` : 'Run'}
          </button>
          {running && executionId ? (
            <button type="button" className="btn btn-danger" onClick={() => canceller.submit({ intent: 'cancel', executionId }, { method: 'post', action: actionUrl })}>
              Cancel
            </button>
          ) : null}
          {running && startedAt !== null ? (
            <span className="muted small" aria-live="off">
              {((now - startedAt) / 1000).toFixed(1)} s
            </span>
          ) : null}
        </div>
      </form>
      {problem ? (
        <Alert tone="danger" title={problem.message}>
          <p className="muted small">
            {typeof problem.details.number === 'number' ? `SQL Server error ${problem.details.number}` : problem.error}
            {typeof problem.details.line === 'number' ? `, line ${problem.details.line}` : ''}
            {typeof problem.details.field === 'string' ? ` (${problem.details.field})` : ''}
          </p>
        </Alert>
      ) : null}
      {/* Present before the run starts, so screen readers announce its outcome. */}
      <p className="visually-hidden" role="status">
        {running ? 'Running…' : result ? `${result.status === 'cancelled' ? 'Cancelled' : 'Completed'} in ${result.elapsedMs.toFixed(1)} ms` : ''}
      </p>
      {result ? <ExecutionResult result={result} /> : null}
    </Card>
  );
}

function ExecutionResult({ result }: { result: DisplayExecution }) {
  return (
    <section className="stack" aria-label="Results">
      <p className="row small" data-status={result.status}>
        <strong>{result.status === 'cancelled' ? 'Cancelled' : 'Completed'}</strong>
        <span>in {result.elapsedMs.toFixed(1)} ms</span>
        {result.returnValue !== null ? <span>· return value {result.returnValue}</span> : null}
        {result.rowsAffected.length > 0 ? <span>· rows affected {result.rowsAffected.join(', ')}</span> : null}
        {result.truncated ? <span>· truncated at {result.rowLimit} rows per result set</span> : null}
      </p>
      {Object.keys(result.output).length > 0 ? (
        <dl className="row small" aria-label="Output parameters">
          {Object.entries(result.output).map(([name, value]) => (
            <div key={name}>
              <dt className="muted">@{name}</dt>
              <dd>{value ?? 'NULL'}</dd>
            </div>
          ))}
        </dl>
      ) : null}
      {result.resultSets.map((set, i) => (
        <ResultGrid key={i} set={set} index={i} />
      ))}
      {result.messages.length > 0 ? (
        <div>
          <p className="small strong">Messages</p>
          <ul className="sql-messages" aria-label="Messages">
            {result.messages.map((m, i) => (
              <li key={i}>{m.message}</li>
            ))}
          </ul>
        </div>
      ) : null}
    </section>
  );
}
