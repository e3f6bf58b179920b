/**
 * What the HTTP layer asks of webhooks: a job's delivery log, manual redelivery, the account's
 * signing secret, and the submit-time URL check. Dialect-neutral; routes render the results.
 */
import type { Db, Queryable } from '../db/index.js';
import { AppError } from '../errors.js';
import type { KeyMode, Scope } from '../billing/index.js';
import type { WebhookStatus } from '../jobs/index.js';
import type { HostResolver, UrlPolicy } from '../net/index.js';
import type { WebhookFormats } from './formats.js';
import { deliveryLog, requeueJob, type AttemptOutcome, type DeliveryState } from './repo.js';
import { readWebhookSecret, rotateWebhookSecret, type WebhookSecretView } from './secrets.js';
import { checkWebhookUrl } from './url.js';
import { WEBHOOK_CHANNEL } from './outbox.js';

export interface WebhookAttemptView {
  attempt: number;
  at: Date;
  statusCode: number | null;
  /** `timeout`, `connect`, `dns`, `tls`, `protocol`, `too_large`, `url_not_allowed`, `redirect`, `gone`, `interrupted`, `internal`, `invalid_url`. */
  error: string | null;
  errorMessage: string | null;
  latencyMs: number;
  /** The first 1 KB of the receiver's answer. */
  responseBody: string | null;
  outcome: AttemptOutcome;
}

export interface WebhookDeliveryView {
  /** The `webhook-id` header: the same on every attempt and redelivery. */
  id: string;
  seq: number;
  event: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  deliveredAt: Date | null;
  /** The exact body sent. */
  body: string;
  log: WebhookAttemptView[];
}

export interface JobWebhookLog {
  jobId: string;
  webhookUrl: string | null;
  webhookStatus: WebhookStatus | null;
  disabled: boolean;
  deliveries: WebhookDeliveryView[];
}

interface JobHead {
  account_id: string;
  mode: KeyMode;
  webhook_url: string | null;
  webhook_status: WebhookStatus | null;
  webhook_disabled_at: Date | null;
}

/**
 * @example
 * const svc = new WebhookService({ db, formats, policy, rotationWindowSeconds: 86_400 });
 * const log = await svc.log(principal, jobId);
 */
export class WebhookService {
  constructor(
    private readonly o: {
      db: Db;
      formats: WebhookFormats;
      policy: UrlPolicy;
      rotationWindowSeconds: number;
      lookup?: HostResolver | undefined;
      /** Re-renders `completed` bodies on redelivery, so their file links work again. */
      refreshLinks?: ((q: Queryable, jobId: string) => Promise<void>) | undefined;
    },
  ) {}

  /** Dialects register their payload formats here (see `WebhookFormats`). */
  get formats(): WebhookFormats {
    return this.o.formats;
  }

  /** Another account's job, or one of the other mode, answers 404 as if it did not exist. */
  private async job(scope: Scope, jobId: string): Promise<JobHead> {
    const { rows } = await this.o.db.query<JobHead>(
      'SELECT account_id, mode, webhook_url, webhook_status, webhook_disabled_at FROM jobs WHERE id = $1',
      [jobId],
    );
    const job = rows[0];
    if (!job || job.account_id !== scope.accountId || job.mode !== scope.mode) throw new AppError('not_found', 'Job not found');
    return job;
  }

  /**
   * Throws `url_not_allowed` (details under `field`) unless deliveries to `url` would be allowed.
   *
   * @example
   * await svc.checkUrl(body.webhookUrl, 'webhookUrl');
   */
  async checkUrl(url: string, field: string): Promise<void> {
    await checkWebhookUrl(url, { policy: this.o.policy, field, lookup: this.o.lookup });
  }

  /**
   * Every event of the job and every attempt at it.
   *
   * @example
   * const { deliveries } = await svc.log({ accountId: 'acct_…', mode: 'live' }, jobId); // deliveries[0].log[0].statusCode === 200
   */
  async log(scope: Scope, jobId: string): Promise<JobWebhookLog> {
    const job = await this.job(scope, jobId);
    const { deliveries, attempts } = await deliveryLog(this.o.db, jobId);
    return {
      jobId,
      webhookUrl: job.webhook_url,
      webhookStatus: job.webhook_status,
      disabled: job.webhook_disabled_at !== null,
      deliveries: deliveries.map((d) => ({
        id: d.id,
        seq: d.seq,
        event: d.event,
        state: d.state,
        attempts: d.attempts,
        nextAttemptAt: d.state === 'pending' ? d.next_attempt_at : null,
        createdAt: d.created_at,
        deliveredAt: d.delivered_at,
        body: d.body,
        log: attempts
          .filter((a) => a.delivery_id === d.id)
          .map((a) => ({
            attempt: a.attempt,
            at: a.started_at,
            statusCode: a.status_code,
            error: a.error_kind,
            errorMessage: a.error_message,
            latencyMs: a.latency_ms,
            responseBody: a.response_body,
            outcome: a.outcome,
          })),
      })),
    };
  }

  /**
   * Queues all of the job's events again, with a fresh attempt budget and the same `webhook-id`s,
   * and re-enables an endpoint that answered 410. 409 while an attempt is in flight.
   *
   * @example
   * const { requeued } = await svc.redeliver({ accountId: 'acct_…', mode: 'live' }, jobId); // 3
   */
  async redeliver(scope: Scope, jobId: string): Promise<{ requeued: number; webhookStatus: WebhookStatus | null }> {
    const job = await this.job(scope, jobId);
    if (!job.webhook_url) throw new AppError('conflict', 'This job has no webhook URL; there is nothing to redeliver');
    const out = await this.o.db.tx(async (q) => {
      const r = await requeueJob(q, jobId);
      if (r !== 'in_flight' && this.o.refreshLinks) await this.o.refreshLinks(q, jobId);
      if (r !== 'in_flight' && r.requeued > 0) await q.query('SELECT pg_notify($1, $2)', [WEBHOOK_CHANNEL, jobId]);
      return r;
    });
    if (out === 'in_flight') throw new AppError('conflict', 'A delivery of this job is in flight; retry in a few seconds', { retryAfterSeconds: 5 });
    const after = await this.job(scope, jobId);
    return { requeued: out.requeued, webhookStatus: after.webhook_status };
  }

  /**
   * The account's Standard Webhooks secret (`whsec_…`), created on first read.
   *
   * @example
   * const { secret } = await svc.secret({ accountId: 'acct_…', mode: 'live' });
   */
  async secret(scope: Scope): Promise<WebhookSecretView> {
    return readWebhookSecret(this.o.db, scope.accountId, scope.mode);
  }

  /**
   * A new secret; the old one keeps signing (as a second `v1,` entry) for the rotation window.
   *
   * @example
   * const { secret, previousExpiresAt } = await svc.rotateSecret({ accountId: 'acct_…', mode: 'live' });
   */
  async rotateSecret(scope: Scope): Promise<WebhookSecretView> {
    return rotateWebhookSecret(this.o.db, scope.accountId, scope.mode, this.o.rotationWindowSeconds);
  }
}
