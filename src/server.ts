/**
 * The composition root: config → database → services → HTTP and workers. Nothing else wires
 * dependencies; everything below receives what it needs through its constructor.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { workerStopGraceMs, type Config } from './config.js';
import { migrate, openDb, type Db } from './db/index.js';
import { loadPriceBook, MODELS } from './catalog/index.js';
import { bootstrapFirstAccount, PrincipalCache, rateLimiterFor, seedPlans } from './billing/index.js';
import { configuredAggregators, createAggregators, createMinimax, ProviderHealth, ProviderRegistry, SandboxProvider, type CallbackHeaders } from './providers/index.js';
import { expiryFor, LocalBlobStore, openS3BlobStore, signedPath } from './storage/index.js';
import { JobService, JobViews, providerCallbacks, spreadDue, Wakeup, Worker } from './jobs/index.js';
import { createWebhooks } from './webhooks/index.js';
import { buildApp } from './http/index.js';
import type { Logger } from './log.js';

export interface Reelay {
  config: Config;
  db: Db;
  app: FastifyInstance;
  worker: Worker | null;
  /** Job views kept by change notifications (for the lead's JobService.get, tests and the bench). */
  views: JobViews;
  log: Logger;
  /** The first account's test key, when this start created it (print it once). */
  firstKey: string | null;
  /** Starts workers (per role). The HTTP server is started separately with `listen`. */
  start(): void;
  listen(): Promise<string>;
  stop(): Promise<void>;
}

async function settingOrCreate(db: Db, key: string, make: () => string): Promise<string> {
  await db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [key, make()]);
  const { rows } = await db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
  return rows[0]!.value;
}

/**
 * Opens everything Reelay needs for `config` and returns it ready to start.
 *
 * @example
 * const r = await createReelay(loadConfig());
 * r.start(); await r.listen();
 */
export async function createReelay(config: Config): Promise<Reelay> {
  const log = pino({ level: config.logLevel, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] });
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema, log });
  let ready = false;
  try {
    await migrate(db);
    await seedPlans(db, config.plans ?? []);
    const first = await bootstrapFirstAccount(db, { testCredits: config.initialTestCredits, liveCredits: config.initialLiveCredits });
    const fileSigningSecret = await settingOrCreate(db, 'file_signing_secret', () => randomBytes(32).toString('base64url'));
    const prices = loadPriceBook(config.priceBookFile);
    const blobs = config.storage
      ? await openS3BlobStore({
          url: config.storage,
          endpoint: config.s3Endpoint,
          region: config.s3Region,
          forcePathStyle: config.s3ForcePathStyle,
          accessKeyId: config.s3AccessKeyId,
          secretAccessKey: config.s3SecretAccessKey,
        })
      : new LocalBlobStore(join(config.dataDir, 'files'));
    const health = new ProviderHealth(db, config.providerCooldownSeconds * 1000);
    await health.refresh();
    const providers = new ProviderRegistry(health).register(new SandboxProvider(blobs, { maxDelaySeconds: config.sandboxMaxDelaySeconds }));
    // Upstreams call back on an unguessable per-deployment path: MiniMax signs nothing (see
    // docs/minimax.md); WaveSpeed, fal and Replicate sign, and are verified (docs/providers.md).
    const publicUrl = config.publicUrl?.replace(/\/+$/, '');
    const callbackToken =
      (config.minimaxApiKey || configuredAggregators(config).length > 0) && publicUrl
        ? await settingOrCreate(db, 'provider_callback_token', () => randomBytes(24).toString('base64url'))
        : null;
    const callbackUrlOf = (name: string): string | null => (callbackToken ? `${publicUrl}/callbacks/${name}/${callbackToken}` : null);
    const minimax = createMinimax(config, { db, blobs, log, callbackUrl: callbackUrlOf('minimax'), spreadDue });
    if (minimax) providers.register(minimax);
    // Aggregators fetch the input image from our signed file URL (an hour is past any queue wait); without PUBLIC_URL it goes inline.
    const imageUrl = (key: string): string | null => (publicUrl ? publicUrl + signedPath(fileSigningSecret, key, expiryFor(Date.now(), 3600)) : null);
    const aggregators = createAggregators(config, { db, blobs, log, callbackUrl: callbackUrlOf, imageUrl, spreadDue });
    for (const p of aggregators) providers.register(p);
    // The default route is every configured provider, MiniMax first: with one key set, that provider serves.
    const defaultRoute = [...(minimax ? [minimax.name] : []), ...aggregators.map((p) => p.name)];
    for (const m of MODELS) providers.route(m.id, config.liveRoutes?.[m.id] ?? defaultRoute);
    const verifyProviderCallback = async (name: string, raw: string, headers: CallbackHeaders): Promise<boolean> => {
      if (!providers.names().includes(name)) return true; // answered 404 by the handler
      const p = providers.get(name);
      return p.kind !== 'remote' || !p.verifyCallback || p.verifyCallback(raw, headers);
    };
    // File links in webhook payloads: PUBLIC_URL, else this process's own port once it listens.
    const publicBaseUrl = (): string => config.publicUrl ?? `http://localhost:${(app.server.address() as AddressInfo | null)?.port ?? config.port}`;
    const webhooks = createWebhooks({ db, log, config, fileSigningSecret, publicBaseUrl });
    const events = webhooks.outbox;
    const wakeup = new Wakeup(db);
    await wakeup.start();
    const principals = new PrincipalCache(db);
    await principals.start();
    const limiter = rateLimiterFor(db);
    const views = new JobViews(db);
    await views.start();
    const jobs = new JobService({
      db,
      blobs,
      providers,
      prices,
      wakeup,
      urlPolicy: { allowPrivateNetworks: config.allowPrivateUrls, allowHttp: config.allowHttpUrls },
      events,
      checkWebhookUrl: (url, field) => webhooks.service.checkUrl(url, field),
      views,
      onUpstreamCancelError: (provider, taskId, err) => log.warn({ provider, taskId, err }, 'upstream cancel of a canceled job failed; the task may run on at the operator\'s cost'),
      deadlineSeconds: (m) => config.modelTimings[m.id]?.deadlineSeconds ?? m.deadlineSeconds,
    });
    const callbacks = callbackToken ? providerCallbacks({ db, providers, wakeup, log, token: callbackToken }) : undefined;
    const app = await buildApp(
      { config, db, jobs, principals, limiter, views, blobs, prices, fileSigningSecret, webhooks: webhooks.service, isReady: () => ready, providerCallbacks: callbacks, verifyProviderCallback, providers },
      log.level === 'silent' ? {} : { logger: log },
    );
    const worker =
      config.role === 'api'
        ? null
        : new Worker({
            db,
            blobs,
            providers,
            wakeup,
            log,
            dataDir: config.dataDir,
            leaseSeconds: config.leaseSeconds,
            concurrency: config.workerConcurrency,
            inlineConcurrency: config.sandboxConcurrency,
            idlePollMs: config.workerIdlePollMs,
            retentionHours: config.retentionHours,
            events,
          });
    let stopped = false;
    return {
      config,
      db,
      app,
      worker,
      views,
      log,
      firstKey: first?.key ?? null,
      start() {
        health.start();
        worker?.start();
        if (worker) webhooks.dispatcher.start();
        ready = true;
      },
      async listen() {
        if (config.role === 'worker') return '';
        return app.listen({ port: config.port, host: config.host });
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        ready = false;
        health.stop();
        await app.close();
        await worker?.stop(workerStopGraceMs(config));
        if (worker) await webhooks.dispatcher.stop();
        await wakeup.stop();
        await principals.stop();
        await views.stop();
        await limiter.stop();
        await db.close();
      },
    };
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}
