// A connection test watched as it runs: the page's action started it and answered its id; this
// reads the run from /w/<slug>/connection-test-runs/<id> (each read waits on the server for the next
// change), shows each step as it finishes, the one running now and the ones still to come, and
// offers Cancel. Keyed by run id, so a new attempt starts from a clean list (no stale error above).
import { useEffect, useRef, useState } from 'react';
import { useRevalidator } from '@remix-run/react';
import { StepDetail, TEST_STEP_NAMES, TestSteps, stepClass, stepLabels, type TestStepView } from './test-steps';
import { Alert } from './ui';

export interface TestRunView {
  id: string;
  state: 'running' | 'passed' | 'failed' | 'cancelled';
  version: number;
  steps: TestStepView[];
  result: { success: boolean; message: string; latencyMs: number; steps: TestStepView[] } | null;
}

type Problem = { message: string };

async function problemOf(response: Response): Promise<string> {
  const body = (await response.json().catch(() => null)) as Problem | null;
  return body?.message ?? `The test could not be read (HTTP ${response.status})`;
}

/** Steps the run has not reported yet: the first is running (tls is negotiated inside the login, so they run together). */
function runningNow(reported: ReadonlySet<string>): Set<string> {
  const next = TEST_STEP_NAMES.find((name) => !reported.has(name));
  if (next === undefined) return new Set();
  return new Set(next === 'tls' ? ['tls', 'login'] : [next]);
}

function LiveSteps({ run }: { run: TestRunView }) {
  const reported = new Map(run.steps.map((step) => [step.name, step]));
  const running = run.state === 'running' ? runningNow(new Set(reported.keys())) : new Set<string>();
  return (
    <ol className="steps" aria-label="Connection test steps">
      {TEST_STEP_NAMES.map((name) => {
        const step = reported.get(name);
        if (step) {
          const state = step.skipped ? 'skipped' : step.ok ? 'ok' : 'failed';
          return (
            <li key={name} className={stepClass(step, state)} data-step={name} data-state={state} data-warning={step.warning ? 'true' : undefined}>
              <span className="step-icon" aria-hidden="true">
                {state === 'ok' ? '✓' : state === 'failed' ? '✕' : '–'}
              </span>
              <span className="step-name">{name}</span>
              <span className="muted">{step.skipped ? 'skipped' : `${Math.round(step.ms)} ms`}</span>
              <span className={step.error ? 'step-error' : 'muted'}>
                <span className="visually-hidden">{state === 'ok' ? 'passed' : state === 'failed' ? 'failed' : 'skipped'}: </span>
                {step.error ?? stepLabels[name]}
              </span>
              <StepDetail step={step} />
            </li>
          );
        }
        const state = run.state === 'cancelled' ? 'cancelled' : running.has(name) ? 'running' : 'waiting';
        return (
          <li key={name} className="step step-pending" data-step={name} data-state={state}>
            <span className="step-icon" aria-hidden="true">
              {state === 'running' ? <span className="spinner" /> : state === 'cancelled' ? '–' : '·'}
            </span>
            <span className="step-name">{name}</span>
            {/* "cancelled" is too wide for the timing column on a phone: it goes with the label. */}
            <span>{state === 'cancelled' ? '–' : state}</span>
            <span>{state === 'cancelled' ? `${stepLabels[name]} · cancelled` : stepLabels[name]}</span>
          </li>
        );
      })}
    </ol>
  );
}

/**
 * The run to show: the one the page's last action started, kept across revalidations (which drop
 * action data); none from the moment a new test is being started, so no stale answer stays up.
 */
export function useShownTestRun(started: string | undefined, starting: boolean): string | undefined {
  const [shown, setShown] = useState(started);
  useEffect(() => {
    if (started) setShown(started);
  }, [started]);
  useEffect(() => {
    if (starting) setShown(undefined);
  }, [starting]);
  return starting ? undefined : (started ?? shown);
}

/**
 * Watches run `runId` of workspace `slug` until it ends; then, with `revalidateOnEnd`, reloads the
 * page's data (the connection's status changed). `onEnd` hears how it ended.
 */
export function WatchedTest({ slug, runId, onEnd, revalidateOnEnd = false }: { slug: string; runId: string; onEnd?: (run: TestRunView) => void; revalidateOnEnd?: boolean }) {
  const [run, setRun] = useState<TestRunView | null>(null);
  const [lost, setLost] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const revalidator = useRevalidator();
  const revalidate = useRef(revalidator.revalidate);
  revalidate.current = revalidator.revalidate;
  const ended = useRef(onEnd);
  ended.current = onEnd;
  const reloads = useRef(revalidateOnEnd);
  reloads.current = revalidateOnEnd;
  const url = `/w/${encodeURIComponent(slug)}/connection-test-runs/${encodeURIComponent(runId)}`;

  useEffect(() => {
    const controller = new AbortController();
    void (async () => {
      let version = -1;
      for (;;) {
        const response = await fetch(`${url}?after=${version}`, { signal: controller.signal, headers: { accept: 'application/json' } });
        if (!response.ok) {
          setLost(await problemOf(response));
          return;
        }
        const next = (await response.json()) as TestRunView;
        setRun(next);
        version = next.version;
        if (next.state !== 'running') {
          ended.current?.(next);
          if (reloads.current) revalidate.current();
          return;
        }
      }
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) setLost(error instanceof Error ? error.message : String(error));
    });
    return () => controller.abort();
  }, [url]);

  async function cancel() {
    setCancelling(true);
    const response = await fetch(url, { method: 'POST', headers: { accept: 'application/json' } }).catch(() => null);
    if (response && !response.ok) setLost(await problemOf(response));
    setCancelling(false);
  }

  const state = run?.state ?? 'running';
  // The outcome takes the focus when it arrives, as a form's answer does.
  const focusOnEnd = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (state !== 'running') focusOnEnd.current?.focus();
  }, [state]);

  if (lost) {
    return <Alert tone="danger" title={`The connection test could not be followed: ${lost}`} />;
  }
  const result = run?.result;
  return (
    <section className="card" aria-label="Connection test" data-testid="test-run" data-state={state}>
      <div className="card-header">
        <h2>Test steps</h2>
        {state === 'running' ? (
          <button type="button" className="btn btn-secondary" onClick={() => void cancel()} disabled={cancelling}>
            {cancelling ? 'Cancelling…' : 'Cancel test'}
          </button>
        ) : null}
      </div>
      <div className="stack">
        {state === 'running' ? (
          <p className="row" role="status" aria-live="polite">
            <span className="spinner" aria-hidden="true" /> Testing the connection…
          </p>
        ) : state === 'cancelled' ? (
          <Alert ref={focusOnEnd} tone="info" title="Connection test cancelled" />
        ) : result ? (
          <Alert
            ref={focusOnEnd}
            // A pass with a warning (no encryption, an unchecked or expiring certificate) is not all green.
            tone={result.success ? (result.steps.some((step) => step.warning) ? 'warning' : 'success') : 'danger'}
            title={result.success ? `Connection test passed in ${Math.round(result.latencyMs)} ms` : `Connection test failed: ${result.message}`}
          />
        ) : null}
        {result ? <TestSteps steps={result.steps} /> : <LiveSteps run={run ?? { id: runId, state: 'running', version: -1, steps: [], result: null }} />}
      </div>
    </section>
  );
}
