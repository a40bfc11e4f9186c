// A one-time invite or reset link, shown once with a copy button (People and a workspace's Access page).
import { useEffect, useRef, useState } from 'react';
import { formatDateTime } from './ui';

export interface NewLinkValue {
  /** The absolute address the person opens. */
  url: string;
  kind: 'invite' | 'reset';
  username: string;
  expiresAt: string;
}

/** `note`: what else the action did (e.g. "Added to this workspace as Member"). */
export function NewLink({ link, note }: { link: NewLinkValue; note?: string | undefined }) {
  const ref = useRef<HTMLDivElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => ref.current?.focus(), [link.url]);
  return (
    <div ref={ref} tabIndex={-1} className="alert alert-success" role="status" data-testid="new-link">
      <p className="alert-title">
        {link.kind === 'invite' ? 'Invite' : 'Reset'} link for {link.username}: copy it now, it is shown only once.
      </p>
      {note ? <p className="small">{note}</p> : null}
      <div className="token-once alert-body">
        <code aria-label={`${link.kind === 'invite' ? 'Invite' : 'Reset'} link`} className="wrap-anywhere">
          {link.url}
        </code>
        <button
          type="button"
          className="btn btn-secondary btn-small"
          onClick={() => {
            void navigator.clipboard?.writeText(link.url).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="muted small">Send it to {link.username} yourself. It works once, until {formatDateTime(link.expiresAt)}; only a hash is stored.</p>
    </div>
  );
}
