// Form parts. Conventions (apps/web/README.md "Forms"): inputs are named by the procedure input's
// path; the action answers ActionResult; errors sit next to their field (aria-invalid +
// aria-describedby); the summary alert takes focus; buttons disable while the form submits.
import { useNavigation, useSubmit } from '@remix-run/react';
import { useEffect, useRef, useState, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import type { ActionResult } from '../lib/forms';
import { ConfirmDialog } from './dialog';
import { Alert, type AlertTone } from './ui';

function describedBy(name: string, error: string | undefined, hint: ReactNode | undefined): string | undefined {
  const ids = [error ? `${name}-error` : null, hint ? `${name}-hint` : null].filter(Boolean);
  return ids.length > 0 ? ids.join(' ') : undefined;
}

/** The hint and the error under a control, with the ids its aria-describedby points at. */
function FieldMessages({ id, hint, error }: { id: string; hint: ReactNode | undefined; error: string | undefined }) {
  return (
    <>
      {hint ? (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      ) : null}
    </>
  );
}

type FieldProps = {
  name: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'name'>;

export function Field({ name, label, error, hint, id, className, ...input }: FieldProps) {
  const inputId = id ?? name;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={inputId}>{label}</label>
      <input id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(inputId, error, hint)} {...input} />
      <FieldMessages id={inputId} hint={hint} error={error} />
    </div>
  );
}

type SelectProps = {
  name: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: ReactNode;
} & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'name'>;

export function SelectField({ name, label, error, hint, id, children, ...select }: SelectProps) {
  const selectId = id ?? name;
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={selectId}>{label}</label>
      <select id={selectId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(selectId, error, hint)} {...select}>
        {children}
      </select>
      <FieldMessages id={selectId} hint={hint} error={error} />
    </div>
  );
}

type TextAreaProps = {
  name: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
} & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'name'>;

export function TextAreaField({ name, label, error, hint, id, className, ...textarea }: TextAreaProps) {
  const textareaId = id ?? name;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={textareaId}>{label}</label>
      <textarea id={textareaId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(textareaId, error, hint)} {...textarea} />
      <FieldMessages id={textareaId} hint={hint} error={error} />
    </div>
  );
}

export function CheckboxField({ name, label, hint, error, id, ...input }: FieldProps) {
  const inputId = id ?? name;
  return (
    <div className={`field field-checkbox${error ? ' field-invalid' : ''}`}>
      <input type="checkbox" id={inputId} name={name} aria-invalid={error ? true : undefined} aria-describedby={describedBy(inputId, error, hint)} {...input} />
      <label htmlFor={inputId}>{label}</label>
      <FieldMessages id={inputId} hint={hint} error={error} />
    </div>
  );
}

/** True while this page's form (optionally: with this intent) is being submitted. */
export function useSubmitting(intent?: string): boolean {
  const navigation = useNavigation();
  if (navigation.state === 'idle' || !navigation.formData) return false;
  return intent === undefined || navigation.formData.get('intent') === intent;
}

/** Becomes true once `active` has lasted `delayMs`: pending UI only for what is actually slow. */
export function useDelayedTrue(active: boolean, delayMs = 200): boolean {
  const [shown, setShown] = useState(false);
  useEffect(() => {
    if (!active) {
      setShown(false);
      return;
    }
    const timer = setTimeout(() => setShown(true), delayMs);
    return () => clearTimeout(timer);
  }, [active, delayMs]);
  return shown;
}

/**
 * A submit button that disables itself (and every other button of a submitting form) while a
 * submission is in flight, and says what it is doing once that takes longer than 200 ms.
 */
export function SubmitButton({
  children,
  intent,
  pendingLabel,
  variant = 'primary',
  disabled,
  ...rest
}: {
  children: ReactNode;
  intent?: string;
  pendingLabel?: string;
  variant?: 'primary' | 'secondary' | 'danger' | 'ghost';
  disabled?: boolean;
  formNoValidate?: boolean;
  value?: string;
  name?: string;
  'aria-label'?: string;
  'aria-describedby'?: string;
}) {
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';
  const mine = busy && (intent === undefined || navigation.formData?.get('intent') === intent);
  const slow = useDelayedTrue(mine);
  return (
    <button type="submit" className={`btn btn-${variant}`} name={intent ? 'intent' : rest.name} value={intent ?? rest.value} disabled={disabled || busy} aria-busy={mine || undefined} {...rest}>
      {slow ? (
        <>
          <span className="spinner" aria-hidden="true" />
          {pendingLabel ?? children}
        </>
      ) : (
        children
      )}
    </button>
  );
}

/** The outcome of the last action, focused when it changes. */
export function ActionAlert({ result, successTitle, tone }: { result: ActionResult | undefined; successTitle?: string; tone?: AlertTone }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (result) ref.current?.focus();
  }, [result]);
  if (!result) return null;
  if (result.ok) {
    // `tone` overrides for an answer that is not an error yet is bad news (a failed connection test).
    return <Alert ref={ref} tone={tone ?? 'success'} title={result.message ?? successTitle ?? 'Saved'} />;
  }
  const fields = Object.entries(result.fieldErrors);
  return (
    <Alert ref={ref} tone="danger" title={result.problem.message}>
      {fields.length > 1 ? (
        <ul>
          {fields.map(([field, message]) => (
            <li key={field}>
              <a href={`#${field}`}>{field}</a>: {message}
            </li>
          ))}
        </ul>
      ) : null}
      <p className="muted small">Error code: {result.problem.error}</p>
    </Alert>
  );
}

/**
 * A submit button for what cannot be undone: it opens a dialog that says what will happen, and
 * only "confirmLabel" submits the button's form (with its fields and `intent`). Without script the
 * dialog cannot open, so the button is a plain submit there (the server still checks everything).
 */
export function ConfirmedSubmitButton({
  children,
  intent,
  pendingLabel,
  disabled,
  title,
  description,
  confirmLabel,
  'aria-label': ariaLabel,
  'aria-describedby': describedBy,
}: {
  children: ReactNode;
  intent: string;
  pendingLabel?: string;
  disabled?: boolean;
  title: string;
  description: ReactNode;
  confirmLabel: string;
  'aria-label'?: string;
  'aria-describedby'?: string;
}) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const submit = useSubmit();
  const navigation = useNavigation();
  const busy = navigation.state === 'submitting';
  const mine = busy && navigation.formData?.get('intent') === intent;
  const slow = useDelayedTrue(mine);
  const confirm = () => {
    const form = button.current?.form;
    setOpen(false);
    if (!form) return;
    const data = new FormData(form);
    data.set('intent', intent);
    submit(data, { method: 'post', action: form.getAttribute('action') ?? undefined });
  };
  return (
    <>
      <button
        ref={button}
        type="submit"
        className="btn btn-danger"
        name="intent"
        value={intent}
        disabled={disabled || busy}
        aria-busy={mine || undefined}
        aria-label={ariaLabel}
        aria-describedby={describedBy}
        aria-haspopup="dialog"
        onClick={(event) => {
          event.preventDefault();
          setOpen(true);
        }}
      >
        {slow ? (
          <>
            <span className="spinner" aria-hidden="true" />
            {pendingLabel ?? children}
          </>
        ) : (
          children
        )}
      </button>
      <ConfirmDialog open={open} title={title} confirmLabel={confirmLabel} onConfirm={confirm} onCancel={() => setOpen(false)}>
        {description}
      </ConfirmDialog>
    </>
  );
}
