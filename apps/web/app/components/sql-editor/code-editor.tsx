// The SQL text editor: CodeMirror 6 with the SQL Server dialect (highlighting, keyword
// autocompletion) and the server's errors as lint diagnostics at their line. CodeMirror needs the
// DOM, so it is loaded in the browser only; the server renders a read-only <pre> of the same text.
import { useEffect, useRef } from 'react';
import type { EditorView } from '@codemirror/view';
import type { CompletionCatalogue } from '../../lib/sql-completion';

export interface EditorDiagnostic {
  /** 1-based line in the editor. */
  line: number;
  message: string;
}

export function SqlCodeEditor({
  initialValue,
  onChange,
  diagnostics,
  readOnly = false,
  label,
  schema,
  onReady,
}: {
  initialValue: string;
  onChange(value: string): void;
  diagnostics: EditorDiagnostic[];
  readOnly?: boolean;
  label: string;
  /** Completion from the live schema (schema-completion.ts), read at every keystroke. */
  schema?: () => CompletionCatalogue | null;
  /** The editor once mounted (to insert text at the cursor), null when it goes. */
  onReady?: (view: EditorView | null) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const change = useRef(onChange);
  change.current = onChange;
  const pending = useRef(diagnostics);
  pending.current = diagnostics;
  const applyDiagnostics = useRef<((d: EditorDiagnostic[]) => void) | null>(null);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const [{ basicSetup, EditorView: View }, { sql, MSSQL }, { lintGutter, setDiagnostics }, { EditorState }] = await Promise.all([
        import('codemirror'),
        import('@codemirror/lang-sql'),
        import('@codemirror/lint'),
        import('@codemirror/state'),
      ]);
      const completion = schema ? [(await import('./schema-completion')).schemaCompletion(schema)] : [];
      if (cancelled || !host.current) return;
      host.current.textContent = '';
      const editor = new View({
        parent: host.current,
        state: EditorState.create({
          doc: initialValue,
          extensions: [
            basicSetup,
            sql({ dialect: MSSQL, upperCaseKeywords: true }),
            lintGutter(),
            completion,
            EditorState.readOnly.of(readOnly),
            View.contentAttributes.of({ 'aria-label': label }),
            View.updateListener.of((update) => {
              if (update.docChanged) change.current(update.state.doc.toString());
            }),
          ],
        }),
      });
      view.current = editor;
      onReady?.(editor);
      applyDiagnostics.current = (list) => {
        const doc = editor.state.doc;
        const found = list
          .filter((d) => d.line >= 1 && d.line <= doc.lines)
          .map((d) => {
            const line = doc.line(d.line);
            return { from: line.from, to: line.to, severity: 'error' as const, message: d.message };
          });
        editor.dispatch(setDiagnostics(editor.state, found));
      };
      applyDiagnostics.current(pending.current);
      host.current.dataset.ready = 'true';
    })();
    return () => {
      cancelled = true;
      view.current?.destroy();
      view.current = null;
      onReady?.(null);
    };
    // Mount once: the editor owns its text afterwards, so later loader data never resets what the user typed.
  }, []);

  useEffect(() => {
    applyDiagnostics.current?.(diagnostics);
  }, [diagnostics]);

  return (
    <div ref={host} className="sql-code-editor" data-testid="sql-editor">
      <pre className="sql-code-fallback">{initialValue}</pre>
    </div>
  );
}
