// A connection test, step by step (dns → tcp → tls → login → query), as the API reports it; and
// the progress shown while a test runs (the steps are reported when the test ends).
import { useEffect, useState } from 'react';
import { TlsLine, type NegotiatedTlsView } from './tls-details';

export interface TestStepView {
  name: string;
  ok: boolean;
  ms: number;
  skipped?: boolean;
  /** The step never ran because an earlier one failed (the API says so since issue 12). */
  notRun?: boolean;
  reason?: string;
  error?: string;
  /** Passed, but worth acting on (no encryption, unchecked or soon-expiring certificate). */
  warning?: string;
  /** tls step: what the session negotiated. */
  tls?: NegotiatedTlsView & { mode?: string };
}

/** The class of a reported step: its state, plus a warning mark. */
export function stepClass(step: TestStepView, state: string): string {
  return `step step-${state}${step.warning ? ' step-warning' : ''}`;
}

/** Under a reported step: what the tls step negotiated, and any warning. */
export function StepDetail({ step }: { step: TestStepView }) {
  if (!step.tls && !step.warning) return null;
  return (
    <span className="step-detail">
      {step.tls ? <TlsLine tls={step.tls} /> : null}
      {step.warning ? (
        <span className="step-warning-text small" data-testid="step-warning">
          <span aria-hidden="true">⚠ </span>
          {step.warning}
        </span>
      ) : null}
    </span>
  );
}

export const TEST_STEP_NAMES = ['dns', 'tcp', 'tls', 'login', 'query'] as const;

export const stepLabels: Record<string, string> = {
  dns: 'Resolve host',
  tcp: 'Open TCP connection',
  tls: 'Negotiate TLS',
  login: 'Log in',
  query: 'Run a query',
};

export function TestSteps({ steps, label = 'Connection test steps' }: { steps: TestStepView[]; label?: string }) {
  const ran = steps.filter((s) => !s.notRun);
  const reached = new Set(ran.map((s) => s.name));
  const failed = ran.some((s) => !s.ok);
  return (
    <ol className="steps" aria-label={label}>
      {ran.map((step) => {
        const state = step.skipped ? 'skipped' : step.ok ? 'ok' : 'failed';
        return (
          <li key={step.name} className={stepClass(step, state)} data-step={step.name} data-state={state} data-warning={step.warning ? 'true' : undefined}>
            <span className="step-icon" aria-hidden="true">
              {state === 'ok' ? '✓' : state === 'failed' ? '✕' : '–'}
            </span>
            <span className="step-name">{step.name}</span>
            <span className="muted">{step.skipped ? 'skipped' : `${Math.round(step.ms)} ms`}</span>
            <span className={step.error ? 'step-error' : 'muted'}>
              <span className="visually-hidden">{state === 'ok' ? 'passed' : state === 'failed' ? 'failed' : 'skipped'}: </span>
              {step.error ?? stepLabels[step.name] ?? ''}
            </span>
            <StepDetail step={step} />
          </li>
        );
      })}
      {failed
        ? TEST_STEP_NAMES.filter((name) => !reached.has(name)).map((name) => (
            <li key={name} className="step step-skipped" data-step={name} data-state="not-run">
              <span className="step-icon" aria-hidden="true">
                ·
              </span>
              <span className="step-name">{name}</span>
              <span className="muted">not run</span>
              <span className="muted">{stepLabels[name]}</span>
            </li>
          ))
        : null}
    </ol>
  );
}

/** Shown while a test is in flight: which steps it goes through and how long it has been running. */
export function TestProgress({ title = 'Testing the connection…' }: { title?: string }) {
  const [elapsed, setElapsed] = useState(0);
  useEffect(() => {
    const started = Date.now();
    const timer = setInterval(() => setElapsed(Date.now() - started), 100);
    return () => clearInterval(timer);
  }, []);
  return (
    <div className="alert alert-info" role="status" aria-live="polite" data-testid="test-progress">
      <p className="alert-title">
        <span className="spinner" aria-hidden="true" /> {title} <span className="muted small">{(elapsed / 1000).toFixed(1)} s</span>
      </p>
      <ol className="steps" aria-label="Steps the test runs">
        {TEST_STEP_NAMES.map((name) => (
          <li key={name} className="step step-pending">
            <span className="step-icon" aria-hidden="true">
              …
            </span>
            <span className="step-name">{name}</span>
            <span />
            <span>{stepLabels[name]}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}

/** The steps a failed environment save carried in its F10 details, if any. */
export function stepsOf(details: Record<string, unknown> | undefined): TestStepView[] | null {
  const steps = details?.steps;
  return Array.isArray(steps) ? (steps as TestStepView[]) : null;
}
