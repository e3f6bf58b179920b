import type { FastifyInstance } from 'fastify';
import { AppError } from '../../../errors.js';
import { describeCatalog, resolveRequest } from '../../../catalog/index.js';
import { readWallets } from '../../../billing/index.js';
import { isUuid } from '../../../ids.js';
import { principalOf, type AppDeps } from '../../context.js';
import { parseOr400 } from '../../validation.js';
import { preferWaitMs, waitForSubmitted } from '../../prefer.js';
import { FINAL_STATES } from '../../../jobs/index.js';
import { APIFRAME_WORDING, generateBody, listQuery, toDraft } from './schema.js';
import { apiframeStatus, renderJob, statesFor } from './render.js';

const config = { dialect: 'apiframe' };

function jobId(id: string): string {
  if (!isUuid(id)) throw new AppError('validation_error', 'Job id must be a UUID', { fields: { id: ['Must be a UUID'] } });
  return id.toLowerCase();
}

/** Apiframe v2: the primary API. Routes and translation only; the job logic lives in `jobs/`. */
export function registerApiframe(app: FastifyInstance, deps: AppDeps): void {
  app.post('/v2/videos/generate', { config }, async (req, reply) => {
    const body = parseOr400(generateBody, req.body);
    if (body.webhookUrl !== undefined && body.webhook_url !== undefined && body.webhookUrl !== body.webhook_url) {
      throw new AppError('validation_error', 'webhookUrl and webhook_url name two different URLs; send one of them', {
        fields: { webhookUrl: ['Conflicts with webhook_url'], webhook_url: ['Conflicts with webhookUrl'] },
      });
    }
    const webhookUrl = body.webhookUrl ?? body.webhook_url;
    const { job, replayed } = await deps.jobs.submit({
      principal: principalOf(req),
      dialect: 'apiframe',
      request: toDraft(body),
      wording: APIFRAME_WORDING,
      original: body,
      webhook:
        webhookUrl !== undefined
          ? { url: webhookUrl, field: body.webhookUrl !== undefined ? 'webhookUrl' : 'webhook_url', events: body.webhookEvents ?? null }
          : undefined,
      idempotencyKey: req.headers['idempotency-key'],
    });
    if (replayed) reply.header('idempotent-replayed', 'true');
    // `Prefer: wait=N`: the finished job itself when it ends in time (200), else the usual 202.
    const waitMs = preferWaitMs(req, reply);
    const now = await waitForSubmitted(deps, req, reply, job, waitMs);
    if (FINAL_STATES.includes(now.state)) return reply.code(200).send(renderJob(deps, req, now));
    return reply.code(202).send({ jobId: job.id, status: apiframeStatus(now.state) });
  });

  app.get<{ Params: { id: string } }>('/v2/jobs/:id', { config }, async (req) => {
    const job = await deps.jobs.get(principalOf(req), jobId(req.params.id));
    return renderJob(deps, req, job);
  });

  app.post<{ Params: { id: string } }>('/v2/jobs/:id/cancel', { config }, async (req, reply) => {
    const { job, canceled } = await deps.jobs.cancel(principalOf(req), jobId(req.params.id));
    if (!canceled) {
      throw new AppError('conflict', `Job is already ${apiframeStatus(job.state)}; nothing to cancel`, {
        extra: { status: apiframeStatus(job.state) },
      });
    }
    return reply.code(200).send(renderJob(deps, req, job));
  });

  app.get('/v2/jobs', { config }, async (req) => {
    const q = parseOr400(listQuery, req.query ?? {});
    const { jobs, nextCursor } = await deps.jobs.list(principalOf(req), {
      states: q.status ? statesFor(q.status) : undefined,
      model: q.model,
      limit: q.limit,
      cursor: q.cursor,
    });
    return { jobs: jobs.map((j) => renderJob(deps, req, j)), nextCursor, hasMore: nextCursor !== null };
  });

  app.get('/v2/models', { config }, async () => ({ models: describeCatalog(deps.prices, (m) => deps.providers?.routeOf(m) ?? []) }));

  app.get('/v2/me', { config }, async (req) => {
    const p = principalOf(req);
    // Only the caller's mode: a test key learns nothing of the live wallet.
    const wallets = (await readWallets(deps.db, p.accountId)).filter((w) => w.mode === p.mode);
    const wallet = wallets[0];
    return {
      user: null,
      team: { id: p.accountId, name: p.accountName, plan: p.planId, credits: wallet?.available ?? 0, customerId: null },
      account: { id: p.accountId, name: p.accountName, plan: p.planId },
      credits: Object.fromEntries(wallets.map((w) => [w.mode, { available: w.available, held: w.held, spent: w.spent }])),
      apiKey: { id: p.keyId, name: p.keyName, prefix: p.keyPrefix, mode: p.mode },
    };
  });

  app.post('/v2/videos/quote', { config }, async (req) => {
    const body = parseOr400(generateBody, req.body);
    const draft = toDraft(body);
    const creditCost = deps.jobs.quote(draft, APIFRAME_WORDING);
    const request = resolveRequest(draft);
    return { model: request.model, resolution: request.resolution, duration: request.durationSeconds, creditCost };
  });
}

