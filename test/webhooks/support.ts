/**
 * Shared pieces of the webhook tests: a real receiver on loopback that records every request and
 * answers as told, independent signature checks (the `standardwebhooks` package and a hand-written
 * Apiframe HMAC), and a migrated database with one account for unit-level tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { migrate, openPglite, openPostgres, type Db, type Queryable } from '../../src/db/index.js';
import { bootstrapFirstAccount, seedPlans } from '../../src/billing/index.js';
import type { JobEventType, JobRow } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/log.js';
import { apiframeWebhookFormat } from '../../src/http/dialects/apiframe/webhook.js';
import { WebhookDispatcher, WebhookFormats, WebhookOutbox, type DispatcherOptions } from '../../src/webhooks/index.js';
import { dropSchema, testSchemaName } from '../support/reelay.js';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
  path: string;
}

/** What the receiver does with one request: answer, or hold the connection open and never answer. */
export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

/** A real HTTP receiver on 127.0.0.1 that can be taken down and brought back on the same port. */
export class Receiver {
  readonly requests: Received[] = [];
  /** Decides each answer; the default accepts everything. */
  reply: (req: Received, index: number) => Reply = () => ({ status: 200, body: 'ok' });
  private server: http.Server | undefined;
  private readonly hung = new Set<http.ServerResponse>();
  port = 0;

  async up(): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rec: Received = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now(), path: req.url ?? '' };
        this.requests.push(rec);
        const r = this.reply(rec, this.requests.length - 1);
        if (r === 'hang') {
          this.hung.add(res);
          return;
        }
        res.writeHead(r.status, r.headers ?? {});
        res.end(r.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Closes the listener (new connections are refused) and drops hung requests. */
  async down(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.hung.clear();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Requests whose body carries this job id, in arrival order. */
  forJob(jobId: string): Received[] {
    return this.requests.filter((r) => r.body.includes(jobId));
  }

  async waitFor(pred: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    await waitUntil(pred, timeoutMs, what);
  }
}

export async function waitUntil(pred: () => boolean | Promise<boolean>, timeoutMs = 30_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function header(h: http.IncomingHttpHeaders, name: string): string {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

/** Verifies the Standard Webhooks headers with the reference library; throws when they do not verify. */
export function verifyStandard(secret: string, r: Received): unknown {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': header(r.headers, 'webhook-id'),
    'webhook-timestamp': header(r.headers, 'webhook-timestamp'),
    'webhook-signature': header(r.headers, 'webhook-signature'),
  });
}

/** Apiframe's receiver-side check, written from its docs: HMAC-SHA256(SHA256(apiKey) raw, body), hex. */
export function verifyApiframe(apiKey: string, r: Received): boolean {
  const got = header(r.headers, 'x-webhook-signature').replace(/^sha256=/, '');
  const want = createHmac('sha256', createHash('sha256').update(apiKey).digest()).update(r.body).digest('hex');
  return got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want));
}

export function webhookId(r: Received): string {
  return header(r.headers, 'webhook-id');
}

export interface TestDb {
  db: Db;
  accountId: string;
  key: string;
  keyId: string;
  close(): Promise<void>;
}

/** A migrated database (PGlite in memory, or a fresh schema on DATABASE_URL) with one account and key. */
export async function openTestDb(): Promise<TestDb> {
  const schema = process.env.DATABASE_URL ? testSchemaName() : undefined;
  const db = schema ? await openPostgres(process.env.DATABASE_URL!, { schema }) : await openPglite(undefined);
  await migrate(db);
  await seedPlans(db);
  const first = await bootstrapFirstAccount(db, { testCredits: 5000, liveCredits: 0 });
  const { rows } = await db.query<{ id: string }>('SELECT id FROM api_keys WHERE account_id = $1', [first!.accountId]);
  return {
    db,
    accountId: first!.accountId,
    key: first!.key,
    keyId: rows[0]!.id,
    async close() {
      await db.close();
      if (schema) await dropSchema(schema);
    },
  };
}

/** Inserts a job row directly (no render needed) and returns it as the job code would see it. */
export async function insertJob(
  t: TestDb,
  o: { webhookUrl: string | null; webhookEvents?: string[] | null; state?: string; dialect?: string },
): Promise<JobRow> {
  const { rows } = await t.db.query<JobRow>(
    `INSERT INTO jobs (id, account_id, key_id, mode, dialect, model, input, state, price, provider, deadline_at, webhook_url, webhook_events)
     VALUES ($1, $2, $3, 'test', $4, 'hailuo-2.3', $5, $6, 48, 'sandbox', now() + interval '1 hour', $7, $8) RETURNING *`,
    [randomUUID(), t.accountId, t.keyId, o.dialect ?? 'apiframe', JSON.stringify({ prompt: 'x', original: {} }), o.state ?? 'running', o.webhookUrl, o.webhookEvents ?? null],
  );
  return rows[0]!;
}

/** Moves a job as the job code does (a CAS UPDATE) and records the event in the same transaction. */
export async function emit(
  t: TestDb,
  outbox: WebhookOutbox,
  jobId: string,
  type: JobEventType,
  set: { state?: string; progress?: number; error_code?: string; error_message?: string } = {},
): Promise<void> {
  await t.db.tx(async (q: Queryable) => {
    const { rows } = await q.query<JobRow>(
      `UPDATE jobs SET state = COALESCE($2, state), progress = COALESCE($3, progress), error_code = COALESCE($4, error_code),
              error_message = COALESCE($5, error_message), completed_at = CASE WHEN $2 IN ('failed', 'canceled', 'completed') THEN now() ELSE completed_at END
        WHERE id = $1 RETURNING *`,
      [jobId, set.state ?? null, set.progress ?? null, set.error_code ?? null, set.error_message ?? null],
    );
    await outbox.record(q, rows[0]!, type);
  });
}

export function testOutbox(scheduleMs: readonly number[] = [0, 50, 50]): WebhookOutbox {
  const formats = new WebhookFormats().register('apiframe', apiframeWebhookFormat);
  return new WebhookOutbox({
    formats,
    retryScheduleMs: scheduleMs,
    log: silentLogger,
    baseUrl: () => 'http://localhost:1',
    fileUrl: (key) => ({ url: `http://localhost:1/files/${key}?exp=1&sig=x`, expiresAt: new Date(1000) }),
  });
}

export function testDispatcher(db: Db, o: Partial<DispatcherOptions> = {}): WebhookDispatcher {
  return new WebhookDispatcher({
    db,
    log: silentLogger,
    policy: { allowPrivateNetworks: true, allowHttp: true },
    // Generous: on a loaded CI machine a loopback answer can take seconds. Timeout tests set their own.
    timeoutMs: 5000,
    retryScheduleMs: [0, 50, 50],
    retryAfterMaxMs: 10_000,
    concurrency: 8,
    hostConcurrency: 4,
    idlePollMs: 50,
    ...o,
  });
}

/** Delivery rows of a job in event order. */
export async function deliveries(db: Db, jobId: string): Promise<{ id: string; seq: number; event: string; kind: string; state: string; attempts: number; body: string }[]> {
  const { rows } = await db.query<{ id: string; seq: number; event: string; kind: string; state: string; attempts: number; body: string }>(
    'SELECT id, seq, event, kind, state, attempts, body FROM webhook_deliveries WHERE job_id = $1 ORDER BY seq',
    [jobId],
  );
  return rows;
}

export async function webhookStatusOf(db: Db, jobId: string): Promise<string | null> {
  const { rows } = await db.query<{ webhook_status: string | null }>('SELECT webhook_status FROM jobs WHERE id = $1', [jobId]);
  return rows[0]?.webhook_status ?? null;
}
