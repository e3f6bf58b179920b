/**
 * How a dialect words its webhooks. The outbox asks the job's dialect for the event's name and body
 * when the event happens; the body is stored and sent byte for byte on every attempt. A format may
 * add its own headers (Apiframe's `X-Webhook-Signature`); the Standard Webhooks headers are added by
 * the dispatcher to every delivery, whatever the dialect.
 */
import type { Job, JobEventType } from '../jobs/index.js';

export interface WebhookRenderContext {
  /** A signed, expiring, absolute URL for a stored file (the public base URL is already applied). */
  fileUrl(key: string): { url: string; expiresAt: Date };
  /** `api_keys.key_hash` (hex SHA-256 of the plaintext key) of the key that submitted the job; null when unknown. */
  apiKeyHash: string | null;
  /** The public base URL of this deployment (no trailing slash), for links back to the API. */
  baseUrl: string;
}

export interface RenderedWebhook {
  /** The exact bytes to POST (JSON text). */
  body: string;
  /** Extra headers the dialect signs or labels with. Standard Webhooks and content headers override these. */
  headers: Record<string, string>;
  /**
   * Which `webhook-signature` the delivery carries: Standard Webhooks `v1` (default), or
   * WaveSpeed's `v3,<hex>` (HMAC keyed by the secret's text without `whsec_`), which WaveSpeed
   * receivers expect alone in that header.
   */
  signature?: SignatureScheme;
}

export type SignatureScheme = 'standard-v1' | 'wavespeed-v3';

/** Reserved header key the outbox stores the scheme under; removed before sending. */
export const SIGNATURE_SCHEME_HEADER = 'x-reelay-signature-scheme';

export interface WebhookFormat {
  /**
   * The dialect's word for this event, which is also what a job's `webhook_events` subscribes to;
   * null when the dialect sends nothing for it.
   */
  eventName(type: JobEventType): string | null;
  /** Renders one event of `job`. Called once, inside the job's transaction; must not do I/O. */
  render(job: Job, type: JobEventType, event: string, ctx: WebhookRenderContext): RenderedWebhook;
}

/**
 * The formats known to this process, by dialect. Built by the composition root and handed to the
 * dialects that fill it, so there is no module-level registry to leak between tests.
 *
 * @example
 * const formats = new WebhookFormats().register('apiframe', apiframeWebhookFormat);
 * formats.get('apiframe')?.eventName('canceled'); // 'failed'
 */
export class WebhookFormats {
  private readonly byDialect = new Map<string, WebhookFormat>();

  register(dialect: string, format: WebhookFormat): this {
    this.byDialect.set(dialect, format);
    return this;
  }

  get(dialect: string): WebhookFormat | undefined {
    return this.byDialect.get(dialect);
  }
}
