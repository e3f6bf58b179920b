import type { JobStatus } from '../lib/types.js';

const LABEL: Record<JobStatus, string> = {
  QUEUED: 'Queued',
  PROCESSING: 'Processing',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
};

export function isFinished(s: JobStatus): boolean {
  return s === 'COMPLETED' || s === 'FAILED' || s === 'CANCELLED';
}

export function StatusBadge({ status }: { status: JobStatus }) {
  return <span className={`badge status-${status.toLowerCase()}`}>{LABEL[status]}</span>;
}

/** A generic pill: modes, webhook states, ledger kinds. */
export function Pill({ children, tone = 'neutral' }: { children: string; tone?: 'neutral' | 'accent' | 'ok' | 'warn' | 'danger' }) {
  return <span className={`badge tone-${tone}`}>{children}</span>;
}

export function JobProgress({ status, progress }: { status: JobStatus; progress: number }) {
  const value = status === 'COMPLETED' ? 100 : status === 'QUEUED' ? 0 : progress;
  return (
    <div className="progress-line">
      <progress className={`progress status-${status.toLowerCase()}`} max={100} value={value} aria-label="Progress">
        {value}%
      </progress>
      <span className="progress-value">{isFinished(status) && status !== 'COMPLETED' ? '—' : `${value}%`}</span>
    </div>
  );
}

const ENGINE: Record<string, string> = {
  sandbox: 'Sandbox preview',
  minimax: 'MiniMax',
  wavespeed: 'WaveSpeed',
  fal: 'fal',
  replicate: 'Replicate',
};

/** The engine's display name; an upstream added later shows under its own id. */
export function engineLabel(engine: string): string {
  return ENGINE[engine] ?? engine;
}

/** What makes the video: the sandbox (a test key's preview) or the upstream's name. Nothing before a live job is routed. */
export function EngineBadge({ engine }: { engine: string | null }) {
  if (!engine) return null;
  return (
    <span className={`badge engine ${engine === 'sandbox' ? 'tone-neutral' : 'tone-accent'}`} data-engine={engine} title={engine === 'sandbox' ? 'Made by the sandbox engine: a test key never calls an upstream' : `Made by ${engineLabel(engine)}`}>
      {engineLabel(engine)}
    </span>
  );
}

/** Why a live job is still waiting (an upstream retry), shown while it waits. */
export function StatusReason({ reason }: { reason: string | null }) {
  if (!reason) return null;
  return (
    <span className="status-reason small" role="status">
      {reason}
    </span>
  );
}
