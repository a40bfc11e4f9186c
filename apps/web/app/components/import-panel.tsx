// Import a CSV into a project's connection from the browser: a preview of the first rows as the
// project reads them, the upload (raw body to the REST route, with its progress), then the run's
// progress from its status until it ends, with Cancel, and the rejected rows to download.
import { parse } from 'csv-parse/browser/esm/sync';
import { useEffect, useRef, useState } from 'react';
import type { ProjectConfigView } from '../lib/project-form';
import { Badge } from './ui';

interface RunStatus {
  id: string;
  outcome: 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
  bytesRead: number;
  rowsWritten: number;
  rowsRejected: number;
  rowsPerSecond: number;
  fileBytes: number | null;
  error: { error: string; message: string } | null;
}

const PREVIEW_BYTES = 256 * 1024;
const PREVIEW_ROWS = 20;

/** The first rows of a file as the project's CSV settings read them (null = NULL). */
export function previewRows(text: string, csv: ProjectConfigView['csv']): (string | null)[][] {
  const markers = new Set(csv.null_markers);
  // The preview reads a slice: its last line may be cut, so it is dropped when more follows.
  const records = parse(text, {
    delimiter: csv.delimiter,
    quote: csv.quote,
    escape: csv.quote,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    to_line: PREVIEW_ROWS + 2,
    cast: (value: string, context: { quoting: boolean }) => (!context.quoting && markers.has(value) ? null : value),
  }) as (string | null)[][];
  return records.slice(0, PREVIEW_ROWS + (csv.header ? 1 : 0));
}

async function readPreview(file: File, encoding: ProjectConfigView['csv']['encoding']): Promise<string> {
  const bytes = new Uint8Array(await file.slice(0, PREVIEW_BYTES).arrayBuffer());
  if (encoding === 'latin1') return new TextDecoder('iso-8859-1').decode(bytes);
  if (encoding === 'utf-16') return new TextDecoder(bytes[0] === 0xfe ? 'utf-16be' : 'utf-16le').decode(bytes);
  return new TextDecoder('utf-8').decode(bytes);
}

const outcomeTone = { running: 'info', succeeded: 'success', failed: 'danger', cancelled: 'neutral', interrupted: 'warning' } as const;

export function ImportPanel({ slug, projectId, csv, canImport, denial, onFinished }: { slug: string; projectId: string; csv: ProjectConfigView['csv']; canImport: boolean; denial: string | null; onFinished: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [preview, setPreview] = useState<{ rows: (string | null)[][]; error: string | null } | null>(null);
  const [uploaded, setUploaded] = useState<number | null>(null);
  const [run, setRun] = useState<RunStatus | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const form = useRef<HTMLFormElement>(null);
  const base = `/api/v1/workspaces/${encodeURIComponent(slug)}/projects/${projectId}/imports`;

  useEffect(() => {
    if (!file) return;
    let current = true;
    readPreview(file, csv.encoding)
      .then((text) => current && setPreview({ rows: previewRows(text, csv), error: null }))
      .catch((error: unknown) => current && setPreview({ rows: [], error: error instanceof Error ? error.message : 'unreadable' }));
    return () => {
      current = false;
    };
  }, [file, csv]);

  useEffect(() => {
    if (!run || run.outcome !== 'running') return;
    const timer = setTimeout(() => {
      void fetch(`${base}/${run.id}`, { credentials: 'same-origin' })
        .then((response) => response.json() as Promise<RunStatus>)
        .then((next) => {
          setRun(next);
          if (next.outcome !== 'running') onFinished();
        });
    }, 500);
    return () => clearTimeout(timer);
  }, [run, base, onFinished]);

  function start(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!file) return;
    const data = new FormData(event.currentTarget);
    const query = new URLSearchParams({ fileName: file.name, mode: String(data.get('mode')), errorPolicy: String(data.get('errorPolicy')), maxRejects: String(data.get('maxRejects') || '1000') });
    const table = String(data.get('table') ?? '').trim();
    if (table) query.set('table', table);
    setProblem(null);
    setRun(null);
    setUploaded(0);
    // XMLHttpRequest: fetch cannot report upload progress.
    const request = new XMLHttpRequest();
    request.open('POST', `${base}?${query.toString()}`);
    request.setRequestHeader('content-type', 'text/csv');
    request.upload.onprogress = (progress) => setUploaded(progress.loaded);
    request.onload = () => {
      setUploaded(null);
      const body = JSON.parse(request.responseText || '{}') as RunStatus & { message?: string };
      if (request.status >= 400) setProblem(body.message ?? `HTTP ${request.status}`);
      else setRun(body);
    };
    request.onerror = () => {
      setUploaded(null);
      setProblem('The upload did not reach the server');
    };
    request.send(file);
  }

  async function cancel() {
    if (!run) return;
    const response = await fetch(`${base}/${run.id}/cancel`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (response.ok) {
      setRun((await response.json()) as RunStatus);
      onFinished();
    }
  }

  const size = file?.size ?? 0;
  const read = uploaded ?? run?.bytesRead ?? 0;
  const share = size > 0 ? Math.min(1, read / size) : 0;
  const busy = uploaded !== null || run?.outcome === 'running';
  return (
    <div className="import-panel">
      <form ref={form} className="form-grid" aria-label="Import a CSV file" onSubmit={start}>
        <div className="field field-wide">
          <label htmlFor="import-file">CSV file</label>
          <input id="import-file" name="file" type="file" accept=".csv,text/csv,text/plain" required onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)} />
        </div>
        <div className="field">
          <label htmlFor="import-table">Table</label>
          <input id="import-table" name="table" placeholder="schema.table (or a mapping's file pattern)" />
        </div>
        <div className="field">
          <label htmlFor="import-mode">Mode</label>
          <select id="import-mode" name="mode" defaultValue="insert">
            <option value="insert">Insert</option>
            <option value="upsert">Upsert on the key</option>
            <option value="replace">Replace the table's rows</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="import-policy">Bad rows</label>
          <select id="import-policy" name="errorPolicy" defaultValue="all-or-nothing">
            <option value="all-or-nothing">Import nothing (all-or-nothing)</option>
            <option value="skip">Skip them (up to the cap)</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="import-max-rejects">Cap on rejected rows</label>
          <input id="import-max-rejects" name="maxRejects" type="number" min={0} max={10000} defaultValue={1000} />
        </div>
        <div className="form-actions" style={{ alignSelf: 'end' }}>
          <button type="submit" className="btn btn-primary" disabled={!canImport || !file || busy} aria-describedby={denial ? 'import-denial' : undefined}>
            Import
          </button>
          {denial ? (
            <p id="import-denial" className="hint">
              {denial}
            </p>
          ) : null}
        </div>
      </form>
      {preview ? (
        <div className="import-preview" data-testid="import-preview">
          <p className="muted small">First {Math.max(0, preview.rows.length - (csv.header ? 1 : 0))} rows as this project reads them (NULL shown as ∅):</p>
          {preview.error ? <p className="field-error">{preview.error}</p> : null}
          <div className="table-scroll">
            <table className="data-table">
              <tbody>
                {preview.rows.map((row, i) => (
                  <tr key={i} className={i === 0 && csv.header ? 'strong' : undefined}>
                    {row.map((cell, j) => (
                      <td key={j}>{cell === null ? <span className="muted">∅</span> : cell}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
      {problem ? (
        <div className="alert alert-danger" role="alert">
          {problem}
        </div>
      ) : null}
      {uploaded !== null || run ? (
        <div className="import-progress" data-testid="import-progress" aria-live="polite">
          <progress max={1} value={share} aria-label="Import progress" />
          <p className="small">
            {uploaded !== null ? `Uploading ${Math.floor(share * 100)}%` : null}
            {run ? (
              <>
                <Badge tone={outcomeTone[run.outcome]}>{run.outcome}</Badge> {run.rowsWritten.toLocaleString()} rows, {run.rowsRejected.toLocaleString()} rejected, {run.rowsPerSecond.toLocaleString()} rows/s
              </>
            ) : null}
          </p>
          {run?.error ? <p className="step-error small">{run.error.message}</p> : null}
          {run?.outcome === 'running' ? (
            <button type="button" className="btn btn-secondary btn-small" onClick={() => void cancel()}>
              Cancel
            </button>
          ) : null}
          {run && run.outcome !== 'running' && run.rowsRejected > 0 ? (
            <a href={`${base}/${run.id}/rejects`} download>
              Download rejected rows
            </a>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
