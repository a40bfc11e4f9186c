// Published (old) → draft (new), unified or side by side. Lines wrap instead of scrolling sideways,
// so every change is visible in the viewport, down to 390 px. Computed in the browser from the
// two texts, so it follows every save and publish without a reload.
import { structuredPatch } from 'diff';
import { useMemo, useState } from 'react';

export interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  lines: string[];
}

function withNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

export function hunksOf(oldText: string, newText: string): DiffHunk[] {
  return structuredPatch('old', 'new', withNewline(oldText), withNewline(newText), '', '', { context: 3 }).hunks;
}

type Row = { kind: 'context' | 'add' | 'del'; oldNo: number | null; newNo: number | null; text: string };

function rowsOf(hunk: DiffHunk): Row[] {
  let oldNo = hunk.oldStart;
  let newNo = hunk.newStart;
  const rows: Row[] = [];
  for (const line of hunk.lines) {
    if (line.startsWith('\\')) continue;
    const text = line.slice(1);
    if (line.startsWith('+')) rows.push({ kind: 'add', oldNo: null, newNo: newNo++, text });
    else if (line.startsWith('-')) rows.push({ kind: 'del', oldNo: oldNo++, newNo: null, text });
    else rows.push({ kind: 'context', oldNo: oldNo++, newNo: newNo++, text });
  }
  return rows;
}

/** Side by side: deletions and the additions that follow them share rows. */
function pairsOf(rows: Row[]): { left: Row | null; right: Row | null }[] {
  const pairs: { left: Row | null; right: Row | null }[] = [];
  for (let i = 0; i < rows.length; ) {
    const row = rows[i]!;
    if (row.kind === 'context') {
      pairs.push({ left: row, right: row });
      i++;
      continue;
    }
    const dels: Row[] = [];
    const adds: Row[] = [];
    while (i < rows.length && rows[i]!.kind === 'del') dels.push(rows[i++]!);
    while (i < rows.length && rows[i]!.kind === 'add') adds.push(rows[i++]!);
    for (let j = 0; j < Math.max(dels.length, adds.length); j++) pairs.push({ left: dels[j] ?? null, right: adds[j] ?? null });
  }
  return pairs;
}

const sign = { add: '+', del: '−', context: ' ' } as const;
const spoken = { add: 'added', del: 'removed', context: '' } as const;

function Cell({ row, side }: { row: Row | null; side: 'old' | 'new' | 'both' }) {
  if (!row) return <div className="diff-cell diff-empty" />;
  const number = side === 'old' ? row.oldNo : side === 'new' ? row.newNo : (row.newNo ?? row.oldNo);
  return (
    <div className={`diff-cell diff-${row.kind}`}>
      <span className="diff-no" aria-hidden="true">
        {number}
      </span>
      <span className="diff-sign" aria-hidden="true">
        {sign[row.kind]}
      </span>
      <span className="diff-text">
        {spoken[row.kind] ? <span className="visually-hidden">{spoken[row.kind]}: </span> : null}
        {row.text || ' '}
      </span>
    </div>
  );
}

export function DiffView({ oldText, newText, oldLabel = 'Published', newLabel = 'Draft' }: { oldText: string; newText: string; oldLabel?: string; newLabel?: string }) {
  const [mode, setMode] = useState<'unified' | 'split'>('unified');
  const hunks = useMemo(() => hunksOf(oldText, newText), [oldText, newText]);
  if (hunks.length === 0) return <p className="muted">No differences.</p>;
  return (
    <div className="stack">
      <div className="row" role="radiogroup" aria-label="Diff layout">
        {(['unified', 'split'] as const).map((m) => (
          <label key={m} className="row small">
            <input type="radio" name="diff-mode" checked={mode === m} onChange={() => setMode(m)} /> {m === 'unified' ? 'Unified' : 'Side by side'}
          </label>
        ))}
      </div>
      <div className={`sql-diff sql-diff-${mode}`} aria-label={`Changes: ${oldLabel} → ${newLabel}`} role="group">
        {mode === 'split' ? (
          <div className="diff-row diff-head" aria-hidden="true">
            <div className="diff-cell">{oldLabel}</div>
            <div className="diff-cell">{newLabel}</div>
          </div>
        ) : null}
        {hunks.map((hunk, i) => (
          <div key={i} className="diff-hunk">
            <div className="diff-hunk-head muted small">{`Lines ${hunk.oldStart}–${hunk.oldStart + Math.max(0, hunk.oldLines - 1)} → ${hunk.newStart}–${hunk.newStart + Math.max(0, hunk.newLines - 1)}`}</div>
            {mode === 'unified'
              ? rowsOf(hunk).map((row, j) => (
                  <div key={j} className="diff-row">
                    <Cell row={row} side="both" />
                  </div>
                ))
              : pairsOf(rowsOf(hunk)).map((pair, j) => (
                  <div key={j} className="diff-row">
                    <Cell row={pair.left} side="old" />
                    <Cell row={pair.right} side="new" />
                  </div>
                ))}
          </div>
        ))}
      </div>
    </div>
  );
}
