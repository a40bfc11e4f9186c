// The SQL text editor: CodeMirror 6 with the SQL Server dialect (highlighting, keyword
// autocompletion), the keys of SSMS-style tools (editor-keys.ts) and the server's errors as lint
// diagnostics at their line. CodeMirror needs the DOM, so it is loaded in the browser only; the
// server renders a read-only <pre> of the same text.
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import type { Annotation } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import type { CompletionCatalogue } from '../../lib/sql-completion';
import { editorKeyBindings, formatTsql, type EditorCommands } from './editor-keys';

export interface EditorDiagnostic {
  /** 1-based line in the editor. */
  line: number;
  message: string;
}

/** What a page may do to the editor after mount (it owns its text otherwise). */
export interface SqlCodeEditorHandle {
  /** Replaces the whole text, as one undoable change of its own (never merged with the typing before it). */
  replaceText(text: string): void;
  focus(): void;
}

export const SqlCodeEditor = forwardRef<
  SqlCodeEditorHandle,
  {
    initialValue: string;
    onChange(value: string): void;
    diagnostics: EditorDiagnostic[];
    readOnly?: boolean;
    label: string;
    /** What Run and Save keys do; read at key time, so the page may pass new functions freely. */
    commands?: EditorCommands;
    /** Formatting failed (the text does not parse); the message says where. */
    onFormatError?(message: string): void;
    /** Completion from the live schema (schema-completion.ts), read at every keystroke. */
    schema?: () => CompletionCatalogue | null;
    /** The editor once mounted (to insert text at the cursor), null when it goes. */
    onReady?: (view: EditorView | null) => void;
  }
>(function SqlCodeEditor({ initialValue, onChange, diagnostics, readOnly = false, label, commands = {}, onFormatError, schema, onReady }, ref) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const change = useRef(onChange);
  change.current = onChange;
  const commandsRef = useRef(commands);
  commandsRef.current = commands;
  const formatError = useRef(onFormatError);
  formatError.current = onFormatError;
  const pending = useRef(diagnostics);
  pending.current = diagnostics;
  const applyDiagnostics = useRef<((d: EditorDiagnostic[]) => void) | null>(null);
  const isolate = useRef<Annotation<'before' | 'after' | 'full'> | undefined>(undefined);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const [{ basicSetup, EditorView: View }, { sql, MSSQL }, { lintGutter, setDiagnostics }, { EditorState, Prec }, { keymap }, { indentWithTab, isolateHistory }, { closeCompletion }] = await Promise.all([
        import('codemirror'),
        import('@codemirror/lang-sql'),
        import('@codemirror/lint'),
        import('@codemirror/state'),
        import('@codemirror/view'),
        import('@codemirror/commands'),
        import('@codemirror/autocomplete'),
      ]);
      const [completion, { pageHighlighting }] = await Promise.all([schema ? import('./schema-completion').then((m) => [m.schemaCompletion(schema)]) : [], import('./sql-highlight')]);
      if (cancelled || !host.current) return;
      host.current.textContent = '';
      const format = () => {
        const target = view.current;
        if (!target || readOnly) return;
        const before = target.state.doc.toString();
        formatTsql(before).then(
          (formatted) => {
            // Typing while the formatter loaded wins: never replace text the person has moved past.
            if (target.state.doc.toString() !== before || formatted === before) return;
            target.dispatch({ changes: { from: 0, to: before.length, insert: formatted } });
          },
          (error: unknown) => formatError.current?.(error instanceof Error ? error.message : String(error)),
        );
      };
      const editor = new View({
        parent: host.current,
        state: EditorState.create({
          doc: initialValue,
          extensions: [
            Prec.highest(keymap.of(editorKeyBindings(commandsRef, format, closeCompletion))),
            // Tab indents; Escape then Tab leaves the editor (CodeMirror's tab-focus mode).
            keymap.of([indentWithTab]),
            basicSetup,
            sql({ dialect: MSSQL, upperCaseKeywords: true }),
            pageHighlighting,
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
      isolate.current = isolateHistory.of('full');
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

  useImperativeHandle(
    ref,
    () => ({
      replaceText(text) {
        const editor = view.current;
        if (!editor) return;
        editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: text }, annotations: isolate.current });
      },
      focus() {
        view.current?.focus();
      },
    }),
    [],
  );

  return (
    <div ref={host} className="sql-code-editor" data-testid="sql-editor">
      <pre className="sql-code-fallback">{initialValue}</pre>
    </div>
  );
});
