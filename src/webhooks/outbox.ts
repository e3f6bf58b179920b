/**
 * The job events → webhook outbox bridge. `record` runs inside the transaction whose state change
 * won, so the delivery row commits or rolls back with it: a crash can delay a webhook, never lose
 * or invent one. The body is rendered here, once, and every retry sends those exact bytes.
 */
import type { Queryable } from '../db/index.js';
import { rowToJob, type JobEventSink, type JobEventType, type JobRow } from '../jobs/index.js';
import type { Logger } from '../log.js';
import { newId } from '../ids.js';
import { SIGNATURE_SCHEME_HEADER, type WebhookFormats, type WebhookRenderContext } from './formats.js';
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

    const rendered = format.render(rowToJob(row), type, event, { fileUrl: this.o.fileUrl, apiKeyHash: state.key_hash, baseUrl: this.o.baseUrl() });
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
      headers: rendered.signature && rendered.signature !== 'standard-v1' ? { ...rendered.headers, [SIGNATURE_SCHEME_HEADER]: rendered.signature } : rendered.headers,
      delayMs: this.o.retryScheduleMs[0] ?? 0,
    });
    await refreshWebhookStatus(q, row.id);
    await q.query('SELECT pg_notify($1, $2)', [WEBHOOK_CHANNEL, row.id]);
  }
}
