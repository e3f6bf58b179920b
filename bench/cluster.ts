/**
 * Three `reelay serve --role api` processes on one PostgreSQL schema (no workers), the load
 * generator's connections spread over them round-robin (connection i → process i mod 3), beside
 * one process on the same schema measured before and after them (the machine drifts: A-B-A shows
 * by how much), three bare Fastify processes beside one, and the http section's baselines (bare
 * Fastify, pgbench). Also checks what must hold across processes under that load: one job row and one
 * 48-credit hold per 202, and the plan's rate limit (docs/performance.md, "Rate limits": never
 * over, under by at most one unused block per process).
 */
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { openDb } from '../src/db/index.js';
import { createAccount, createApiKey } from '../src/billing/index.js';
import { fastifyBaseline, pgbenchPair, prepareReelay, submitOne, SUBMIT_BODY, SUBMIT_PRICE, type HttpBenchResult, type PgbenchResult } from './http.js';
import { load, pgExec, PG_URL, round, sleep, spawnBaseline, spawnReelay, type Child, type LoadCase, type LoadResult, type LoadSettings } from './common.js';

export interface ClusterCases {
  processes: number;
  /** How many of the generator's connections each process got. */
  connectionsPerProcess: number[];
  /** One key: every submit holds on the same wallet row. */
  submit: LoadResult;
  /** One account (and key) per connection. */
  submitManyAccounts: LoadResult;
  poll: LoadResult;
  /** 202s answered during these cases' submits (warm-ups included), submits cut off unanswered, and the job rows they added. */
  accepted: number;
  unanswered: number;
  jobsAdded: number;
  loadAverage: number[];
}

export interface RateLimitCheck {
  limitPerMinute: number;
  processes: number;
  seconds: number;
  /** GET /v2/jobs answers: admitted (2xx), refused (429), anything else. */
  admitted: number;
  refused: number;
  other: number;
  /** The shared count in `rate_counts` for the account's minute after the run. */
  reservedInDatabase: number | null;
  /** Documented: never over the limit; under it by at most one unused block (ceil(limit / 8)) per process. */
  documentedBound: { min: number; max: number };
  withinBound: boolean;
}

export interface ClusterBenchResult {
  settings: LoadSettings;
  baselines: {
    source: 'http section, same run' | 'measured by this section';
    fastifyGet: LoadResult;
    fastifyPost: LoadResult;
    pgbench: PgbenchResult[] | { error: string };
    /** Bare Fastify GET /hello on 1 and on 3 processes, measured here one after the other: what three processes cost on this machine whatever they run. */
    fastifyOneProcess: LoadResult;
    fastifyThreeProcesses: LoadResult;
  };
  /** One process before and after the three (A-B-A): the machine's drift shows as their difference. */
  one: ClusterCases;
  three: ClusterCases;
  oneAfter: ClusterCases;
  /** rps of 3 processes ÷ the mean of the two 1-process runs, and each ÷ the baseline the http section holds the 1-process case to. */
  ratios: Record<'submit' | 'submitManyAccounts' | 'poll', { threeOverOne: number; baseline: string; oneOverBaseline: number | null; threeOverBaseline: number | null }>;
  correctness: {
    /**
     * Every 202 of the section (set-up submits included) against rows in the schema's jobs table.
     * autocannon stops each run with one request per connection in flight, never answered; the
     * server still completes those, so the rows must lie in [202s, 202s + unanswered].
     */
    responses202: number;
    unanswered: number;
    jobRows: number;
    /** Every unanswered submit made its job too: rows = 202s + unanswered. */
    everySentSubmitMadeOneJob: boolean;
    /** Sum of `wallets.held` (mode 'test') against SUBMIT_PRICE × job rows; and accounts whose own hold differs from 48 × their jobs. */
    heldCredits: number;
    expectedHeld: number;
    accountsOff: number;
    ok: boolean;
  };
  rateLimit: RateLimitCheck | { error: string };
}

const LIMIT_PER_MINUTE = 600;
/** SharedRateLimiter's default divisor (src/billing/ratelimit.ts): a block is ceil(remaining / 8). */
const SHARE_DIVISOR = 8;

async function spawnMany(n: number, env: Record<string, string>): Promise<Child[]> {
  const out: Child[] = [];
  try {
    // One after another: each start runs the migration check on the shared schema.
    for (let i = 0; i < n; i++) out.push(await spawnReelay(env));
    return out;
  } catch (err) {
    await Promise.all(out.map((c) => c.stop()));
    throw err;
  }
}

const spread = (connections: number, processes: number): number[] =>
  Array.from({ length: processes }, (_, i) => Math.floor(connections / processes) + (i < connections % processes ? 1 : 0));

/**
 * @example
 * const r = await runClusterBench({ connections: 10, durationSeconds: 5, warmupSeconds: 1 }, { hammerSeconds: 10 });
 */
export async function runClusterBench(
  s: LoadSettings,
  o: { hammerSeconds: number; http?: unknown },
  log: (line: string) => void = () => {},
): Promise<ClusterBenchResult> {
  const baselines = await sameRunBaselines(s, o.http, log);
  const prep = await prepareReelay('postgres', s.connections);
  const schema = prep.schema!;
  try {
    const limited = await rateLimitedKey(prep.env.REELAY_DATA_DIR!, schema);
    let accepted = 0;
    let unanswered = 0;
    let next = 0;
    const account = (): string => prep.otherKeys[next++ % prep.otherKeys.length]!;
    // The warm-up is its own run here, not load()'s, so that its 202s are counted too.
    const tally = (r: LoadResult): LoadResult => {
      accepted += r.statusCodes?.['202'] ?? 0;
      unanswered += (r.sent ?? r.requests) - r.requests;
      return r;
    };
    const counted = async (c: LoadCase): Promise<LoadResult> => {
      if (s.warmupSeconds > 0) tally(await load(c, { ...s, durationSeconds: s.warmupSeconds, warmupSeconds: 0 }));
      return tally(await load(c, { ...s, warmupSeconds: 0 }));
    };
    const jobRows = async (): Promise<number> => Number((await pgExec(`SELECT count(*)::int AS n FROM ${schema}.jobs`)).rows[0]?.n ?? NaN);

    let jobId = '';
    let rateLimit: ClusterBenchResult['rateLimit'] = { error: 'not run' };
    const phase = async (n: number): Promise<ClusterCases> => {
      log(`${n} × reelay serve --role api on one PostgreSQL schema`);
      const children = await spawnMany(n, prep.env);
      try {
        const urls = children.map((c) => c.url);
        const pids = children.map((c) => c.pid);
        if (!jobId) {
          jobId = await submitOne(urls[0]!, prep.key);
          accepted++;
        }
        const rowsBefore = await jobRows();
        const acceptedBefore = accepted;
        const unansweredBefore = unanswered;
        const headers = { 'x-api-key': prep.key, 'content-type': 'application/json' };
        // Each process is warmed on its own, as long as the single one: V8 optimises the hot paths
        // after a few thousand requests, and three fresh processes sharing one warm-up answered
        // polls 2–4× slower than they did a few seconds later (same CPU per request once warm).
        const warm = { ...s, durationSeconds: s.warmupSeconds * 2, warmupSeconds: 0 };
        for (const c of children) {
          tally(await load({ url: `${c.url}/v2/videos/generate`, method: 'POST', headers, body: SUBMIT_BODY }, warm));
          await load({ url: `${c.url}/v2/jobs/${jobId}`, headers: { 'x-api-key': prep.key } }, warm);
        }
        const submitCase = { url: urls.map((u) => `${u}/v2/videos/generate`), method: 'POST' as const, headers, body: SUBMIT_BODY, serverPids: pids };
        const submit = await counted(submitCase);
        const submitManyAccounts = await counted({ ...submitCase, perConnection: () => ({ headers: { 'x-api-key': account() } }) });
        const poll = await load({ url: urls.map((u) => `${u}/v2/jobs/${jobId}`), headers: { 'x-api-key': prep.key }, serverPids: pids }, s);
        const cases: ClusterCases = {
          processes: n,
          connectionsPerProcess: spread(s.connections, n),
          submit,
          submitManyAccounts,
          poll,
          accepted: accepted - acceptedBefore,
          unanswered: unanswered - unansweredBefore,
          jobsAdded: (await jobRows()) - rowsBefore,
          loadAverage: loadavg().map((x) => round(x, 2)),
        };
        if (n > 1) {
          log(`rate limit of ${LIMIT_PER_MINUTE}/min across ${n} processes, ${o.hammerSeconds} s`);
          rateLimit = await hammer(urls, limited, s.connections, o.hammerSeconds, schema).catch((err: unknown) => ({ error: (err as Error).message.slice(0, 500) }));
        }
        return cases;
      } finally {
        await Promise.all(children.map((c) => c.stop()));
      }
    };
    const one = await phase(1);
    const three = await phase(3);
    const oneAfter = await phase(1);

    const totals = (await pgExec(`SELECT coalesce(sum(held), 0)::bigint AS held FROM ${schema}.wallets WHERE mode = 'test'`)).rows[0] as { held: string };
    const off = await pgExec(
      `SELECT w.account_id FROM ${schema}.wallets w LEFT JOIN ${schema}.jobs j ON j.account_id = w.account_id AND j.mode = 'test'
        WHERE w.mode = 'test' GROUP BY w.account_id, w.held HAVING w.held <> ${SUBMIT_PRICE} * count(j.id)`,
    );
    const rows = await jobRows();
    const held = Number(totals.held);
    const accountsOff = off.rowCount ?? 0;
    const correctness = {
      responses202: accepted,
      unanswered,
      jobRows: rows,
      everySentSubmitMadeOneJob: rows === accepted + unanswered,
      heldCredits: held,
      expectedHeld: SUBMIT_PRICE * rows,
      accountsOff,
      ok: rows >= accepted && rows <= accepted + unanswered && held === SUBMIT_PRICE * rows && accountsOff === 0,
    };

    const pgb = Array.isArray(baselines.pgbench) ? baselines.pgbench : [];
    const hot = pgb.find((p) => p.script.startsWith('one hot row'));
    const update = pgb.find((p) => p.script.startsWith('simple-update'));
    // The baselines docs/performance.md holds each 1-process case to (issue 13's table).
    const against = (k: 'submit' | 'submitManyAccounts' | 'poll', baseline: string, b: number | undefined): ClusterBenchResult['ratios']['submit'] => {
      const oneRps = (one[k].rps + oneAfter[k].rps) / 2;
      return {
        threeOverOne: round(three[k].rps / oneRps, 2),
        baseline,
        oneOverBaseline: b ? round(oneRps / b, 3) : null,
        threeOverBaseline: b ? round(three[k].rps / b, 3) : null,
      };
    };
    return {
      settings: s,
      baselines,
      one,
      three,
      oneAfter,
      ratios: {
        submit: against('submit', 'pgbench, 10 clients incrementing one row', hot?.tps),
        submitManyAccounts: against('submitManyAccounts', 'pgbench -N', update?.tps),
        poll: against('poll', 'bare Fastify GET /hello', baselines.fastifyGet.rps),
      },
      correctness,
      rateLimit,
    };
  } finally {
    await prep.cleanup();
  }
}

/** The http section's baselines when it ran in this run, else the same ones measured here. */
async function sameRunBaselines(s: LoadSettings, http: unknown, log: (line: string) => void): Promise<ClusterBenchResult['baselines']> {
  log('bare Fastify GET on 1 and on 3 processes');
  const hellos: Child[] = [];
  let scaling: { fastifyOneProcess: LoadResult; fastifyThreeProcesses: LoadResult };
  try {
    for (let i = 0; i < 3; i++) hellos.push(await spawnBaseline(['hello']));
    await sleep(300);
    const one = hellos[0]!;
    scaling = {
      fastifyOneProcess: await load({ url: `${one.url}/hello`, serverPid: one.pid }, s),
      fastifyThreeProcesses: await load({ url: hellos.map((c) => `${c.url}/hello`), serverPids: hellos.map((c) => c.pid) }, s),
    };
  } finally {
    await Promise.all(hellos.map((c) => c.stop()));
  }
  const h = http as Partial<HttpBenchResult> | undefined;
  if (h?.fastify?.get && h.fastify.postJson && Array.isArray(h.pgbench)) {
    return { source: 'http section, same run', fastifyGet: h.fastify.get, fastifyPost: h.fastify.postJson, pgbench: h.pgbench, ...scaling };
  }
  log('baselines (the http section did not run): bare Fastify, pgbench');
  const fastify = await fastifyBaseline(s);
  const pgbench = await pgbenchPair(s).catch((err: unknown) => ({ error: (err as Error).message.slice(0, 500) }));
  return { source: 'measured by this section', fastifyGet: fastify.get, fastifyPost: fastify.postJson, pgbench, ...scaling };
}

/** A test key of a new account on a plan of LIMIT_PER_MINUTE requests a minute; returns the key and its account. */
async function rateLimitedKey(dataDir: string, schema: string): Promise<{ key: string; accountId: string }> {
  const db = await openDb({ databaseUrl: PG_URL, dataDir, schema });
  try {
    return await db.tx(async (q) => {
      await q.query(`INSERT INTO plans (id, name, monthly_credits, concurrency, rate_limit_per_minute) VALUES ('bench_rl', 'Bench RL', 0, 1000000, $1)`, [LIMIT_PER_MINUTE]);
      const accountId = await createAccount(q, { name: 'bench rate limit', planId: 'bench_rl', testCredits: 0, liveCredits: 0, actor: 'bench' });
      return { key: (await createApiKey(q, accountId, 'test', 'bench')).key, accountId };
    });
  } finally {
    await db.close();
  }
}

/**
 * Hammers `GET /v2/jobs` of one rate-limited account through every process for `seconds`, all
 * inside one calendar minute (windows are calendar minutes: a run across a boundary would be
 * allowed twice the limit).
 */
async function hammer(urls: string[], k: { key: string; accountId: string }, connections: number, seconds: number, schema: string): Promise<RateLimitCheck> {
  const into = Date.now() % 60_000;
  if (into > 60_000 - (seconds + 2) * 1000) await sleep(60_500 - into);
  const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000);
  // autocannon takes an array (connection i → url i mod n) though its types say string.
  const r = await autocannon({ url: urls.map((u) => `${u}/v2/jobs`) as unknown as string, headers: { 'x-api-key': k.key }, connections, duration: seconds });
  const codes = Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([c, v]) => [c, v.count ?? 0]));
  const admitted = Object.entries(codes).reduce((n, [c, v]) => n + (c.startsWith('2') ? v : 0), 0);
  const refused = codes['429'] ?? 0;
  const { rows } = await pgExec(`SELECT count FROM ${schema}.rate_counts WHERE bucket = '${k.accountId}:test' AND window_start = '${minute.toISOString()}'`);
  const min = LIMIT_PER_MINUTE - urls.length * Math.ceil(LIMIT_PER_MINUTE / SHARE_DIVISOR);
  return {
    limitPerMinute: LIMIT_PER_MINUTE,
    processes: urls.length,
    seconds,
    admitted,
    refused,
    other: r.requests.total - admitted - refused,
    reservedInDatabase: rows[0] ? Number((rows[0] as { count: string }).count) : null,
    documentedBound: { min, max: LIMIT_PER_MINUTE },
    withinBound: admitted >= min && admitted <= LIMIT_PER_MINUTE,
  };
}
