import { useState } from 'react';
import { useSession } from '../../lib/session.js';
import { useResource } from '../../lib/resource.js';
import { toApiError, type ApiError } from '../../lib/api.js';
import type { WebhookDelivery, WebhookLog } from '../../lib/types.js';
import { dateTime } from '../../lib/format.js';
import { EmptyState, ErrorBanner, Loading, Notice } from '../../components/Feedback.js';
import { Pill } from '../../components/StatusBadge.js';

function tone(status: string): 'ok' | 'warn' | 'danger' | 'neutral' {
  if (status === 'delivered') return 'ok';
  if (status === 'pending') return 'warn';
  if (status === 'failed') return 'danger';
  return 'neutral';
}

function Delivery({ d }: { d: WebhookDelivery }) {
  const last = d.log[d.log.length - 1];
  return (
    <li className="delivery">
      <div className="delivery-head">
        <strong>{d.event}</strong> <Pill tone={tone(d.status)}>{d.status}</Pill>
        <span className="muted small">
          {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
          {last ? ` · last: ${last.statusCode ? `HTTP ${last.statusCode}` : (last.error ?? last.outcome)} in ${last.latencyMs} ms` : ''}
          {d.nextAttemptAt ? ` · next ${dateTime(d.nextAttemptAt)}` : ''}
        </span>
      </div>
      <details>
        <summary>Payload and attempts</summary>
        <pre className="code small" tabIndex={0}>
          <code>{d.payload}</code>
        </pre>
        {d.log.length ? (
          <ol className="attempts">
            {d.log.map((a) => (
              <li key={a.attempt}>
                #{a.attempt} {dateTime(a.at)} — {a.statusCode ? `HTTP ${a.statusCode}` : (a.error ?? a.outcome)} ({a.latencyMs} ms){a.errorMessage ? `: ${a.errorMessage}` : ''}
              </li>
            ))}
          </ol>
        ) : (
          <p className="muted small">Not attempted yet.</p>
        )}
      </details>
    </li>
  );
}

/** The job's webhook deliveries and every attempt at them; redelivery on demand. */
export function WebhookPanel({ jobId, jobFinished }: { jobId: string; jobFinished: boolean }) {
  const { api } = useSession();
  const pending = (l: WebhookLog): boolean => l.deliveries.some((d) => d.status === 'pending');
  const log = useResource((s) => api.get<WebhookLog>(`/v2/jobs/${jobId}/webhooks`, s), [api, jobId], (l) => (l.webhookUrl && (!jobFinished || pending(l)) ? 3000 : null));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  const redeliver = async (): Promise<void> => {
    setBusy(true);
    setResult(null);
    try {
      const out = await api.send<{ requeued: number }>('POST', `/v2/jobs/${jobId}/webhooks/redeliver`);
      setResult(`Queued ${out.requeued} event${out.requeued === 1 ? '' : 's'} again.`);
      setError(null);
      log.reload();
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  let body;
  if (!log.data) body = log.error ? <ErrorBanner error={log.error} /> : <Loading what="webhook deliveries" />;
  else if (!log.data.webhookUrl) body = <EmptyState title="No webhook for this job.">Add a webhook URL under Generate → Webhook to have Reelay POST the result to you.</EmptyState>;
  else {
    body = (
      <>
        <p className="small">
          To <code className="break">{log.data.webhookUrl}</code> {log.data.disabled ? <Pill tone="danger">disabled by 410 Gone</Pill> : null}
        </p>
        {log.data.deliveries.length ? <ul className="deliveries">{log.data.deliveries.map((d) => <Delivery key={d.webhookId} d={d} />)}</ul> : <p className="muted">No events yet.</p>}
      </>
    );
  }
  return (
    <section className="card" aria-labelledby="webhooks-title">
      <div className="card-head">
        <h2 className="card-title" id="webhooks-title">
          Webhook deliveries
        </h2>
        {log.data?.webhookUrl ? (
          <button type="button" className="btn btn-small" onClick={() => void redeliver()} disabled={busy}>
            {busy ? 'Queuing…' : 'Redeliver all'}
          </button>
        ) : null}
      </div>
      {result ? <Notice tone="success">{result}</Notice> : null}
      <ErrorBanner error={error} />
      {body}
    </section>
  );
}
