import type { WebhookFormat } from '../../../webhooks/index.js';
import { renderTaskWith } from './render.js';

/**
 * "API in One" webhooks (`webhook_url` on submit): the task object, as `GET /api/v1/tasks/{id}`
 * shows it, on completion and failure, with Standard Webhooks signatures.
 */
export const apiInOneWebhookFormat: WebhookFormat = {
  eventName: (type) => (type === 'completed' ? 'completed' : type === 'failed' || type === 'canceled' ? 'failed' : null),
  render: (job, _type, _event, ctx) => ({ body: JSON.stringify(renderTaskWith(job, (key) => ctx.fileUrl(key).url)), headers: {} }),
};
