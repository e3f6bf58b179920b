/**
 * Apiframe's webhooks: its payload shapes and its signature header, plus the routes for the
 * delivery log, redelivery and the signing secret. Translation only; the outbox, retries and
 * Standard Webhooks signing live in `webhooks/`.
 */
import { createHmac } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../../errors.js';
import { isUuid } from '../../../ids.js';
import type { JobWebhookLog, WebhookFormat, WebhookSecretView } from '../../../webhooks/index.js';
import { principalOf, type AppDeps } from '../../context.js';
import type { RouteDoc } from '../../openapi/types.js';
import { count, membersOf, timestamp, webhookStatus } from '../../openapi/schemas.js';
import type { AttemptOutcome, DeliveryState } from '../../../webhooks/index.js';
import { apiframeErrorSchema as errors } from './docs.js';
import { APIFRAME_FAILURE_CODES, apiframeStatus, renderResultWith } from './render.js';

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
      payload = { event, jobId: job.id, status: apiframeStatus(job.state), error: job.errorMessage, errorCode: job.errorCode ? APIFRAME_FAILURE_CODES[job.errorCode] : null, model: job.model };
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
    return renderLog(await deps.webhooks.log(principalOf(req), jobId(req.params.id)));
  });

  app.post<{ Params: { id: string } }>('/v2/jobs/:id/webhooks/redeliver', { config }, async (req, reply) => {
    const id = jobId(req.params.id);
    const out = await deps.webhooks.redeliver(principalOf(req), id);
    return reply.code(202).send({ jobId: id, requeued: out.requeued, webhookStatus: out.webhookStatus });
  });

  app.get('/v2/webhooks/secret', { config }, async (req) => renderSecret(await deps.webhooks.secret(principalOf(req))));

  app.post('/v2/webhooks/secret/rotate', { config }, async (req) => renderSecret(await deps.webhooks.rotateSecret(principalOf(req))));
}

const tag = 'Webhooks';

const attemptSchema = z.object({
  attempt: z.number().int().min(1),
  at: timestamp,
  statusCode: z.number().int().nullable(),
  error: z.string().nullable().describe('`timeout`, `connect`, `dns`, `tls`, `protocol`, `too_large`, `url_not_allowed`, `redirect`, `gone`, `interrupted`, `internal` or `invalid_url`.'),
  errorMessage: z.string().nullable(),
  latencyMs: count,
  responseBody: z.string().nullable().describe('The first 1 KB of the answer.'),
  outcome: z.enum(membersOf<AttemptOutcome>({ delivered: true, retry: true, gave_up: true, disabled: true, interrupted: true })),
});

const logSchema = z.object({
  jobId: z.uuid(),
  webhookUrl: z.string().nullable(),
  webhookStatus: webhookStatus.nullable(),
  disabled: z.boolean(),
  deliveries: z.array(
    z.object({
      webhookId: z.string().describe('The `webhook-id` header, the same on every attempt and redelivery.'),
      seq: z.number().int().min(1),
      event: z.string(),
      status: z.enum(membersOf<DeliveryState>({ pending: true, delivered: true, failed: true, skipped: true })),
      attempts: count,
      nextAttemptAt: timestamp.nullable(),
      createdAt: timestamp,
      deliveredAt: timestamp.nullable(),
      payload: z.string().describe('The exact body sent.'),
      log: z.array(attemptSchema),
    }),
  ),
});

const secretSchema = z.object({ secret: z.string(), createdAt: timestamp, rotatedAt: timestamp.nullable(), previousSecretExpiresAt: timestamp.nullable() });
const err = (error: string, code: string) => ({ error, code, requestId: 'req_5hT2…' });
const secretExample = { secret: 'whsec_q0i2Hn8bW3d1Zx7Kf5Lr9Tm4Pv6Yc2Es8Ju1Ao3Ig0=', createdAt: '2026-11-21T10:00:00.000Z', rotatedAt: null, previousSecretExpiresAt: null };

/** OpenAPI descriptions of the routes above (see docs/webhooks.md for the receiver's contract). */
export const APIFRAME_WEBHOOK_DOCS: RouteDoc[] = [
  {
    method: 'GET',
    path: '/v2/jobs/:id/webhooks',
    tag,
    summary: "A job's webhook deliveries and every attempt",
    description: 'One entry per event, in order, with the exact payload sent (`webhookId` is the `webhook-id` header) and each attempt: time, status code or error kind, latency, the first 1 KB of the answer. Another account\'s job answers 404.',
    security: 'apiKey',
    errors,
    responses: {
      200: {
        description: 'The delivery log',
        schema: logSchema,
        example: {
          jobId: '3f1c9a57-2a8e-4d61-9d1e-6a0f6c1b2e55',
          webhookUrl: 'https://hooks.example.com/reelay',
          webhookStatus: 'delivered',
          disabled: false,
          deliveries: [
            {
              webhookId: 'whd_8mT3kQ2xYv9bN4pR',
              seq: 1,
              event: 'completed',
              status: 'delivered',
              attempts: 2,
              nextAttemptAt: null,
              createdAt: '2026-11-21T10:00:09.000Z',
              deliveredAt: '2026-11-21T10:00:14.100Z',
              payload: '{"event":"completed","jobId":"3f1c9a57-2a8e-4d61-9d1e-6a0f6c1b2e55","status":"COMPLETED",…}',
              log: [
                { attempt: 1, at: '2026-11-21T10:00:09.010Z', statusCode: 503, error: null, errorMessage: null, latencyMs: 41, responseBody: 'busy', outcome: 'retry' },
                { attempt: 2, at: '2026-11-21T10:00:14.080Z', statusCode: 200, error: null, errorMessage: null, latencyMs: 20, responseBody: 'ok', outcome: 'delivered' },
              ],
            },
          ],
        },
      },
      400: { description: 'id is not a UUID' },
      404: { description: 'Not found', example: err('Job not found', 'not_found') },
    },
  },
  {
    method: 'POST',
    path: '/v2/jobs/:id/webhooks/redeliver',
    tag,
    summary: "Send a job's webhook events again",
    description: 'Queues every event of the job again with a fresh attempt budget and the same `webhook-id`s (receivers that dedupe will recognise them), and re-enables an endpoint that answered 410.',
    security: 'apiKey',
    errors,
    responses: {
      400: { description: 'id is not a UUID' },
      202: { description: 'Queued', schema: z.object({ jobId: z.uuid(), requeued: count, webhookStatus: webhookStatus.nullable() }), example: { jobId: '3f1c9a57-2a8e-4d61-9d1e-6a0f6c1b2e55', requeued: 3, webhookStatus: 'pending' } },
      404: { description: 'Not found', example: err('Job not found', 'not_found') },
      409: { description: 'No webhook on this job, or an attempt is in flight', example: err('This job has no webhook URL; there is nothing to redeliver', 'conflict') },
    },
  },
  {
    method: 'GET',
    path: '/v2/webhooks/secret',
    tag,
    summary: 'The Standard Webhooks signing secret',
    description: "The account's `whsec_` secret for the `webhook-signature` header (created on first read).",
    security: 'apiKey',
    errors,
    responses: { 200: { description: 'The secret', schema: secretSchema, example: secretExample } },
  },
  {
    method: 'POST',
    path: '/v2/webhooks/secret/rotate',
    tag,
    summary: 'Rotate the signing secret',
    description: 'A new secret signs from now on; the previous one keeps signing, as a second `v1,` entry, until `previousSecretExpiresAt` (24 h by default).',
    security: 'apiKey',
    errors,
    responses: { 200: { description: 'The new secret', schema: secretSchema, example: { ...secretExample, rotatedAt: '2026-11-22T09:00:00.000Z', previousSecretExpiresAt: '2026-11-23T09:00:00.000Z' } } },
  },
];
