import type { FastifyInstance } from 'fastify';
import { AppError, fieldError } from '../../../errors.js';
import { isUuid } from '../../../ids.js';
import { principalOf, type AppDeps } from '../../context.js';
import { parseOr400 } from '../../validation.js';
import { preferWaitMs, waitForSubmitted } from '../../prefer.js';
import { VARIANTS, WAVESPEED_PREFIX } from './variants.js';
import { WAVESPEED_WORDING, toDraft, wavespeedBody } from './schema.js';
import { renderEnvelope } from './render.js';
import { wavespeedWebhookFormat } from './webhook.js';
import { FINAL_STATES } from '../../../jobs/index.js';

const config = { dialect: 'wavespeed' };

/**
 * `?webhook=` once, as a string; `?webhook=a&webhook=b` is a 400, not a silent pick, and so is any
 * other query parameter (`?webhook[]=…` once created a job with no webhook).
 */
function webhookParam(query: Record<string, unknown>): string | undefined {
  const other = Object.keys(query).find((k) => k !== 'webhook');
  if (other !== undefined) throw fieldError(other, `Unknown query parameter "${other}"; the only one is webhook`);
  const value = query.webhook;
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw fieldError('webhook', 'Pass webhook once, as a URL');
  return value;
}

function predictionId(id: string): string {
  if (!isUuid(id)) throw new AppError('not_found', 'Prediction not found');
  return id.toLowerCase();
}

/**
 * WaveSpeed v3 compatibility: the real `wavespeed` npm client works with only its base URL
 * changed. Routes and translation only.
 */
export function registerWavespeed(app: FastifyInstance, deps: AppDeps): void {
  for (const v of VARIANTS) {
    app.post<{ Querystring: { webhook?: unknown } }>(`/api/v3/${WAVESPEED_PREFIX}/${v.slug}`, { config }, async (req, reply) => {
      const body = parseOr400(wavespeedBody, req.body);
      const webhook = webhookParam(req.query as Record<string, unknown>);
      const { job, replayed } = await deps.jobs.submit({
        principal: principalOf(req),
        dialect: 'wavespeed',
        request: toDraft(v, body),
        wording: WAVESPEED_WORDING,
        original: body,
        webhook: webhook !== undefined ? { url: webhook, field: 'webhook', events: ['completed', 'failed'] } : undefined,
        idempotencyKey: req.headers['idempotency-key'],
      });
      if (replayed) reply.header('idempotent-replayed', 'true');
      // enable_sync_mode waits up to REELAY_SYNC_WAIT_SECONDS, `Prefer: wait=N` up to N s: one path.
      const preferMs = preferWaitMs(req, reply);
      const waitMs = body.enable_sync_mode ? deps.config.syncWaitSeconds * 1000 : preferMs;
      const now = await waitForSubmitted(deps, req, reply, job, waitMs);
      if (body.enable_sync_mode && !FINAL_STATES.includes(now.state)) {
        return renderEnvelope(deps, req, now, { code: 5004, error: `Sync mode timed out after ${deps.config.syncWaitSeconds} s; poll urls.get for the result` });
      }
      return renderEnvelope(deps, req, now);
    });
  }

  const read = async (req: { params: { id: string } } & Parameters<typeof principalOf>[0]) =>
    renderEnvelope(deps, req, await deps.jobs.get(principalOf(req), predictionId(req.params.id)));
  app.get<{ Params: { id: string } }>('/api/v3/predictions/:id/result', { config }, read);
  app.get<{ Params: { id: string } }>('/api/v3/predictions/:id', { config }, read);

  // One secret per account and mode (WaveSpeed has one per key); the same `whsec_` the /v2 API shows.
  app.get('/api/v3/webhook/secret', { config }, async (req) => ({
    code: 200,
    message: 'success',
    data: { secret: (await deps.webhooks.secret(principalOf(req))).secret },
  }));

  deps.webhooks.formats.register('wavespeed', wavespeedWebhookFormat);
}
