import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../errors.js';
import { checkRequest, type RuleViolation } from '../../../catalog/index.js';
import { isUuid } from '../../../ids.js';
import { principalOf, type AppDeps } from '../../context.js';
import { parseOr400, violationsOr400 } from '../../validation.js';
import { VARIANTS, WAVESPEED_PREFIX, type Variant } from './variants.js';
import { WAVESPEED_PATHS, toCanonical, wavespeedBody } from './schema.js';
import { renderEnvelope } from './render.js';
import { wavespeedWebhookFormat } from './webhook.js';
import type { Job } from '../../../jobs/index.js';

const config = { dialect: 'wavespeed' };

/** Rules a WaveSpeed endpoint adds on top of the catalog: its modality is fixed by the URL. */
function variantRules(v: Variant, image: string | null): RuleViolation[] {
  if (v.mode === 't2v' && image) {
    return [{ field: 'image', message: `${WAVESPEED_PREFIX}/${v.slug} is text-to-video; use an i2v or fast endpoint for images` }];
  }
  if (v.mode === 'i2v' && !image) return [{ field: 'image', message: `${WAVESPEED_PREFIX}/${v.slug} requires an image` }];
  return [];
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
    app.post<{ Querystring: { webhook?: string } }>(`/api/v3/${WAVESPEED_PREFIX}/${v.slug}`, { config }, async (req) => {
      const body = parseOr400(wavespeedBody, req.body);
      const request = toCanonical(v, body);
      violationsOr400([...variantRules(v, request.image), ...checkRequest(request)], WAVESPEED_PATHS);
      const webhook = typeof req.query.webhook === 'string' && req.query.webhook ? req.query.webhook : undefined;
      if (webhook) await deps.webhooks.checkUrl(webhook, 'webhook');
      const { job } = await deps.jobs.submit({
        principal: principalOf(req),
        dialect: 'wavespeed',
        request,
        original: body,
        imageFieldPath: WAVESPEED_PATHS.image,
        webhook: webhook ? { url: webhook, events: ['completed', 'failed'] } : undefined,
        idempotencyKey: typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined,
      });
      if (!body.enable_sync_mode) return renderEnvelope(deps, req, job);
      return waitForResult(deps, req.principal!.accountId, job, (j, extra) => renderEnvelope(deps, req, j, extra));
    });
  }

  const read = async (req: { params: { id: string } } & Parameters<typeof principalOf>[0]) =>
    renderEnvelope(deps, req, await deps.jobs.get(principalOf(req).accountId, predictionId(req.params.id)));
  app.get<{ Params: { id: string } }>('/api/v3/predictions/:id/result', { config }, read);
  app.get<{ Params: { id: string } }>('/api/v3/predictions/:id', { config }, read);

  // One secret per account (WaveSpeed has one per key); the same `whsec_` the /v2 API shows.
  app.get('/api/v3/webhook/secret', { config }, async (req) => ({
    code: 200,
    message: 'success',
    data: { secret: (await deps.webhooks.secret(principalOf(req).accountId)).secret },
  }));

  deps.webhooks.formats.register('wavespeed', wavespeedWebhookFormat);
}

/**
 * `enable_sync_mode`: hold the request until the job is final, up to the configured limit; then
 * answer with the current state and WaveSpeed's sync-timeout marker (code 5004) so clients poll.
 */
async function waitForResult(
  deps: AppDeps,
  accountId: string,
  job: Job,
  render: (j: Job, extra?: Record<string, unknown>) => Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + deps.config.syncWaitSeconds * 1000;
  let current = job;
  while (!['completed', 'failed', 'canceled'].includes(current.state)) {
    if (Date.now() >= deadline) {
      return render(current, { code: 5004, error: `Sync mode timed out after ${deps.config.syncWaitSeconds} s; poll urls.get for the result` });
    }
    await new Promise((r) => setTimeout(r, 250));
    current = await deps.jobs.get(accountId, job.id);
  }
  return render(current);
}
