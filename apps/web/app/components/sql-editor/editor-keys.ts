// The editor's keys, as people know them from SSMS and Azure Data Studio: one table drives both
// the CodeMirror keymap and the "Keyboard shortcuts" popover, so the two cannot disagree.
import type { EditorView, KeyBinding } from '@codemirror/view';

export interface EditorCommands {
  run?(): void;
  save?(): void;
}

export interface Shortcut {
  /** CodeMirror key names; Mod is Ctrl, or Cmd on macOS. */
  keys: string[];
  /** What the popover shows. */
  label: string;
  does: string;
}

export const SHORTCUTS: Shortcut[] = [
  { keys: ['Mod-Enter', 'F5'], label: 'Ctrl/⌘ + Enter, F5', does: 'Run the published procedure' },
  { keys: ['Mod-s'], label: 'Ctrl/⌘ + S', does: 'Save the draft now' },
  { keys: ['Shift-Alt-f'], label: 'Shift + Alt + F', does: 'Format the SQL (T-SQL)' },
  { keys: ['Mod-/'], label: 'Ctrl/⌘ + /', does: 'Comment or uncomment the lines' },
  { keys: ['Tab'], label: 'Tab, Shift + Tab', does: 'Indent, outdent' },
  { keys: ['Escape'], label: 'Esc, then Tab', does: 'Leave the editor (keyboard focus moves on)' },
  { keys: ['Mod-z'], label: 'Ctrl/⌘ + Z, Ctrl/⌘ + Shift + Z', does: 'Undo, redo' },
  { keys: ['Mod-f'], label: 'Ctrl/⌘ + F', does: 'Find and replace' },
  { keys: ['Ctrl-Space'], label: 'Ctrl + Space', does: 'Suggest keywords' },
];

/**
 * Formats T-SQL with sql-formatter (loaded on first use: it is most of the editor's weight and
 * few sessions need it). Throws sql-formatter's error when the text does not parse.
 */
export async function formatTsql(text: string): Promise<string> {
  const { format } = await import('sql-formatter');
  return format(text, { language: 'tsql', keywordCase: 'upper', tabWidth: 2 });
}

/**
 * Bindings that take precedence over CodeMirror's defaults (Mod-Enter inserts a line there).
 * `closeCompletion` shuts an open suggestion list on Run: left open, it covers the results and the
 * next Enter would accept a suggestion nobody is looking at.
 */
export function editorKeyBindings(commands: { current: EditorCommands }, format: () => void, closeCompletion?: (view: EditorView) => boolean): KeyBinding[] {
  const run = (view: EditorView) => {
    closeCompletion?.(view);
    commands.current.run?.();
    // Claimed even without a handler, so F5 never reloads the page from inside the editor.
    return true;
  };
  return [
    { key: 'Mod-Enter', run, preventDefault: true },
    { key: 'F5', run, preventDefault: true },
    {
      key: 'Mod-s',
      run: () => {
        commands.current.save?.();
        return true;
      },
      preventDefault: true,
    },
    {
      key: 'Shift-Alt-f',
      run: () => {
        format();
        return true;
      },
      preventDefault: true,
    },
  ];
}
