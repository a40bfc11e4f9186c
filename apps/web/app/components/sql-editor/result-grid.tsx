// One result set as a grid. Rows are virtualised (only the visible ones are in the DOM), so a
// result at the row limit stays fast to scroll.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useRef } from 'react';
import type { DisplayResultSet } from './results';

const ROW_HEIGHT = 30;

export function ResultGrid({ set, index }: { set: DisplayResultSet; index: number }) {
  const scroller = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: set.rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });
  const template = `3.5rem repeat(${Math.max(1, set.columns.length)}, minmax(8rem, 1fr))`;
  return (
    <section className="result-set" aria-label={`Result set ${index + 1}`}>
      <p className="small muted">
        Result set {index + 1}: {set.rowCount} row{set.rowCount === 1 ? '' : 's'}
        {set.truncated ? ` (showing the first ${set.rows.length}: row limit reached)` : ''}
      </p>
      <div className="result-grid" role="table" aria-rowcount={set.rows.length + 1} aria-colcount={set.columns.length}>
        <div className="result-grid-head" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template }}>
          <span role="columnheader" className="muted">
            #
          </span>
          {set.columns.map((c, i) => (
            <span key={i} role="columnheader" title={c.type}>
              {c.name || '(no name)'} <span className="muted small">{c.type}</span>
            </span>
          ))}
        </div>
        <div ref={scroller} className="result-grid-body" style={{ maxHeight: `${Math.min(set.rows.length, 12) * ROW_HEIGHT + 2}px` }}>
          <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = set.rows[item.index] ?? [];
              // Only the visible rows are in the DOM: aria-rowindex tells a screen reader where each one sits.
              return (
                <div key={item.key} role="row" aria-rowindex={item.index + 2} className="result-grid-row" style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: `${ROW_HEIGHT}px` }}>
                  <span role="cell" className="muted">
                    {item.index + 1}
                  </span>
                  {row.map((cell, c) => (
                    <span key={c} role="cell" className={cell === null ? 'cell-null' : set.columns[c]?.numeric ? 'cell-number' : undefined}>
                      {cell === null ? 'NULL' : cell}
                    </span>
                  ))}
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </section>
  );
}
