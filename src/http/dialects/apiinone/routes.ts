import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../errors.js';
import { isUuid } from '../../../ids.js';
import { principalOf, type AppDeps } from '../../context.js';
import { parseOr400 } from '../../validation.js';
import { preferWaitMs, waitForSubmitted } from '../../prefer.js';
import { APIINONE_WORDING, apiInOneBody, toDraft } from './schema.js';
import { renderTask } from './render.js';
import { apiInOneWebhookFormat } from './webhook.js';

const config = { dialect: 'apiinone' };

/** "API in One" compatibility: one submit route and the task route. Translation only. */
export function registerApiInOne(app: FastifyInstance, deps: AppDeps): void {
  app.post('/api/v1/videos/generations', { config }, async (req, reply) => {
    const body = parseOr400(apiInOneBody, req.body);
    const { job, replayed } = await deps.jobs.submit({
      principal: principalOf(req),
      dialect: 'apiinone',
      request: toDraft(body),
      wording: APIINONE_WORDING,
      original: body,
      priceList: 'apiinone',
      webhook: body.webhook_url !== undefined ? { url: body.webhook_url, field: 'webhook_url', events: ['completed', 'failed'] } : undefined,
      idempotencyKey: req.headers['idempotency-key'],
    });
    if (replayed) reply.header('idempotent-replayed', 'true');
    // `Prefer: wait=N`: the task as it stands once final or after N s.
    const waitMs = preferWaitMs(req, reply);
    const now = await waitForSubmitted(deps, req, reply, job, waitMs);
    return reply.code(200).send(renderTask(deps, req, now));
  });

  deps.webhooks.formats.register('apiinone', apiInOneWebhookFormat);

  app.get<{ Params: { task_id: string } }>('/api/v1/tasks/:task_id', { config }, async (req) => {
    if (!isUuid(req.params.task_id)) throw new AppError('not_found', 'Task not found');
    return renderTask(deps, req, await deps.jobs.get(principalOf(req), req.params.task_id));
  });
}
