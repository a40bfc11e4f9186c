// One result set as a grid. Rows are virtualised (only the visible ones are in the DOM), so a
// result at the row limit stays fast to scroll. Click a header to sort (again to reverse), drag
// its right edge to resize, click row numbers to select (shift-click for a range) and copy the
// selection as tab-separated text with the headers, which a spreadsheet pastes as columns. A long
// value is cut in its cell; clicking the cell shows it whole below the grid. From the keyboard the
// grid is one tab stop (ARIA grid, roving tabindex): arrows, Home/End and Page Up/Down move between
// cells, Enter or Space shows the cell's value whole, Escape closes it.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef, useState, type KeyboardEvent as ReactKeyboardEvent, type PointerEvent as ReactPointerEvent } from 'react';
import type { DisplayResultSet } from './results';

const ROW_HEIGHT = 30;
const DEFAULT_WIDTH = 160;
const MIN_WIDTH = 60;
/** A first width wider than this is left to the resize handle and the expanded cell. */
const MAX_FIRST_WIDTH = 420;
/** Roughly one character of the grid's 0.85rem text, digits included. */
const CHAR_WIDTH = 8;

type Sort = { column: number; direction: 'asc' | 'desc' } | null;

function compare(a: string | null, b: string | null, numeric: boolean): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (numeric) {
    const x = Number(a);
    const y = Number(b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
  }
  return a.localeCompare(b, undefined, { numeric: true });
}

/** Tab-separated rows with a header line; tabs and line breaks inside values become spaces. */
export function toTsv(columns: readonly { name: string }[], rows: readonly (readonly (string | null)[])[]): string {
  const clean = (value: string | null) => (value === null ? '' : value.replace(/[\t\r\n]+/g, ' '));
  return [columns.map((c) => clean(c.name)).join('\t'), ...rows.map((row) => row.map(clean).join('\t'))].join('\n');
}

/**
 * First widths from the content: the header (name, type, sort arrow) and the longest value among
 * the first rows, so a timestamp or a short name shows whole instead of cut at a fixed width.
 */
function firstWidths(set: DisplayResultSet): number[] {
  const sample = set.rows.slice(0, 100);
  return set.columns.map((column, i) => {
    let chars = column.name.length + column.type.length + 3;
    for (const row of sample) chars = Math.max(chars, (row[i] ?? 'NULL').length);
    return Math.min(MAX_FIRST_WIDTH, Math.max(MIN_WIDTH, chars * CHAR_WIDTH + 16));
  });
}

export function ResultGrid({ set, index }: { set: DisplayResultSet; index: number }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [sort, setSort] = useState<Sort>(null);
  const [widths, setWidths] = useState<number[]>(() => firstWidths(set));
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const [expanded, setExpanded] = useState<{ row: number; column: number } | null>(null);
  // The cell that takes the grid's one tab stop, by position in display order.
  const [active, setActive] = useState({ position: 0, column: 0 });
  // Set by a key press: the active cell then takes focus once its row is rendered.
  const focusActive = useRef(false);
  const [copied, setCopied] = useState<string | null>(null);
  // What the clipboard refused (no clipboard over plain http), shown to select and copy by hand.
  const [uncopied, setUncopied] = useState<string | null>(null);

  // Indexes into set.rows in display order, so selection survives a change of sort.
  const order = useMemo(() => {
    const indexes = set.rows.map((_, i) => i);
    if (!sort) return indexes;
    const numeric = set.columns[sort.column]?.numeric ?? false;
    indexes.sort((a, b) => compare(set.rows[a]?.[sort.column] ?? null, set.rows[b]?.[sort.column] ?? null, numeric) * (sort.direction === 'asc' ? 1 : -1));
    return indexes;
  }, [set, sort]);

  const virtualizer = useVirtualizer({ count: order.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });
  const template = `3.5rem ${set.columns.map((_, i) => `${widths[i] ?? DEFAULT_WIDTH}px`).join(' ') || '1fr'}`;

  const toggleSort = (column: number) =>
    setSort((current) => (current?.column !== column ? { column, direction: 'asc' } : current.direction === 'asc' ? { column, direction: 'desc' } : null));

  const startResize = (column: number, event: ReactPointerEvent<HTMLSpanElement>) => {
    event.preventDefault();
    event.stopPropagation();
    const startX = event.clientX;
    const startWidth = widths[column] ?? DEFAULT_WIDTH;
    const move = (e: PointerEvent) => setWidths((w) => w.map((x, i) => (i === column ? Math.max(MIN_WIDTH, startWidth + e.clientX - startX) : x)));
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  };

  const select = (position: number, range: boolean) => {
    const row = order[position]!;
    if (range && anchor !== null) {
      const from = Math.min(anchor, position);
      const to = Math.max(anchor, position);
      setSelected(new Set(order.slice(from, to + 1)));
      return;
    }
    setAnchor(position);
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(row)) next.delete(row);
      else next.add(row);
      return next;
    });
  };

  const copy = async () => {
    const rows = (selected.size > 0 ? order.filter((i) => selected.has(i)) : order).map((i) => set.rows[i] ?? []);
    const text = toTsv(set.columns, rows);
    try {
      await navigator.clipboard.writeText(text);
      setCopied(`Copied ${rows.length} row${rows.length === 1 ? '' : 's'} with headers`);
      setUncopied(null);
    } catch {
      setCopied('The browser refused the clipboard; select the text below and copy it');
      setUncopied(text);
      setExpanded(null);
    }
  };

  const pageRows = Math.max(1, Math.floor((scroller.current?.clientHeight ?? ROW_HEIGHT * 10) / ROW_HEIGHT) - 1);
  const moveWithKey = (event: ReactKeyboardEvent<HTMLDivElement>) => {
    // Keys on a row number's button are that button's own.
    if (!(event.target instanceof HTMLElement) || !event.target.hasAttribute('data-column')) return;
    const last = { position: order.length - 1, column: set.columns.length - 1 };
    if (last.position < 0 || last.column < 0) return;
    const { position, column } = active;
    const ctrl = event.ctrlKey || event.metaKey;
    const moves: Record<string, () => { position: number; column: number }> = {
      ArrowUp: () => ({ position: position - 1, column }),
      ArrowDown: () => ({ position: position + 1, column }),
      ArrowLeft: () => ({ position, column: column - 1 }),
      ArrowRight: () => ({ position, column: column + 1 }),
      PageUp: () => ({ position: position - pageRows, column }),
      PageDown: () => ({ position: position + pageRows, column }),
      Home: () => (ctrl ? { position: 0, column: 0 } : { position, column: 0 }),
      End: () => (ctrl ? last : { position, column: last.column }),
    };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      const next = move();
      const target = { position: Math.min(Math.max(next.position, 0), last.position), column: Math.min(Math.max(next.column, 0), last.column) };
      focusActive.current = true;
      setActive(target);
      virtualizer.scrollToIndex(target.position);
      return;
    }
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      setExpanded({ row: order[position]!, column });
    } else if (event.key === 'Escape' && expanded) {
      event.preventDefault();
      setExpanded(null);
    }
  };

  useEffect(() => {
    if (!focusActive.current) return;
    const cell = scroller.current?.querySelector<HTMLElement>(`[data-position="${active.position}"][data-column="${active.column}"]`);
    if (!cell) return;
    focusActive.current = false;
    cell.focus();
  });

  const expandedValue = expanded ? (set.rows[expanded.row]?.[expanded.column] ?? null) : undefined;

  return (
    <section className="result-set" aria-label={`Result set ${index + 1}`}>
      <div className="row result-set-bar">
        <p className="small muted">
          Result set {index + 1}: {set.rowCount} row{set.rowCount === 1 ? '' : 's'}
          {set.truncated ? ` (showing the first ${set.rows.length}: row limit reached)` : ''}
          {selected.size > 0 ? ` · ${selected.size} selected` : ''}
        </p>
        <button type="button" className="btn btn-secondary small" onClick={() => void copy()}>
          {selected.size > 0 ? 'Copy selection' : 'Copy all'} as TSV
        </button>
        {selected.size > 0 ? (
          <button type="button" className="btn btn-secondary small" onClick={() => setSelected(new Set())}>
            Clear selection
          </button>
        ) : null}
        {copied ? (
          <span className="small muted" role="status">
            {copied}
          </span>
        ) : null}
      </div>
      <div className="result-grid" role="grid" aria-readonly="true" aria-label={`Result set ${index + 1}`} aria-rowcount={set.rows.length + 1} aria-colcount={set.columns.length}>
        <div className="result-grid-head" role="row" aria-rowindex={1} style={{ gridTemplateColumns: template }}>
          <span role="columnheader" className="muted">
            #
          </span>
          {set.columns.map((c, i) => (
            <span
              key={i}
              role="columnheader"
              title={`${c.type}: click to sort`}
              aria-sort={sort?.column === i ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none'}
              className="result-grid-header"
            >
              <button type="button" className="result-grid-sort" onClick={() => toggleSort(i)}>
                {c.name || '(no name)'} <span className="muted small">{c.type}</span>
                {sort?.column === i ? <span aria-hidden="true">{sort.direction === 'asc' ? ' ▲' : ' ▼'}</span> : null}
              </button>
              <span className="result-grid-resize" role="separator" aria-orientation="vertical" aria-label={`Resize ${c.name}`} onPointerDown={(e) => startResize(i, e)} />
            </span>
          ))}
        </div>
        <div ref={scroller} className="result-grid-body" onKeyDown={moveWithKey} style={{ maxHeight: `${Math.min(set.rows.length, 12) * ROW_HEIGHT + 2}px` }}>
          <div style={{ height: `${virtualizer.getTotalSize()}px`, position: 'relative', minWidth: 'max-content' }}>
            {virtualizer.getVirtualItems().map((item) => {
              const rowIndex = order[item.index]!;
              const row = set.rows[rowIndex] ?? [];
              const isSelected = selected.has(rowIndex);
              // Only the visible rows are in the DOM: aria-rowindex tells a screen reader where each one sits.
              return (
                <div
                  key={item.key}
                  role="row"
                  aria-rowindex={item.index + 2}
                  aria-selected={isSelected}
                  className={`result-grid-row${isSelected ? ' selected' : ''}`}
                  style={{ gridTemplateColumns: template, transform: `translateY(${item.start}px)`, height: `${ROW_HEIGHT}px` }}
                >
                  <span role="gridcell" className="muted">
                    <button type="button" className="result-grid-rownum" aria-label={`Select row ${item.index + 1}`} onClick={(e) => select(item.index, e.shiftKey)}>
                      {item.index + 1}
                    </button>
                  </span>
                  {row.map((cell, c) => (
                    <span
                      key={c}
                      role="gridcell"
                      data-position={item.index}
                      data-column={c}
                      tabIndex={active.position === item.index && active.column === c ? 0 : -1}
                      className={cell === null ? 'cell-null' : set.columns[c]?.numeric ? 'cell-number' : undefined}
                      onClick={() => {
                        setActive({ position: item.index, column: c });
                        setExpanded({ row: rowIndex, column: c });
                      }}
                      title={cell !== null && cell.length > 40 ? 'Click or press Enter to see the whole value' : undefined}
                    >
                      {cell === null ? 'NULL' : cell}
                    </span>
                  ))}
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {uncopied !== null ? (
        <div className="result-cell-expanded">
          <div className="row">
            <label className="small" htmlFor={`uncopied-${index}`}>
              <strong>Rows as TSV</strong>
            </label>
            <button type="button" className="btn btn-secondary small" onClick={() => setUncopied(null)}>
              Close
            </button>
          </div>
          <textarea id={`uncopied-${index}`} className="result-uncopied" readOnly value={uncopied} rows={8} onFocus={(e) => e.currentTarget.select()} />
        </div>
      ) : null}
      {expanded && expandedValue !== undefined ? (
        <div className="result-cell-expanded" role="region" aria-label="Cell value">
          <div className="row">
            <strong className="small">
              {set.columns[expanded.column]?.name}, row {order.indexOf(expanded.row) + 1}
            </strong>
            <button type="button" className="btn btn-secondary small" onClick={() => setExpanded(null)}>
              Close
            </button>
          </div>
          <pre>{expandedValue === null ? 'NULL' : expandedValue}</pre>
        </div>
      ) : null}
    </section>
  );
}
