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
