// Published (old) → draft (new), as unified-diff hunks from sqlEditor.diff.
export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: string[];
}

export function DiffView({ hunks, identical, published }: { hunks: DiffHunk[]; identical: boolean; published: boolean }) {
  if (!published) return <p className="muted">Not published yet: the whole draft is new.</p>;
  if (identical) return <p className="muted">The draft is what is published.</p>;
  return (
    <div className="sql-diff" aria-label="Changes since publish">
      {hunks.map((hunk, i) => (
        <pre key={i} className="sql-diff-hunk">
          <span className="muted">{`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`}</span>
          {'\n'}
          {hunk.lines.map((line, j) => (
            <span key={j} className={line.startsWith('+') ? 'diff-add' : line.startsWith('-') ? 'diff-del' : undefined}>
              {line}
              {'\n'}
            </span>
          ))}
        </pre>
      ))}
    </div>
  );
}
