// The CodeMirror extension for completion from the live schema (lib/sql-completion.ts does the
// work). It replaces the SQL language's keyword completion, which knows nothing of dots and turned
// `dbo.ord` into `ORDER`; keywords come from the same source, only where a keyword can stand.
import { autocompletion, type CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import type { Extension } from '@codemirror/state';
import { sqlCompletions, type CompletionCatalogue } from '../../lib/sql-completion';

/** `catalogue` is read at every keystroke, so a refreshed schema is used without rebuilding the editor. */
export function schemaCompletion(catalogue: () => CompletionCatalogue | null): Extension {
  const source = (context: CompletionContext): CompletionResult | null => {
    const current = catalogue();
    if (!current) return null;
    const found = sqlCompletions(context.state.doc.toString(), context.pos, current, { explicit: context.explicit });
    if (!found || found.options.length === 0) return null;
    return { from: found.from, options: found.options, validFor: /^[\w$#@]*$/ };
  };
  return autocompletion({ override: [source] });
}
