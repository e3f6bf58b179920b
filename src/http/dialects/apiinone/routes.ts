import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../errors.js';
import { checkRequest } from '../../../catalog/index.js';
import { isUuid } from '../../../ids.js';
import { principalOf, type AppDeps } from '../../context.js';
import { parseOr400, violationsOr400 } from '../../validation.js';
import { APIINONE_PATHS, SUB_MODELS, apiInOneBody, subModelOf, toCanonical } from './schema.js';
import { renderTask } from './render.js';
import { apiInOneWebhookFormat } from './webhook.js';

const config = { dialect: 'apiinone' };

/** "API in One" compatibility: one submit route and the task route. Translation only. */
export function registerApiInOne(app: FastifyInstance, deps: AppDeps): void {
  app.post('/api/v1/videos/generations', { config }, async (req, reply) => {
    const body = parseOr400(apiInOneBody, req.body);
    const sub = subModelOf(body.model);
    if (!sub) {
      violationsOr400([{ field: 'model', message: `Unknown model "${body.model}". Use one of: ${Object.keys(SUB_MODELS).join(', ')}` }], APIINONE_PATHS);
    }
    const request = toCanonical(sub!, body);
    violationsOr400(checkRequest(request), APIINONE_PATHS);
    if (body.webhook_url) await deps.webhooks.checkUrl(body.webhook_url, 'webhook_url');
    const { job } = await deps.jobs.submit({
      principal: principalOf(req),
      dialect: 'apiinone',
      request,
      original: body,
      imageFieldPath: APIINONE_PATHS.image,
      priceList: 'apiinone',
      webhook: body.webhook_url ? { url: body.webhook_url, events: ['completed', 'failed'] } : undefined,
      idempotencyKey: typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : undefined,
    });
    return reply.code(200).send(renderTask(deps, req, job));
  });

  deps.webhooks.formats.register('apiinone', apiInOneWebhookFormat);

  app.get<{ Params: { task_id: string } }>('/api/v1/tasks/:task_id', { config }, async (req) => {
    if (!isUuid(req.params.task_id)) throw new AppError('not_found', 'Task not found');
    return renderTask(deps, req, await deps.jobs.get(principalOf(req).accountId, req.params.task_id.toLowerCase()));
  });
}
