/**
 * Webhooks: a transactional outbox filled by job events, a dispatcher any worker process can run,
 * Standard Webhooks signatures (plus each dialect's own), a delivery log and redelivery. The only
 * import path for other folders.
 */
import type { Config } from '../config.js';
import type { Db } from '../db/index.js';
import type { Logger } from '../log.js';
import type { HostResolver, UrlPolicy } from '../net/index.js';
import { expiryFor, signedPath } from '../storage/index.js';
import { WebhookDispatcher } from './dispatcher.js';
import { WebhookFormats } from './formats.js';
import { WebhookOutbox } from './outbox.js';
import { WebhookService } from './service.js';

export { WebhookFormats, type WebhookFormat, type WebhookRenderContext, type RenderedWebhook, type SignatureScheme } from './formats.js';
export { WebhookOutbox, WEBHOOK_CHANNEL, type OutboxOptions } from './outbox.js';
export { WebhookDispatcher, type DispatcherOptions } from './dispatcher.js';
export { WebhookService, type JobWebhookLog, type WebhookDeliveryView, type WebhookAttemptView } from './service.js';
export type { WebhookSecretView } from './secrets.js';
export { readWebhookSecret, rotateWebhookSecret, signingSecrets } from './secrets.js';
export { signStandardWebhook, signWavespeedWebhook, newWebhookSecret, webhookSecretKey } from './signing.js';
export { retryDelayMs, parseRetryAfter, RETRY_JITTER } from './schedule.js';
export { checkWebhookUrl, MAX_WEBHOOK_URL_LENGTH } from './url.js';
export { sendDelivery, MAX_RESPONSE_READ_BYTES, KEPT_RESPONSE_BYTES, WEBHOOK_USER_AGENT } from './deliver.js';
export type { DeliveryRow, AttemptRow, DeliveryState, AttemptOutcome } from './repo.js';

export type WebhookConfig = Pick<
  Config,
  | 'allowPrivateUrls'
  | 'allowHttpUrls'
  | 'fileUrlTtlSeconds'
  | 'workerIdlePollMs'
  | 'webhookTimeoutMs'
  | 'webhookRetryScheduleMs'
  | 'webhookRetryAfterMaxMs'
  | 'webhookSecretRotationWindowSeconds'
  | 'webhookConcurrency'
  | 'webhookHostConcurrency'
>;

export interface WebhooksDeps {
  db: Db;
  log: Logger;
  config: WebhookConfig;
  /** Secret for signed file URLs in payloads (the one `/files` checks). */
  fileSigningSecret: string;
  /** Base URL for file links in payloads, asked at each event (the port may be known only after listen). */
  publicBaseUrl: () => string;
  /** Replaces the policy derived from `allowPrivateUrls`/`allowHttpUrls` (tests). */
  policy?: UrlPolicy;
  /** Replaces DNS for the URL check and deliveries (tests). */
  lookup?: HostResolver;
}

export interface Webhooks {
  /** Dialects register how they word their payloads. */
  formats: WebhookFormats;
  /** Give this to the job service and workers as their `JobEventSink`. */
  outbox: WebhookOutbox;
  service: WebhookService;
  /** Start it in processes that run workers. */
  dispatcher: WebhookDispatcher;
}

/**
 * Wires the webhook parts from the config, sharing one format registry.
 *
 * @example
 * const webhooks = createWebhooks({ db, log, config, fileSigningSecret, publicBaseUrl: () => 'https://reelay.example' });
 * const jobs = new JobService({ …, events: webhooks.outbox });
 * webhooks.dispatcher.start();
 */
export function createWebhooks(d: WebhooksDeps): Webhooks {
  const c = d.config;
  const formats = new WebhookFormats();
  const policy: UrlPolicy = d.policy ?? { allowPrivateNetworks: c.allowPrivateUrls, allowHttp: c.allowHttpUrls };
  const outbox = new WebhookOutbox({
    formats,
    baseUrl: () => d.publicBaseUrl().replace(/\/+$/, ''),
    retryScheduleMs: c.webhookRetryScheduleMs,
    log: d.log,
    // Links in a payload must still work at its last retry: the whole schedule plus the longest
    // Retry-After we honour plus a day for the receiver to fetch, or the usual TTL if longer.
    fileUrl: (key) => {
      const retryWindowMs = c.webhookRetryScheduleMs.reduce((a, b) => a + b, 0) + c.webhookRetryAfterMaxMs;
      const exp = expiryFor(Date.now(), Math.max(c.fileUrlTtlSeconds, Math.ceil(retryWindowMs / 1000) + 24 * 3600));
      return { url: d.publicBaseUrl().replace(/\/+$/, '') + signedPath(d.fileSigningSecret, key, exp), expiresAt: new Date(exp * 1000) };
    },
  });
  const service = new WebhookService({
    db: d.db,
    formats,
    policy,
    rotationWindowSeconds: c.webhookSecretRotationWindowSeconds,
    lookup: d.lookup,
    refreshLinks: (q, jobId) => outbox.refreshLinks(q, jobId),
  });
  const dispatcher = new WebhookDispatcher({
    db: d.db,
    log: d.log,
    policy,
    timeoutMs: c.webhookTimeoutMs,
    retryScheduleMs: c.webhookRetryScheduleMs,
    retryAfterMaxMs: c.webhookRetryAfterMaxMs,
    concurrency: c.webhookConcurrency,
    hostConcurrency: c.webhookHostConcurrency,
    idlePollMs: c.workerIdlePollMs,
    ...(d.lookup ? { lookup: d.lookup } : {}),
  });
  return { formats, outbox, service, dispatcher };
}
