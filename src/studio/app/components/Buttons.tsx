import { useEffect, useState, type ReactNode } from 'react';

/** Copies `text`; says so, or says it could not (insecure origins have no clipboard). */
export function CopyButton({ text, label = 'Copy', className = 'btn btn-small' }: { text: string; label?: string; className?: string }) {
  const [state, setState] = useState<'idle' | 'done' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return;
    const t = window.setTimeout(() => setState('idle'), 2000);
    return () => window.clearTimeout(t);
  }, [state]);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setState('done');
    } catch {
      setState('failed');
    }
  };
  return (
    <button type="button" className={className} onClick={() => void copy()} aria-live="polite">
      {state === 'done' ? 'Copied' : state === 'failed' ? 'Select and copy' : label}
    </button>
  );
}

interface ConfirmProps {
  label: string;
  confirmLabel: string;
  onConfirm: () => Promise<void> | void;
  busy?: boolean;
  tone?: 'danger' | 'normal';
  children?: ReactNode;
}

/** A destructive action asked twice, inline (no browser dialog): "Revoke" → "Revoke key" / "Keep". */
export function ConfirmButton({ label, confirmLabel, onConfirm, busy = false, tone = 'danger', children }: ConfirmProps) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className={`btn btn-small${tone === 'danger' ? ' btn-danger-outline' : ''}`} onClick={() => setAsking(true)} disabled={busy}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={confirmLabel}>
      {children}
      <button
        type="button"
        className={`btn btn-small${tone === 'danger' ? ' btn-danger' : ' btn-primary'}`}
        disabled={busy}
        onClick={() => {
          setAsking(false);
          void onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => setAsking(false)}>
        Keep
      </button>
    </span>
  );
}
