/**
 * Apiframe's webhooks: its payload shapes and its signature header, plus the routes for the
 * delivery log, redelivery and the signing secret. Translation only; the outbox, retries and
 * Standard Webhooks signing live in `webhooks/`.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../errors.js';
import { isUuid } from '../../../ids.js';
import type { JobWebhookLog, WebhookFormat, WebhookSecretView } from '../../../webhooks/index.js';
import { principalOf, type AppDeps } from '../../context.js';
import { apiframeStatus, renderResultWith } from './render.js';

const config = { dialect: 'apiframe' };

/**
 * Apiframe's `X-Webhook-Signature` value without its `sha256=` prefix: HMAC-SHA256 of the raw body
 * keyed with SHA256(apiKey) as raw 32 bytes. We store exactly that hash (hex) as `api_keys.key_hash`,
 * so the key that submitted the job can be used without ever keeping its plaintext.
 *
 * @example
 * const hex = apiframeSignature(createHash('sha256').update(apiKey).digest('hex'), body);
 * // receivers: createHmac('sha256', createHash('sha256').update(apiKey).digest()).update(body).digest('hex') === hex
 */
export function apiframeSignature(apiKeyHashHex: string, body: string): string {
  return createHmac('sha256', Buffer.from(apiKeyHashHex, 'hex')).update(body).digest('hex');
}

/**
 * Payloads as Apiframe documents them. A cancellation has no Apiframe event of its own: it is sent
 * as `failed` (so `webhookEvents: ["failed"]` receives it) with status `CANCELLED`.
 *
 * @example
 * webhooks.formats.register('apiframe', apiframeWebhookFormat);
 */
export const apiframeWebhookFormat: WebhookFormat = {
  eventName: (type) => (type === 'canceled' ? 'failed' : type),
  render(job, type, event, ctx) {
    let payload: Record<string, unknown>;
    if (type === 'completed') {
      payload = {
        event,
        jobId: job.id,
        status: 'COMPLETED',
        progress: 100,
        result: renderResultWith(job, ctx.fileUrl),
        model: job.model,
        creditCost: job.price,
        completedAt: job.completedAt?.toISOString() ?? null,
      };
    } else if (type === 'progress') {
      payload = { event, jobId: job.id, status: 'PROCESSING', progress: job.progress, model: job.model };
    } else {
      payload = { event, jobId: job.id, status: apiframeStatus(job.state), error: job.errorMessage, errorCode: job.errorCode, model: job.model };
    }
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'X-Webhook-Event': event };
    // A job submitted without an API key (none today) has nothing to key Apiframe's signature with.
    if (ctx.apiKeyHash) headers['X-Webhook-Signature'] = `sha256=${apiframeSignature(ctx.apiKeyHash, body)}`;
    return { body, headers };
  },
};

function jobId(id: string): string {
  if (!isUuid(id)) throw new AppError('validation_error', 'Job id must be a UUID', { fields: { id: ['Must be a UUID'] } });
  return id.toLowerCase();
}

const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

function renderLog(log: JobWebhookLog): Record<string, unknown> {
  return {
    jobId: log.jobId,
    webhookUrl: log.webhookUrl,
    webhookStatus: log.webhookStatus,
    disabled: log.disabled,
    deliveries: log.deliveries.map((d) => ({
      webhookId: d.id,
      seq: d.seq,
      event: d.event,
      status: d.state,
      attempts: d.attempts,
      nextAttemptAt: iso(d.nextAttemptAt),
      createdAt: iso(d.createdAt),
      deliveredAt: iso(d.deliveredAt),
      payload: d.body,
      log: d.log.map((a) => ({
        attempt: a.attempt,
        at: iso(a.at),
        statusCode: a.statusCode,
        error: a.error,
        errorMessage: a.errorMessage,
        latencyMs: a.latencyMs,
        responseBody: a.responseBody,
        outcome: a.outcome,
      })),
    })),
  };
}

function renderSecret(s: WebhookSecretView): Record<string, unknown> {
  return { secret: s.secret, createdAt: iso(s.createdAt), rotatedAt: iso(s.rotatedAt), previousSecretExpiresAt: iso(s.previousExpiresAt) };
}

/**
 * Registers Apiframe's webhook format and the `/v2` webhook routes (same auth and error envelope
 * as the other `/v2` routes; another account's job answers 404).
 *
 * @example
 * registerApiframeWebhooks(app, deps);
 */
export function registerApiframeWebhooks(app: FastifyInstance, deps: AppDeps): void {
  deps.webhooks.formats.register('apiframe', apiframeWebhookFormat);

  app.get<{ Params: { id: string } }>('/v2/jobs/:id/webhooks', { config }, async (req) => {
    return renderLog(await deps.webhooks.log(principalOf(req).accountId, jobId(req.params.id)));
  });

  app.post<{ Params: { id: string } }>('/v2/jobs/:id/webhooks/redeliver', { config }, async (req, reply) => {
    const id = jobId(req.params.id);
    const out = await deps.webhooks.redeliver(principalOf(req).accountId, id);
    return reply.code(202).send({ jobId: id, requeued: out.requeued, webhookStatus: out.webhookStatus });
  });

  app.get('/v2/webhooks/secret', { config }, async (req) => renderSecret(await deps.webhooks.secret(principalOf(req).accountId)));

  app.post('/v2/webhooks/secret/rotate', { config }, async (req) => renderSecret(await deps.webhooks.rotateSecret(principalOf(req).accountId)));
}
