import type { ReactNode } from 'react';

/** The id of the element that holds `id`'s hint and errors (for aria-describedby). */
export function describedBy(id: string, errors: readonly string[] | undefined, hint?: ReactNode): string | undefined {
  const ids = [hint ? `${id}-hint` : '', errors?.length ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

/** Messages shown next to the control they concern (from the API's `details` or local checks). */
export function FieldErrors({ id, errors }: { id: string; errors: readonly string[] | undefined }) {
  if (!errors?.length) return null;
  return (
    <ul className="field-errors" id={`${id}-error`} role="alert">
      {errors.map((e) => (
        <li key={e}>{e}</li>
      ))}
    </ul>
  );
}

interface FieldProps {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  errors?: readonly string[] | undefined;
  /** Rendered at the right of the label (counters, toggles). */
  aside?: ReactNode;
  children: ReactNode;
}

/** A labelled control with its hint and errors below. */
export function Field({ id, label, hint, errors, aside, children }: FieldProps) {
  return (
    <div className={`field${errors?.length ? ' has-error' : ''}`}>
      <div className="field-head">
        <label htmlFor={id}>{label}</label>
        {aside}
      </div>
      {children}
      {hint ? (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      <FieldErrors id={id} errors={errors} />
    </div>
  );
}
