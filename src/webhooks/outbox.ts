/**
 * The job events → webhook outbox bridge. `record` runs inside the transaction whose state change
 * won, so the delivery row commits or rolls back with it: a crash can delay a webhook, never lose
 * or invent one. The body is rendered here, once, and every retry sends those exact bytes; its file
 * links are signed to outlive the whole retry schedule. A redelivery (days later, maybe) renders
 * the `completed` body again with fresh links: it is a new send, signed over what it sends.
 */
import type { Queryable } from '../db/index.js';
import { rowToJob, type JobEventSink, type JobEventType, type JobRow } from '../jobs/index.js';
import type { Logger } from '../log.js';
import { newId } from '../ids.js';
import { SIGNATURE_SCHEME_HEADER, type WebhookFormat, type WebhookFormats, type WebhookRenderContext } from './formats.js';
import { insertDelivery, refreshWebhookStatus } from './repo.js';

/** NOTIFY channel that wakes dispatchers; sent inside the transaction, so it arrives only on commit. */
export const WEBHOOK_CHANNEL = 'reelay_webhooks';

export interface OutboxOptions {
  formats: WebhookFormats;
  /** Signed absolute URL for a stored file, for result links inside payloads. */
  fileUrl: WebhookRenderContext['fileUrl'];
  baseUrl: () => string;
  /** The first entry is the delay before the first attempt (normally 0). */
  retryScheduleMs: readonly number[];
  log: Logger;
}

/** Host part of a URL, lower-case, for per-destination concurrency; '' when it does not parse. */
export function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/**
 * The `JobEventSink` that fills the webhook outbox.
 *
 * @example
 * const outbox = new WebhookOutbox({ formats, fileUrl, retryScheduleMs: [0, 5000], log });
 * new Worker({ …, events: outbox });
 */
export class WebhookOutbox implements JobEventSink {
  constructor(private readonly o: OutboxOptions) {}

  async record(q: Queryable, row: JobRow, type: JobEventType): Promise<void> {
    if (!row.webhook_url) return;
    const format = this.o.formats.get(row.dialect);
    if (!format) {
      // A missing format is our wiring bug; failing the job's transition over it would be worse.
      this.o.log.error({ jobId: row.id, dialect: row.dialect }, 'no webhook format for this dialect; event not recorded');
      return;
    }
    const event = format.eventName(type);
    if (!event) return;
    // null subscribes to everything the dialect sends.
    if (row.webhook_events && !row.webhook_events.includes(event)) return;

    const { rows } = await q.query<{ disabled: boolean; key_hash: string | null }>(
      `SELECT j.webhook_disabled_at IS NOT NULL AS disabled, (SELECT k.key_hash FROM api_keys k WHERE k.id = j.key_id) AS key_hash
         FROM jobs j WHERE j.id = $1`,
      [row.id],
    );
    const state = rows[0];
    // 410 Gone from the receiver: this job sends nothing more unless someone redelivers.
    if (!state || state.disabled) return;

    const rendered = this.render(format, row, type, event, state.key_hash);
    await insertDelivery(q, {
      id: newId('delivery'),
      jobId: row.id,
      accountId: row.account_id,
      mode: row.mode,
      kind: type,
      event,
      format: row.dialect,
      url: row.webhook_url,
      host: hostOf(row.webhook_url),
      body: rendered.body,
      headers: rendered.headers,
      delayMs: this.o.retryScheduleMs[0] ?? 0,
    });
    await refreshWebhookStatus(q, row.id);
    await q.query('SELECT pg_notify($1, $2)', [WEBHOOK_CHANNEL, row.id]);
  }

  /**
   * Renders the job's `completed` deliveries again, so a redelivery carries file links that work
   * now. Call in the redelivery's transaction, with the job row locked.
   */
  async refreshLinks(q: Queryable, jobId: string): Promise<void> {
    const { rows } = await q.query<JobRow & { key_hash: string | null }>(
      `SELECT j.*, (SELECT k.key_hash FROM api_keys k WHERE k.id = j.key_id) AS key_hash FROM jobs j WHERE j.id = $1 AND j.state = 'completed'`,
      [jobId],
    );
    const row = rows[0];
    const format = row ? this.o.formats.get(row.dialect) : undefined;
    if (!row || !format) return;
    const { rows: deliveries } = await q.query<{ id: string; event: string }>(
      `SELECT id, event FROM webhook_deliveries WHERE job_id = $1 AND kind = 'completed'`,
      [jobId],
    );
    for (const d of deliveries) {
      const rendered = this.render(format, row, 'completed', d.event, row.key_hash);
      await q.query('UPDATE webhook_deliveries SET body = $2, headers = $3 WHERE id = $1', [d.id, rendered.body, JSON.stringify(rendered.headers)]);
    }
  }

  private render(format: WebhookFormat, row: JobRow, type: JobEventType, event: string, keyHash: string | null): { body: string; headers: Record<string, string> } {
    const r = format.render(rowToJob(row), type, event, { fileUrl: this.o.fileUrl, apiKeyHash: keyHash, baseUrl: this.o.baseUrl() });
    return { body: r.body, headers: r.signature && r.signature !== 'standard-v1' ? { ...r.headers, [SIGNATURE_SCHEME_HEADER]: r.signature } : r.headers };
  }
}
