/**
 * Prometheus metrics at `/metrics`: HTTP traffic measured in-process, and the queue's state read
 * from the database at scrape time (so every process reports the same, cluster-wide truth).
 *
 * Not public: the figures tell a stranger how busy the business is and how much credit it holds.
 * On the API port `/metrics` takes the admin token; with `METRICS_PORT` it moves to a port of its
 * own (bound to `METRICS_HOST`, 127.0.0.1 by default) for a scraper on a private network.
 */
import { createServer, type Server } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Db } from '../db/index.js';
import { providerStats, type ProviderStats } from '../providers/index.js';
import { countPossibleDuplicates } from '../jobs/index.js';

export interface Metrics {
  registry: Registry;
  /**
   * Counts the app's requests. With `guard`, serves `/metrics` on the app behind it; without, the
   * caller serves them elsewhere (`listen`).
   */
  register(app: FastifyInstance, opts: { guard?: ((req: FastifyRequest) => void) | undefined }): void;
  /** Serves `/metrics` alone on a port of its own; resolves once listening. */
  listen(port: number, host: string): Promise<Server>;
}

/**
 * @example
 * const metrics = createMetrics(db); metrics.register(app, { guard: checkAdmin }); // GET /metrics with the admin token
 */
export function createMetrics(db: Db): Metrics {
  const registry = new Registry();
  let stats: ProviderStats[] = [];
  collectDefaultMetrics({ register: registry, prefix: 'reelay_' });
  const requests = new Counter({
    name: 'reelay_http_requests_total',
    help: 'HTTP requests by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'reelay_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  new Gauge({
    name: 'reelay_jobs',
    help: 'Jobs by state and mode (cluster-wide, from the database)',
    labelNames: ['state', 'mode'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await db.query<{ state: string; mode: string; n: number }>('SELECT state, mode, count(*)::int AS n FROM jobs GROUP BY 1, 2');
      for (const r of rows) this.set({ state: r.state, mode: r.mode }, r.n);
    },
  });
  new Gauge({
    name: 'reelay_jobs_due',
    help: 'Live jobs whose next step is due and not leased: a growing number means workers are behind',
    registers: [registry],
    async collect() {
      const { rows } = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM jobs WHERE state IN ('queued','submitting','running','finalizing') AND next_run_at <= now() AND (lease_until IS NULL OR lease_until < now())`,
      );
      this.set(rows[0]?.n ?? 0);
    },
  });
  new Gauge({
    name: 'reelay_credits_held',
    help: 'Credits held for open jobs, by mode',
    labelNames: ['mode'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const { rows } = await db.query<{ mode: string; held: number }>('SELECT mode, COALESCE(sum(held), 0)::bigint AS held FROM wallets GROUP BY 1');
      for (const r of rows) this.set({ mode: r.mode }, r.held);
    },
  });
  new Counter({
    name: 'reelay_upstream_possible_duplicates_total',
    help: 'Jobs sent to an upstream again after a create with unknown outcome: each may have left an extra billed task to reconcile (GET /admin/upstream/possible-duplicates)',
    labelNames: ['provider'] as const,
    registers: [registry],
    async collect() {
      // Kept in the database (every process reports the same, cluster-wide, across restarts).
      this.reset();
      for (const r of await countPossibleDuplicates(db)) this.inc({ provider: r.provider }, r.n);
    },
  });
  new Gauge({
    name: 'reelay_provider_success_ratio',
    help: 'Videos delivered over tasks ended plus creates refused, per provider and model, over the last hour or day (GET /admin/providers)',
    labelNames: ['provider', 'model', 'window'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      stats = await providerStats(db);
      for (const r of stats) if (r.successRate !== null) this.set({ provider: r.provider, model: r.model, window: r.window }, r.successRate);
    },
  });
  new Gauge({
    name: 'reelay_provider_generation_seconds',
    help: 'Upstream generation time (start to done), p50 and p95, per provider and model, over the last hour or day',
    labelNames: ['provider', 'model', 'window', 'quantile'] as const,
    registers: [registry],
    collect() {
      // Read by the gauge above in the same scrape (gauges collect in registration order).
      this.reset();
      for (const r of stats) {
        if (r.generationMsP50 !== null) this.set({ provider: r.provider, model: r.model, window: r.window, quantile: '0.5' }, r.generationMsP50 / 1000);
        if (r.generationMsP95 !== null) this.set({ provider: r.provider, model: r.model, window: r.window, quantile: '0.95' }, r.generationMsP95 / 1000);
      }
    },
  });

  return {
    registry,
    register(app, opts) {
      app.addHook('onResponse', async (req, reply) => {
        const route = req.routeOptions.url ?? 'unmatched';
        if (route === '/metrics') return;
        requests.inc({ method: req.method, route, status: String(reply.statusCode) });
        latency.observe({ method: req.method, route }, reply.elapsedTime / 1000);
      });
      const guard = opts.guard;
      if (!guard) return;
      app.get('/metrics', { config: { public: true } }, async (req, reply) => {
        guard(req);
        return reply.type(registry.contentType).send(await registry.metrics());
      });
    },
    listen(port, host) {
      const server = createServer((req, res) => {
        if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here\n');
          return;
        }
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n'),
        );
      });
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve(server));
      });
    },
  };
}
