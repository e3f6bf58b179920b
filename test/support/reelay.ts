/**
 * Starts a real Reelay for a test: real HTTP on a loopback port, a fresh database (PGlite in a
 * temp dir, or a fresh schema on the server named by DATABASE_URL), real files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../src/config.js';
import { createReelay, type Reelay } from '../../src/server.js';

export interface TestReelay {
  url: string;
  key: string;
  reelay: Reelay;
  dataDir: string;
  stop(): Promise<void>;
}

export const usingPostgres = Boolean(process.env.DATABASE_URL);

/** A fresh schema name, so test files sharing one PostgreSQL server never see each other's rows. */
export function testSchemaName(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

/** Drops a schema made by `testSchemaName`. */
export async function dropSchema(schema: string): Promise<void> {
  const { openPostgres } = await import('../../src/db/index.js');
  const db = await openPostgres(process.env.DATABASE_URL!);
  await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await db.close();
}

export async function startReelay(overrides: Partial<Record<keyof Config, unknown>> = {}): Promise<TestReelay> {
  const dataDir = await mkdtemp(join(tmpdir(), 'reelay-test-'));
  const schema = process.env.DATABASE_URL ? testSchemaName() : undefined;
  const config = loadConfig(
    {},
    {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logLevel: 'silent',
      printBanner: false,
      workerIdlePollMs: 200,
      ...(schema ? { databaseUrl: process.env.DATABASE_URL, databaseSchema: schema } : {}),
      ...(overrides as object),
    },
  );
  const reelay = await createReelay(config);
  // Tests poll fast; the first account goes on the roomiest plan so rate limits are not what is tested.
  await reelay.db.query(`UPDATE accounts SET plan_id = 'enterprise'`);
  reelay.start();
  const url = await reelay.listen();
  return {
    url,
    key: reelay.firstKey!,
    reelay,
    dataDir,
    async stop() {
      await reelay.stop();
      if (schema) await dropSchema(schema);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** fetch + JSON with the key, returning status, headers and body. */
export async function api(
  base: string,
  key: string | null,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(key ? { 'x-api-key': key } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { raw: text };
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Polls a job the way the seed's loop does until it is final (or the deadline passes). */
export async function waitForJob(
  base: string,
  key: string,
  id: string,
  opts: { timeoutMs?: number; intervalMs?: number; onPoll?: (job: Record<string, unknown>) => void } = {},
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    const { status, body } = await api(base, key, 'GET', `/v2/jobs/${id}`);
    if (status !== 200) throw new Error(`GET job ${id}: ${status} ${JSON.stringify(body)}`);
    opts.onPoll?.(body);
    if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(String(body.status))) return body;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${String(body.status)} after timeout`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/**
 * Repeats `call` until its status is `want` or `withinMs` passes, and returns the last answer with
 * how long it took. For changes that reach a process by notification (a revoke written in SQL goes
 * through a trigger and LISTEN, which is asynchronous by design): the caller asserts the status, and
 * the bound is the promise being tested, not a sleep.
 */
export async function statusWithin(
  call: () => Promise<{ status: number; body: Record<string, unknown> }>,
  want: number,
  withinMs: number,
): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  for (;;) {
    const res = await call();
    const ms = Date.now() - started;
    if (res.status === want || ms > withinMs) return { ...res, ms };
    await new Promise((r) => setTimeout(r, 10));
  }
}
