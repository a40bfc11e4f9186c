// What someone may not do is shown before they try: the control is disabled and the API's sentence
// (why not, and whom to ask) is visible next to it and is the control's accessible description.
// The verdicts come from the API (workspaces.get, connections.permissions, sqlEditor.get,
// console.connection); the web app holds no copy of the rules.
import { Link } from '@remix-run/react';
import { useId, type ReactNode } from 'react';

export type Verdict = { allowed: true; reason: null } | { allowed: false; reason: string };

export interface Denial {
  /** Spread on the control: disabled, described by the reason. Empty when allowed. */
  control: { disabled?: true; 'aria-describedby'?: string };
  /** The visible reason, to render next to the control; null when allowed. */
  reason: ReactNode;
  denied: boolean;
}

/** For a button: `<button {...d.control}>…</button>{d.reason}`. */
export function useDenial(verdict: Verdict | undefined): Denial {
  const id = useId();
  if (!verdict || verdict.allowed) return { control: {}, reason: null, denied: false };
  return {
    control: { disabled: true, 'aria-describedby': id },
    reason: (
      <span id={id} className="small muted denial-reason" data-testid="denial-reason">
        {verdict.reason}
      </span>
    ),
    denied: true,
  };
}

/** A link to an action page, or a disabled button saying why when the action is not open to them. */
export function GuardedLink({ to, verdict, className, children }: { to: string; verdict: Verdict | undefined; className: string; children: ReactNode }) {
  const denial = useDenial(verdict);
  if (!denial.denied) {
    return (
      <Link to={to} className={className}>
        {children}
      </Link>
    );
  }
  return (
    <span className="row">
      <button type="button" className={className} {...denial.control}>
        {children}
      </button>
      {denial.reason}
    </span>
  );
}
