import type { WebhookFormat } from '../../../webhooks/index.js';
import { renderPrediction } from './render.js';

/**
 * WaveSpeed's webhooks: the bare prediction object (not the `{code, data}` envelope), sent on
 * completion and failure, signed `webhook-signature: v3,<hex>` with the secret from
 * `GET /api/v3/webhook/secret` (docs/webhooks.md).
 */
export const wavespeedWebhookFormat: WebhookFormat = {
  eventName: (type) => (type === 'completed' ? 'completed' : type === 'failed' || type === 'canceled' ? 'failed' : null),
  render: (job, _type, _event, ctx) => ({
    body: JSON.stringify(renderPrediction(ctx.baseUrl, job, (key) => ctx.fileUrl(key).url)),
    headers: {},
    signature: 'wavespeed-v3',
  }),
};
