// The query console for one connection: SQL in CodeMirror, parameters detected from the text,
// read-only or read-write (as the connection allows), row limit and time limit, Run and Cancel,
// result grids (sort, resize, copy as TSV, expand a cell), messages, export as CSV or JSON
// (streamed by the server), and beside it the caller's history and the workspace's saved queries.
// The side panel is a column of its own so more panels (schema) can join it.
import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useFetcher, useLoaderData, useSearchParams } from '@remix-run/react';
import type { Problem } from '@studio/api/problem';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { EditorView } from '@codemirror/view';
import { SchemaTree } from '../components/schema-browser/schema-tree';
import schemaStyles from '../components/schema-browser/schema-browser.css?url';
import { SqlCodeEditor, type SqlCodeEditorHandle } from '../components/sql-editor/code-editor';
import { PASSED_SQL_MAX, placeholdersIn, toConsoleDisplay, type ConsoleDisplay } from '../components/sql-editor/console-results';
import { ResultGrid } from '../components/sql-editor/result-grid';
import styles from '../components/sql-editor/sql-editor.css?url';
import { Alert, Badge, Card, formatDateTime, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { connectionTypeLabels } from '../lib/connection-form';
import { useDenial } from '../components/permission';
import { canManageWorkspace } from '../lib/nav';
import { useWorkspace } from '../lib/workspace';
import { plural } from '../lib/words';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: data ? `${data.connection.name} · Console` : 'Console · Workspace Studio' }];
export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: styles },
  { rel: 'stylesheet', href: schemaStyles },
];

const EXAMPLES = { mssql: 'SELECT TOP 100 * FROM sys.objects;', postgres: 'SELECT * FROM pg_catalog.pg_tables LIMIT 100;', mysql: 'SELECT * FROM information_schema.tables LIMIT 100;' } as const;

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const url = new URL(request.url);
  const workspaceSlug = params.slug ?? '';
  const connectionId = params.connectionId ?? '';
  const search = url.searchParams.get('q')?.trim() ?? '';
  const [connection, connections, history, saved, schema] = await Promise.all([
    api.load((c) => c.console.connection({ workspaceSlug, connectionId })),
    api.load((c) => c.connections.list({ workspaceSlug, limit: 200 })),
    api.load((c) => c.console.history({ workspaceSlug, connectionId, search: search || undefined, limit: 30 })),
    api.load((c) => c.console.savedQueries({ workspaceSlug, connectionId, limit: 50 })),
    // The schema panel and completion; a catalogue that cannot be read leaves the console usable.
    api.attempt((c) => c.connections.schema({ workspaceSlug, connectionId, refresh: url.searchParams.get('refreshSchema') === '1' })),
  ]);
  // A re-run, a saved query or text handed over by another page (the schema browser) opens in the editor.
  const historyId = url.searchParams.get('history');
  const savedId = url.searchParams.get('saved');
  const passedSql = url.searchParams.get('sql');
  let initialSql = '';
  if (historyId) initialSql = (await api.load((c) => c.console.historyEntry({ workspaceSlug, historyId }))).sql;
  else if (savedId) initialSql = saved.items.find((s) => s.id === savedId)?.sql ?? '';
  else if (passedSql) initialSql = passedSql.slice(0, PASSED_SQL_MAX);
  return api.json({
    connection,
    connections: connections.items.map((c) => ({ id: c.id, name: c.name, type: c.type })),
    history: history.items.map((h) => ({ id: h.id, sql: h.sql, outcome: h.outcome, durationMs: h.durationMs, rowCount: h.rowCount, errorCode: h.errorCode, ranAt: h.ranAt.toISOString() })),
    saved: saved.items.map((s) => ({ id: s.id, name: s.name, sql: s.sql, description: s.description, createdBy: s.createdBy, updatedAt: s.updatedAt.toISOString() })),
    search,
    initialSql,
    // Only your own history runs on arrival ("Run again"): text from a link or a shared saved query
    // opens in the editor and waits for Run, so a link cannot make someone run SQL they did not read.
    autoRun: url.searchParams.get('run') === '1' && historyId !== null && initialSql !== '',
    userId: api.user.userId,
    schema: schema.ok ? { catalogue: { type: schema.value.type, schemas: schema.value.schemas }, loadedAt: schema.value.loadedAt.toISOString(), error: null } : { catalogue: null, loadedAt: null, error: schema.problem.message },
  });
}

type ActionAnswer =
  | { intent: 'run'; ok: true; result: ConsoleDisplay }
  | { intent: 'cancel' | 'save' | 'deleteSaved' | 'setAccess'; ok: true; message: string }
  | { intent: string; ok: false; problem: Problem };

export async function action({ request, context, params }: ActionFunctionArgs) {
  const api = await requireUser(request, context);
  const workspaceSlug = params.slug ?? '';
  const connectionId = params.connectionId ?? '';
  const form = await request.formData();
  const intent = String(form.get('intent') ?? '');
  const answer = (value: ActionAnswer) => api.json(value);
  if (intent === 'run') {
    let parameters: (string | number | null)[];
    try {
      parameters = JSON.parse(String(form.get('parameters') ?? '[]')) as (string | number | null)[];
    } catch {
      return answer({ intent, ok: false, problem: { error: 'invalid_input', message: 'parameters: not JSON', details: { field: 'parameters' } } });
    }
    const ran = await api.attempt((c) =>
      c.console.run({
        workspaceSlug,
        connectionId,
        sql: String(form.get('sql') ?? ''),
        parameters,
        mode: form.get('mode') === 'read-write' ? 'read-write' : 'read-only',
        rowLimit: Number(form.get('rowLimit') || 1000),
        timeoutMs: form.get('timeoutMs') ? Number(form.get('timeoutMs')) : undefined,
        runId: String(form.get('runId') ?? '') || undefined,
      }),
    );
    if (!ran.ok) return answer({ intent, ok: false, problem: ran.problem });
    return answer({ intent, ok: true, result: toConsoleDisplay(ran.value) });
  }
  if (intent === 'cancel') {
    const cancelled = await api.attempt((c) => c.console.cancel({ workspaceSlug, runId: String(form.get('runId') ?? '') }));
    return answer(cancelled.ok ? { intent, ok: true, message: 'Cancel sent' } : { intent, ok: false, problem: cancelled.problem });
  }
  if (intent === 'save') {
    const saved = await api.attempt((c) => c.console.saveQuery({ workspaceSlug, connectionId, name: String(form.get('name') ?? ''), sql: String(form.get('sql') ?? '') }));
    return answer(saved.ok ? { intent, ok: true, message: `Saved as '${saved.value.name}'` } : { intent, ok: false, problem: saved.problem });
  }
  if (intent === 'deleteSaved') {
    const deleted = await api.attempt((c) => c.console.deleteQuery({ workspaceSlug, savedQueryId: String(form.get('savedQueryId') ?? '') }));
    return answer(deleted.ok ? { intent, ok: true, message: 'Saved query deleted' } : { intent, ok: false, problem: deleted.problem });
  }
  if (intent === 'setAccess') {
    const access = String(form.get('access') ?? '') as 'off' | 'read-only' | 'read-write';
    const changed = await api.attempt((c) => c.console.setAccess({ workspaceSlug, connectionId, access }));
    return answer(changed.ok ? { intent, ok: true, message: `Console access is now ${changed.value.access}` } : { intent, ok: false, problem: changed.problem });
  }
  return answer({ intent, ok: false, problem: { error: 'invalid_input', message: `Unknown action ${intent}`, details: {} } });
}

type ParameterType = 'auto' | 'text' | 'number' | 'null';

/** Form values are text: "auto" sends a plain number (no leading zero, as in 0042) as a number. */
function parameterValue(raw: string, type: ParameterType): string | number | null {
  if (type === 'null') return null;
  if (type === 'text') return raw;
  const numeric = /^-?(0|[1-9]\d*)(\.\d+)?$/.test(raw.trim());
  if (type === 'number') return Number(raw);
  return numeric ? Number(raw) : raw;
}

function newRunId(): string {
  return crypto.randomUUID();
}

export default function ConsolePage() {
  const data = useLoaderData<typeof loader>();
  const { connection } = data;
  const { workspace } = useWorkspace();
  const [searchParams] = useSearchParams();
  const sql = useRef(data.initialSql || '');
  const [editorKey, setEditorKey] = useState(0);
  const [text, setText] = useState(data.initialSql);
  const [mode, setMode] = useState<'read-only' | 'read-write'>('read-only');
  const [parameters, setParameters] = useState<string[]>([]);
  const [parameterTypes, setParameterTypes] = useState<ParameterType[]>([]);
  const runner = useFetcher<typeof action>({ key: `console-run-${connection.connectionId}` });
  const canceller = useFetcher<typeof action>();
  const saver = useFetcher<typeof action>();
  // Its own fetcher, so the answer shows in the Console access card, not under Saved queries.
  const accessSetter = useFetcher<typeof action>();
  const saveForm = useRef<HTMLFormElement>(null);
  const runId = useRef(newRunId());
  // What produced the result on screen: Export sends this, not whatever the editor holds since.
  const shown = useRef<{ sql: string; parameters: string; mode: 'read-only' | 'read-write' } | null>(null);
  const [exportFormat, setExportFormat] = useState<'csv' | 'json'>('csv');
  const autoRan = useRef<string | null>(null);
  const editorView = useRef<EditorView | null>(null);
  const editorHandle = useRef<SqlCodeEditorHandle>(null);
  const catalogue = useRef(data.schema.catalogue);
  catalogue.current = data.schema.catalogue;
  const completionSchema = useMemo(() => () => catalogue.current, []);
  const insertIntoEditor = (text: string) => {
    const view = editorView.current;
    if (!view) return;
    view.dispatch(view.state.replaceSelection(text));
    view.focus();
  };

  // Loading a history entry or a saved query replaces the editor's text as one change, so Ctrl+Z
  // brings back what was typed before; an editor still loading is mounted afresh with the text.
  useEffect(() => {
    sql.current = data.initialSql;
    setText(data.initialSql);
    const view = editorView.current;
    if (!view) {
      setEditorKey((k) => k + 1);
      return;
    }
    if (view.state.doc.toString() !== data.initialSql) editorHandle.current?.replaceText(data.initialSql);
  }, [data.initialSql]);

  // A saved query's name is cleared once saved, so the next save does not reuse it by accident.
  useEffect(() => {
    if (saver.state === 'idle' && saver.data?.intent === 'save' && saver.data.ok) saveForm.current?.reset();
  }, [saver.state, saver.data]);

  const needed = useMemo(() => placeholdersIn(text, connection.type), [text, connection.type]);
  const running = runner.state !== 'idle';
  const answer = runner.data;
  const result = answer && answer.intent === 'run' && answer.ok ? answer.result : null;
  const problem = answer && !answer.ok ? answer.problem : null;

  const parameterValues = () => Array.from({ length: needed }, (_, i) => parameterValue(parameters[i] ?? '', parameterTypes[i] ?? 'auto'));

  const run = () => {
    if (!sql.current.trim() || running) return;
    runId.current = newRunId();
    const values = parameterValues();
    shown.current = { sql: sql.current, parameters: JSON.stringify(values), mode };
    runner.submit(
      { intent: 'run', sql: sql.current, mode, parameters: JSON.stringify(values), rowLimit: String(rowLimitRef.current?.value ?? 1000), timeoutMs: timeoutRef.current?.value ?? '', runId: runId.current },
      { method: 'post' },
    );
  };
  const rowLimitRef = useRef<HTMLInputElement>(null);
  const timeoutRef = useRef<HTMLInputElement>(null);

  // "Run again" runs at once unless the text wants parameters: those are filled in first.
  useEffect(() => {
    const key = searchParams.toString();
    if (data.autoRun && autoRan.current !== key && sql.current === data.initialSql && placeholdersIn(data.initialSql, connection.type) === 0) {
      autoRan.current = key;
      run();
    }
  });

  const off = connection.access === 'off';
  const canWrite = connection.can['read-write'].allowed;
  // Running in the chosen mode: the API's verdict (role, grant, the connection's console access).
  const runDenial = useDenial(connection.can[mode]);
  const writeDenial = useDenial(connection.can['read-write']);
  // Why read-write is unavailable is said once asked (and to a screen reader, as the Mode picker's
  // description), not under the picker all the time; when running is denied altogether, that sentence says it.
  const explainWrite = writeDenial.denied && !runDenial.denied;
  const [whyNoWrite, setWhyNoWrite] = useState(false);
  const manager = canManageWorkspace(workspace.role);
  const exportUrl = `/w/${workspace.slug}/console/${connection.connectionId}/export`;

  return (
    <>
      <PageHeader
        title={`Console · ${connection.name}`}
        description={
          <>
            <Link to={`/w/${workspace.slug}/connections/${connection.connectionId}`}>{connection.name}</Link> · {connectionTypeLabels[connection.type]} ·{' '}
            <Badge tone={off ? 'danger' : canWrite ? 'warning' : 'info'}>console {connection.access}</Badge>
          </>
        }
        actions={
          <form method="get" action={`/w/${workspace.slug}/console`} className="row console-picker">
            <label className="visually-hidden" htmlFor="console-connection">
              Connection
            </label>
            <select id="console-connection" name="connection" defaultValue={connection.connectionId} onChange={(e) => e.currentTarget.form?.requestSubmit()}>
              {data.connections.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({connectionTypeLabels[c.type]})
                </option>
              ))}
            </select>
            <noscript>
              <button className="btn btn-secondary" type="submit">
                Open
              </button>
            </noscript>
          </form>
        }
      />
      {off ? (
        <Alert tone="warning" title="The console is off for this connection">
          {manager ? 'Turn it on below (read-only is the safe choice).' : 'An Owner or Admin can turn it on.'}
        </Alert>
      ) : null}
      <div className="console-layout">
        <div className="console-main">
          <Card>
            <SqlCodeEditor
              key={editorKey}
              ref={editorHandle}
              initialValue={sql.current}
              label="SQL to run"
              diagnostics={[]}
              schema={completionSchema}
              commands={{ run }}
              onReady={(view) => {
                editorView.current = view;
              }}
              onChange={(value) => {
                sql.current = value;
                setText(value);
              }}
            />
            {!text ? <p className="small muted">Type SQL, e.g. <code>{EXAMPLES[connection.type]}</code> Press Run or Ctrl+Enter.</p> : null}
            {needed > 0 ? (
              <fieldset className="console-params">
                <legend className="small">Parameters</legend>
                {Array.from({ length: needed }, (_, i) => {
                  const name = connection.type === 'mssql' ? `@p${i + 1}` : connection.type === 'postgres' ? `$${i + 1}` : `? #${i + 1}`;
                  return (
                    <label key={i} className="field">
                      <span>{name}</span>
                      <input
                        aria-label={name}
                        value={parameters[i] ?? ''}
                        onChange={(e) => setParameters((p) => {
                          const next = [...p];
                          next[i] = e.target.value;
                          return next;
                        })}
                        onKeyDown={(e) => {
                          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) run();
                        }}
                      />
                      <select
                        aria-label={`Type of ${name}`}
                        value={parameterTypes[i] ?? 'auto'}
                        onChange={(e) => setParameterTypes((t) => {
                          const next = [...t];
                          next[i] = e.target.value as ParameterType;
                          return next;
                        })}
                      >
                        <option value="auto">Auto</option>
                        <option value="text">Text</option>
                        <option value="number">Number</option>
                        <option value="null">NULL</option>
                      </select>
                    </label>
                  );
                })}
              </fieldset>
            ) : null}
            <div className="row console-controls">
              <button type="button" className="btn btn-primary" onClick={run} disabled={running || off || !text.trim()} {...runDenial.control}>
                {running ? 'Running…' : 'Run'}
              </button>
              {runDenial.reason}
              {running ? (
                <button type="button" className="btn btn-danger" onClick={() => canceller.submit({ intent: 'cancel', runId: runId.current }, { method: 'post' })}>
                  Cancel
                </button>
              ) : null}
              <label className="row small">
                Mode
                <select value={mode} onChange={(e) => setMode(e.target.value as 'read-only' | 'read-write')} aria-describedby={explainWrite ? writeDenial.control['aria-describedby'] : undefined}>
                  <option value="read-only">Read-only</option>
                  <option value="read-write" disabled={!canWrite}>
                    {canWrite ? 'Read-write' : 'Read-write (not allowed)'}
                  </option>
                </select>
              </label>
              {explainWrite ? (
                <>
                  <button type="button" className="btn btn-ghost small" aria-expanded={whyNoWrite} onClick={() => setWhyNoWrite((open) => !open)}>
                    Why not read-write?
                  </button>
                  {/* Hidden until asked for, yet still the picker's description for a screen reader. */}
                  <span className={whyNoWrite ? 'console-why' : 'visually-hidden'}>{writeDenial.reason}</span>
                </>
              ) : null}
              <label className="row small">
                Row limit
                <input ref={rowLimitRef} type="number" min={1} max={100000} defaultValue={1000} className="console-number" />
              </label>
              <label className="row small">
                Time limit (ms)
                <input ref={timeoutRef} type="number" min={100} max={connection.maxTimeoutMs ?? undefined} placeholder={String(connection.defaultTimeoutMs)} className="console-number" />
              </label>
              {connection.maxTimeoutMs ? <span className="small muted">max {connection.maxTimeoutMs} ms on this connection</span> : null}
            </div>
          </Card>

          {problem ? (
            <Alert tone="danger" title={problem.error === 'query_timeout' ? 'Time limit reached' : problem.error === 'query_error' ? 'The database refused the query' : 'Not run'}>
              {problem.message}
              {typeof problem.details.databaseCode === 'string' ? <span className="muted"> (code {problem.details.databaseCode})</span> : null}
            </Alert>
          ) : null}
          {result ? (
            <Card
              title={result.status === 'cancelled' ? 'Cancelled' : 'Results'}
              actions={
                <form method="post" action={exportUrl} className="row" onSubmit={(e) => {
                  const form = e.currentTarget;
                  const source = shown.current ?? { sql: sql.current, parameters: JSON.stringify(parameterValues()), mode };
                  (form.elements.namedItem('sql') as HTMLInputElement).value = source.sql;
                  (form.elements.namedItem('parameters') as HTMLInputElement).value = source.parameters;
                  (form.elements.namedItem('mode') as HTMLInputElement).value = source.mode;
                }}>
                  <input type="hidden" name="sql" />
                  <input type="hidden" name="parameters" />
                  <input type="hidden" name="mode" />
                  <select name="format" value={exportFormat} onChange={(e) => setExportFormat(e.target.value as 'csv' | 'json')} aria-label="Export format">
                    <option value="csv">CSV</option>
                    <option value="json">JSON</option>
                  </select>
                  <button type="submit" className="btn btn-secondary" disabled={runDenial.denied} aria-describedby={runDenial.control['aria-describedby']}>
                    Export {exportFormat.toUpperCase()}
                  </button>
                </form>
              }
            >
              <p className={result.status === 'cancelled' ? 'small' : 'small muted'} role="status">
                {result.status === 'cancelled' ? (
                  <>
                    <strong>Cancelled: stopped on the server after {result.elapsedMs} ms</strong>
                    {result.resultSets.some((set) => set.rows.length > 0) ? ' · the rows below arrived before the cancel' : ''} · {result.mode}
                  </>
                ) : (
                  <>
                    {result.mode} · {result.elapsedMs} ms
                  </>
                )}
                {result.rowsAffected.length > 0 ? ` · rows affected: ${result.rowsAffected.join(', ')}` : ''}
                {result.rolledBack ? ' · rolled back (read-only)' : ''}
                {result.truncated ? ` · showing the first ${result.rowLimit} rows of each set; export for all of them` : ''}
              </p>
              {result.resultSets.map((set, i) => (
                <ResultGrid key={`${result.runId}-${i}`} set={set} index={i} />
              ))}
              {result.resultSets.length === 0 ? <p className="muted">No result sets.</p> : null}
              {result.messages.length > 0 ? (
                <ul className="sql-messages" aria-label="Messages">
                  {result.messages.map((m, i) => (
                    <li key={i}>
                      {m.code ? `[${m.code}] ` : ''}
                      {m.message}
                    </li>
                  ))}
                </ul>
              ) : null}
            </Card>
          ) : null}
        </div>

        <aside className="console-side" aria-label="Console panels">
          <Card
            title="Schema"
            actions={
              <Link className="small" to={`?refreshSchema=1${data.search ? `&q=${encodeURIComponent(data.search)}` : ''}`} replace>
                Refresh
              </Link>
            }
          >
            {data.schema.catalogue ? (
              <>
                <SchemaTree catalogue={data.schema.catalogue} onInsert={insertIntoEditor} />
                <p className="small muted">Read {formatDateTime(data.schema.loadedAt)}. A click inserts at the cursor; the editor completes names from this schema.</p>
              </>
            ) : (
              <p className="small muted" data-testid="schema-unavailable">
                The schema could not be read: {data.schema.error}
              </p>
            )}
          </Card>
          <Card title="History">
            <Form method="get" className="row">
              <input type="search" name="q" defaultValue={data.search} placeholder="Search your runs" aria-label="Search history" />
            </Form>
            {data.history.length === 0 ? <p className="small muted">Your runs on this connection appear here (kept 90 days).</p> : null}
            <ol className="console-list" aria-label="Query history">
              {data.history.map((h) => (
                <li key={h.id}>
                  <code className="console-sql" title={h.sql}>
                    {h.sql}
                  </code>
                  <span className="small muted">
                    {formatDateTime(h.ranAt)} · {h.outcome}
                    {h.outcome === 'success' ? ` · ${plural(h.rowCount, 'row')}` : h.errorCode ? ` · ${h.errorCode}` : ''} · {h.durationMs} ms
                  </span>
                  <span className="row">
                    <Link className="small" to={`?history=${h.id}`}>
                      Open
                    </Link>
                    <Link className="small" to={`?history=${h.id}&run=1`} aria-label={`Run again: ${h.sql.slice(0, 60)}`}>
                      Run again
                    </Link>
                  </span>
                </li>
              ))}
            </ol>
          </Card>
          <Card title="Saved queries">
            <saver.Form ref={saveForm} method="post" className="row" onSubmit={(e) => {
              (e.currentTarget.elements.namedItem('sql') as HTMLInputElement).value = sql.current;
            }}>
              <input type="hidden" name="intent" value="save" />
              <input type="hidden" name="sql" />
              <input name="name" required maxLength={200} placeholder="Name" aria-label="Saved query name" />
              <button type="submit" className="btn btn-secondary small" disabled={!text.trim()}>
                Save current
              </button>
            </saver.Form>
            {saver.data ? <p className="small" role="status">{saver.data.ok ? ('message' in saver.data ? saver.data.message : '') : saver.data.problem.message}</p> : null}
            <ul className="console-list" aria-label="Saved queries">
              {data.saved.map((s) => (
                <li key={s.id}>
                  <strong className="small">{s.name}</strong>
                  <code className="console-sql" title={s.sql}>
                    {s.sql}
                  </code>
                  <span className="row">
                    <Link className="small" to={`?saved=${s.id}`}>
                      Open
                    </Link>
                    {s.createdBy === data.userId || manager ? (
                      <saver.Form method="post">
                        <input type="hidden" name="intent" value="deleteSaved" />
                        <input type="hidden" name="savedQueryId" value={s.id} />
                        <button type="submit" className="btn btn-ghost small">
                          Delete
                        </button>
                      </saver.Form>
                    ) : null}
                  </span>
                </li>
              ))}
            </ul>
          </Card>
          {manager ? (
            <Card title="Console access">
              <accessSetter.Form method="post" className="row">
                <input type="hidden" name="intent" value="setAccess" />
                <select name="access" defaultValue={connection.access} aria-label="Console access">
                  <option value="off">Off</option>
                  <option value="read-only">Read-only</option>
                  <option value="read-write">Read-write</option>
                </select>
                <button type="submit" className="btn btn-secondary small">
                  Set
                </button>
              </accessSetter.Form>
              {accessSetter.data ? (
                <p className="small" role="status">
                  {accessSetter.data.ok ? ('message' in accessSetter.data ? accessSetter.data.message : '') : accessSetter.data.problem.message}
                </p>
              ) : null}
              <p className="small muted">What read-only means for each database: README, “Query console”.</p>
            </Card>
          ) : null}
          {searchParams.get('history') || searchParams.get('saved') || searchParams.get('sql') ? (
            <p className="small">
              <Link to=".">Clear the loaded query</Link>
            </p>
          ) : null}
        </aside>
      </div>
    </>
  );
}
