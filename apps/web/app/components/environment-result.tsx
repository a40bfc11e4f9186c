// The outcome of an environment save: the refusal with SQL Server's message and the test steps, or
// the passed test. Focused when it appears.
import { useEffect, useRef } from 'react';
import type { ActionResult } from '../lib/forms';
import { useSubmitting } from './form';
import { TestSteps, stepsOf, type TestStepView } from './test-steps';

export type EnvironmentActionResult = ActionResult<{ environmentId: string; test: { latencyMs: number; serverVersion: string | null; steps: TestStepView[] } | null }>;

/** What a save that went through answers: the saved environment and, unless saved untested, its passing test. */
export function environmentSaved(
  intent: string,
  { environment, test }: { environment: { id: string; name: string }; test: { latencyMs: number; serverVersion?: string | null; steps: TestStepView[] } | null },
): EnvironmentActionResult {
  return {
    ok: true,
    intent,
    message: test ? `Environment “${environment.name}” saved after a passing connection test` : `Environment “${environment.name}” saved without testing`,
    value: { environmentId: environment.id, test: test && { latencyMs: test.latencyMs, serverVersion: test.serverVersion ?? null, steps: test.steps } },
  };
}

/**
 * A server's own error number is "SQL Server error 18456 (authentication_failed)"; a network or
 * policy code is what happened, e.g. "connection refused (ECONNREFUSED)", never a SQL Server error.
 */
function failureLine(code: string, reason: unknown): string {
  const why = typeof reason === 'string' ? reason.replaceAll('_', ' ') : undefined;
  if (/^\d+$/.test(code)) return `SQL Server error ${code}${why ? ` (${why})` : ''}`;
  return why ? `${why[0]!.toUpperCase()}${why.slice(1)} (${code})` : code;
}

export function EnvironmentResult({ result }: { result: EnvironmentActionResult | undefined }) {
  const ref = useRef<HTMLDivElement>(null);
  // A new attempt hides the last one's answer at once: no stale refusal above the new test. The
  // answer shows (and takes the focus) once the submission, with its reload, is over.
  const submitting = useSubmitting();
  useEffect(() => {
    if (result && !submitting) ref.current?.focus();
  }, [result, submitting]);
  if (!result || submitting) return null;
  if (!result.ok) {
    const steps = stepsOf(result.problem.details);
    const code = result.problem.details.error_code;
    return (
      <div ref={ref} tabIndex={-1} className="alert alert-danger" role="alert" data-testid="save-refused">
        <p className="alert-title">{result.problem.message}</p>
        <div className="alert-body">
          {typeof code === 'string' ? <p className="small">{failureLine(code, result.problem.details.reason)}</p> : null}
          {steps ? <TestSteps steps={steps} /> : null}
          <p className="muted small">Error code: {result.problem.error}</p>
        </div>
      </div>
    );
  }
  const test = result.value?.test;
  return (
    // A pass with a warning (nothing encrypted, an unchecked or expiring certificate) is not all green.
    <div ref={ref} tabIndex={-1} className={`alert ${test?.steps.some((step) => step.warning) ? 'alert-warning' : 'alert-success'}`} role="status" data-testid="save-succeeded">
      <p className="alert-title">{result.message ?? 'Saved'}</p>
      {test ? (
        <div className="alert-body">
          <p className="small">
            Connection test passed in {Math.round(test.latencyMs)} ms{test.serverVersion ? ` · ${test.serverVersion.split('\n')[0]}` : ''}
          </p>
          <TestSteps steps={test.steps} />
        </div>
      ) : null}
    </div>
  );
}
