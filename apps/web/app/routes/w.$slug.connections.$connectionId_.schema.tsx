// The schema browser of one connection: the catalogue tree beside a SQL editor whose completion
// knows this schema. Clicking a name inserts it at the cursor; a table offers its first 100 rows
// as a query; Open in console takes the editor's text to the console of this connection. The
// catalogue is cached per pool on the server; Refresh reads it again.
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, Link, useLoaderData, useNavigation } from '@remix-run/react';
import type { EditorView } from '@codemirror/view';
import { useCallback, useRef, useState } from 'react';
import { SchemaTree } from '../components/schema-browser/schema-tree';
import schemaStyles from '../components/schema-browser/schema-browser.css?url';
import { SqlCodeEditor } from '../components/sql-editor/code-editor';
import { consoleWithSql, PASSED_SQL_MAX } from '../components/sql-editor/console-results';
import editorStyles from '../components/sql-editor/sql-editor.css?url';
import { Alert, Card, formatDateTime, PageHeader } from '../components/ui';
import { requireUser } from '../lib/api.server';
import { useWorkspace } from '../lib/workspace';

export { PageErrorBoundary as ErrorBoundary } from '../components/error-page';
export { errorPageHeaders as headers } from '../lib/error-headers';

export const links: LinksFunction = () => [
  { rel: 'stylesheet', href: editorStyles },
  { rel: 'stylesheet', href: schemaStyles },
];

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `Schema of ${data?.connection.name ?? 'connection'} · Workspace Studio` }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const api = await requireUser(request, context);
  const ref = { workspaceSlug: params.slug ?? '', connectionId: params.connectionId ?? '' };
  const refresh = new URL(request.url).searchParams.get('refresh') === '1';
  const [connection, catalogue] = await Promise.all([api.load((c) => c.connections.get(ref)), api.load((c) => c.connections.schema({ ...ref, refresh }))]);
  return api.json({
    connection: { id: connection.id, name: connection.name, type: connection.type, database: connection.database },
    catalogue: { type: catalogue.type, schemas: catalogue.schemas, loadedAt: catalogue.loadedAt, truncated: catalogue.truncated },
  });
}

export default function ConnectionSchema() {
  const { connection, catalogue } = useLoaderData<typeof loader>();
  const { workspace } = useWorkspace();
  const navigation = useNavigation();
  const editor = useRef<EditorView | null>(null);
  const [text, setText] = useState('');
  const tooLong = text.length > PASSED_SQL_MAX;
  const current = useRef(catalogue);
  current.current = catalogue;
  const schema = useCallback(() => current.current, []);
  const insert = useCallback((text: string) => {
    const view = editor.current;
    if (!view) return;
    view.dispatch(view.state.replaceSelection(text));
    view.focus();
  }, []);
  const refreshing = navigation.state === 'loading' && navigation.location?.search.includes('refresh=1');
  return (
    <>
      <PageHeader
        title={`Schema of ${connection.name}`}
        description={
          <>
            <Link to={`/w/${workspace.slug}/connections`}>Connections</Link> · <Link to={`/w/${workspace.slug}/connections/${connection.id}`}>{connection.name}</Link> · database{' '}
            {connection.database} · read {formatDateTime(catalogue.loadedAt)}
          </>
        }
        actions={
          <Form method="get" replace>
            <input type="hidden" name="refresh" value="1" />
            <button type="submit" className="btn btn-secondary" disabled={refreshing} aria-busy={refreshing || undefined}>
              {refreshing ? 'Refreshing…' : 'Refresh'}
            </button>
          </Form>
        }
      />
      {catalogue.truncated ? (
        <Alert tone="warning" title="Only the first 5,000 tables and views are shown">
          Filter by name to find the others in your SQL; completion knows the same tables.
        </Alert>
      ) : null}
      <div className="schema-layout">
        <Card title="Tables, views and procedures">
          <SchemaTree catalogue={catalogue} onInsert={insert} />
        </Card>
        <Card
          title="SQL"
          actions={
            tooLong ? (
              <span className="row">
                <button type="button" className="btn btn-secondary small" disabled aria-describedby="open-in-console-why">
                  Open in console
                </button>
                <span id="open-in-console-why" className="small muted">
                  Over {PASSED_SQL_MAX.toLocaleString('en')} characters: copy it into the console.
                </span>
              </span>
            ) : (
              <Link className="btn btn-secondary small" to={consoleWithSql(workspace.slug, connection.id, text)}>
                Open in console
              </Link>
            )
          }
        >
          <p className="muted small">
            Click a name to insert it at the cursor. Completion offers tables after FROM and JOIN, columns of the tables in the statement, and procedures after{' '}
            {catalogue.type === 'mssql' ? 'EXEC' : 'CALL'} (Ctrl+Space opens it anywhere).
          </p>
          <SqlCodeEditor
            initialValue=""
            onChange={setText}
            diagnostics={[]}
            label={`SQL for ${connection.name}`}
            schema={schema}
            onReady={(view) => {
              editor.current = view;
            }}
          />
        </Card>
      </div>
    </>
  );
}
