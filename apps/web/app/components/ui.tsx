// The small component set every page uses (styles in app/styles.css). Pages compose these rather
// than inventing markup, so the look stays consistent.
import { forwardRef, type ReactNode } from 'react';
import { connectionStatusBadge, type BadgeTone, type ConnectionStatus } from '../lib/connection-status';

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {description ? <p className="muted">{description}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

export function Card({ title, children, actions, className }: { title?: ReactNode; children: ReactNode; actions?: ReactNode; className?: string }) {
  return (
    <section className={`card${className ? ` ${className}` : ''}`}>
      {title || actions ? (
        <div className="card-header">
          {title ? <h2>{title}</h2> : null}
          {actions}
        </div>
      ) : null}
      {children}
    </section>
  );
}

export type AlertTone = 'info' | 'success' | 'danger' | 'warning';

/**
 * An alert. `focus` alerts take keyboard focus when they appear (after an action), so screen
 * readers announce the outcome and keyboard users continue from it.
 */
export const Alert = forwardRef<HTMLDivElement, { tone?: AlertTone; title?: ReactNode; children?: ReactNode; id?: string }>(function Alert(
  { tone = 'info', title, children, id },
  ref,
) {
  return (
    <div ref={ref} id={id} className={`alert alert-${tone}`} role={tone === 'danger' ? 'alert' : 'status'} tabIndex={-1}>
      {title ? <p className="alert-title">{title}</p> : null}
      {children ? <div className="alert-body">{children}</div> : null}
    </div>
  );
});

export function Badge({ tone = 'neutral', children, title }: { tone?: BadgeTone | 'info'; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

export function StatusBadge({ status, lastTestedAt }: { status: ConnectionStatus | null; lastTestedAt?: string | Date | null }) {
  if (status === null) return <Badge>Not configured</Badge>;
  const badge = connectionStatusBadge(status, lastTestedAt ? new Date(lastTestedAt) : null);
  return (
    <span className="status">
      <Badge tone={badge.tone}>{badge.label}</Badge>
      <span className="muted small">{badge.detail}</span>
    </span>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{title}</p>
      {children ? <div className="muted">{children}</div> : null}
    </div>
  );
}

/**
 * A table in the responsive layout (`table.responsive`: stacked on narrow screens, each cell
 * labelled by its `data-label`); the children are its body rows. An empty column name is an
 * actions column, named for screen readers only.
 */
export function DataTable({ columns, label, children }: { columns: readonly string[]; label?: string; children: ReactNode }) {
  return (
    <div className="table-wrap">
      <table className="responsive" aria-label={label}>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column}>{column || <span className="visually-hidden">Actions</span>}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

/** A labelled utilisation bar (used / capacity). */
export function Meter({ label, value, max }: { label: string; value: number; max: number }) {
  const ratio = max > 0 ? Math.min(1, value / max) : 0;
  const tone = ratio >= 0.9 ? 'danger' : ratio >= 0.7 ? 'warning' : 'success';
  return (
    <div className="meter">
      <div className="meter-label">
        <span>{label}</span>
        <span className="muted">
          {value} / {max}
        </span>
      </div>
      <div className={`meter-track meter-${tone}`} role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={max} aria-valuenow={value}>
        <div className="meter-fill" style={{ width: `${Math.round(ratio * 100)}%` }} />
      </div>
    </div>
  );
}

export function formatDateTime(value: string | Date | null | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}
