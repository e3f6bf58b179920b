/**
 * The SQL of the job table, one function per operation. Every state change is a compare-and-swap
 * (`WHERE state = $from`): whoever loses the race changes nothing, so money and webhooks that
 * follow a transition happen exactly once.
 */
import type { Queryable } from '../db/index.js';
import type { JobRow, JobState } from './types.js';

export async function getJobRow(q: Queryable, id: string): Promise<JobRow | null> {
  const { rows } = await q.query<JobRow>('SELECT * FROM jobs WHERE id = $1', [id]);
  return rows[0] ?? null;
}

/** Columns a transition may set besides the state. */
export interface TransitionSet {
  progress?: number;
  upstream_cost_usd?: number | null;
  provider?: string;
  upstream_task_id?: string | null;
  upstream_file_ref?: string | null;
  error_code?: string | null;
  error_message?: string | null;
  result?: unknown;
  next_run_at?: Date;
  started_at?: Date;
  completed_at?: Date;
  attempts?: number;
  upstream_polls?: number;
  unreadable_downloads?: number;
}

/**
 * Moves a job from `from` to `to` if, and only if, it is still in `from` (and, for a worker, still
 * leased by it). Returns the updated row, or null when the swap lost.
 * Leaving a live state also drops the lease.
 */
export async function transition(
  q: Queryable,
  id: string,
  from: JobState | readonly JobState[],
  to: JobState,
  set: TransitionSet = {},
  leaseOwner?: string,
): Promise<JobRow | null> {
  const params: unknown[] = [id, Array.isArray(from) ? from : [from], to];
  // Any move is progress: the reason the job was waiting no longer holds.
  const assigns = ['state = $3', 'updated_at = now()', 'status_reason = NULL'];
  for (const [col, val] of Object.entries(set)) {
    if (val === undefined) continue;
    params.push(col === 'result' ? JSON.stringify(val) : val);
    // Clocks of two processes (or of one, read before a row lock was waited out) disagree by a
    // few ms: a job cancelled while a worker was starting it once ended 4 ms before it started,
    // and WaveSpeed's executionTime came out negative. An end never precedes the start.
    assigns.push(col === 'completed_at' ? `completed_at = GREATEST($${params.length}::timestamptz, started_at)` : `${col} = $${params.length}`);
  }
  if (['completed', 'failed', 'canceled'].includes(to)) assigns.push('lease_owner = NULL', 'lease_until = NULL');
  let where = 'id = $1 AND state = ANY($2::text[])';
  if (leaseOwner) {
    params.push(leaseOwner);
    where += ` AND lease_owner = $${params.length}`;
  }
  const { rows } = await q.query<JobRow>(`UPDATE jobs SET ${assigns.join(', ')} WHERE ${where} RETURNING *`, params);
  return rows[0] ?? null;
}

/**
 * queued → `to` under `owner`'s lease, if the account's plan has a free slot in the job's mode:
 * one statement, `reelay_start` (014_start.sql, where the lock order and the deadlock it avoids
 * are explained). Null when the plan is full (the job is handed back, due again after
 * `recheckMs`) or the job is no longer ours.
 */
export async function startJob(q: Queryable, row: Pick<JobRow, 'id' | 'account_id' | 'mode'>, owner: string, to: 'running' | 'submitting', startedAt: Date, recheckMs: number): Promise<JobRow | null> {
  const { rows } = await q.query<JobRow>('SELECT * FROM reelay_start($1, $2, $3, $4, $5, $6, $7)', [row.id, row.account_id, row.mode, owner, to, startedAt, recheckMs]);
  return rows[0] ?? null;
}

/**
 * Claims up to `limit` due jobs for `owner`. SKIP LOCKED lets any number of workers claim at once
 * without waiting on each other; the lease makes a dead worker's jobs claimable again once it
 * lapses. `providers` restricts the claim (a worker without a free render slot claims no renders).
 *
 * Queued jobs are claimed only while their account is under its plan's concurrency ceiling in
 * their mode (test work never holds back live work: each mode has the plan's ceiling), oldest
 * first per account and mode, counting jobs in flight and queued jobs already claimed; the exact check is
 * `startJob` (reelay_start) at the moment of starting. Excess jobs simply stay queued, in order.
 */
export async function claimDue(
  q: Queryable,
  a: {
    owner: string;
    leaseSeconds: number;
    limit: number;
    providers: string[];
    /** Accounts not to take work from this time (they hold their share of the render slots). */
    excludeAccounts?: readonly string[];
    /** Slots each account already holds here: the fewest go first, then the oldest due work. */
    load?: ReadonlyMap<string, number>;
  },
): Promise<JobRow[]> {
  if (a.limit <= 0 || a.providers.length === 0) return [];
  const load = [...(a.load ?? new Map<string, number>())];
  const { rows } = await q.query<JobRow>(
    `UPDATE jobs SET lease_owner = $1, lease_until = now() + make_interval(secs => $2)
      WHERE id IN (
        SELECT id FROM jobs WHERE id IN (
          SELECT c.id FROM (
            SELECT j.id, j.account_id, j.mode, j.state, j.next_run_at, j.created_at,
                   row_number() OVER (PARTITION BY j.account_id, j.mode, j.state = 'queued' ORDER BY j.created_at) AS rn
              FROM jobs j
             WHERE j.state IN ('queued', 'submitting', 'running', 'finalizing')
               AND j.next_run_at <= now()
               AND (j.lease_until IS NULL OR j.lease_until < now())
               AND j.provider = ANY($3::text[])
               AND NOT (j.account_id = ANY($5::text[]))) c
          JOIN accounts acc ON acc.id = c.account_id
          JOIN plans p ON p.id = acc.plan_id
          LEFT JOIN (
            SELECT account_id, mode, count(*) AS n FROM jobs
             WHERE state IN ('submitting', 'running', 'finalizing') OR (state = 'queued' AND lease_until > now())
             GROUP BY account_id, mode) f ON f.account_id = c.account_id AND f.mode = c.mode
          LEFT JOIN unnest($6::text[], $7::int[]) AS l(account_id, n) ON l.account_id = c.account_id
         WHERE c.state <> 'queued' OR c.rn <= p.concurrency - COALESCE(f.n, 0)
         ORDER BY COALESCE(l.n, 0), c.next_run_at, c.created_at
         LIMIT $4)
        FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [a.owner, a.leaseSeconds, a.providers, a.limit, a.excludeAccounts ?? [], load.map(([k]) => k), load.map(([, n]) => n)],
  );
  return rows;
}

/** Records progress and extends the lease; false when the job is no longer ours (canceled, swept, re-leased). */
export async function heartbeat(q: Queryable, id: string, owner: string, leaseSeconds: number, progress?: number): Promise<boolean> {
  const res = await q.query(
    `UPDATE jobs SET lease_until = now() + make_interval(secs => $3), updated_at = now(),
            progress = COALESCE($4, progress)
      WHERE id = $1 AND lease_owner = $2 AND state IN ('queued', 'submitting', 'running', 'finalizing')`,
    [id, owner, leaseSeconds, progress ?? null],
  );
  return res.rowCount === 1;
}

/** Gives a job back to the queue without changing its state: due at `nextRunAt`, lease dropped. */
export async function releaseLease(q: Queryable, id: string, owner: string, nextRunAt: Date, attempts?: number): Promise<void> {
  await q.query(
    `UPDATE jobs SET lease_owner = NULL, lease_until = NULL, next_run_at = $3, attempts = COALESCE($4, attempts)
      WHERE id = $1 AND lease_owner = $2`,
    [id, owner, nextRunAt, attempts ?? null],
  );
}

/**
 * Earliest time a job that `claimDue` could take becomes due, to sleep until then. Queued jobs
 * of an account at its plan's ceiling are left out, counted exactly as `claimDue` counts them
 * (in flight plus queued jobs under a live lease): they wait for a slot to free, and a finishing
 * job wakes the workers. Counting them made an idle worker query every 5 ms while they waited.
 */
export async function nextDueAt(q: Queryable, providers: string[]): Promise<Date | null> {
  if (providers.length === 0) return null;
  const { rows } = await q.query<{ t: Date | null }>(
    `SELECT min(GREATEST(j.next_run_at, COALESCE(j.lease_until, j.next_run_at))) AS t
       FROM jobs j
       JOIN accounts acc ON acc.id = j.account_id
       JOIN plans p ON p.id = acc.plan_id
       LEFT JOIN (
         SELECT account_id, mode, count(*) AS n FROM jobs
          WHERE state IN ('submitting', 'running', 'finalizing') OR (state = 'queued' AND lease_until > now())
          GROUP BY account_id, mode) f ON f.account_id = j.account_id AND f.mode = j.mode
      WHERE j.state IN ('queued', 'submitting', 'running', 'finalizing') AND j.provider = ANY($1::text[])
        AND (j.state <> 'queued' OR COALESCE(f.n, 0) < p.concurrency)`,
    [providers],
  );
  return rows[0]?.t ?? null;
}

/**
 * Whether `owner` still holds job `id` in a live state: the cheap read a render makes twice a
 * second so that a cancel stops it within a second (the lease heartbeat, a write, stays slower).
 */
export async function stillLeased(q: Queryable, id: string, owner: string): Promise<boolean> {
  const { rows } = await q.query(
    `SELECT 1 FROM jobs WHERE id = $1 AND lease_owner = $2 AND state IN ('queued', 'submitting', 'running', 'finalizing')`,
    [id, owner],
  );
  return rows.length === 1;
}

/**
 * Hands a job back after a failed step, due at `nextRunAt`, with the reason it waits shown on the
 * job. `requeue` sends a job whose create made no task back to `queued` (freeing its concurrency
 * slot); a job with a task keeps its state.
 */
export async function retryLater(
  q: Queryable,
  id: string,
  owner: string,
  a: { nextRunAt: Date; attempts: number; reason: string | null; requeue: boolean; unreadableDownloads?: number },
): Promise<boolean> {
  const res = await q.query(
    `UPDATE jobs SET lease_owner = NULL, lease_until = NULL, next_run_at = $3, attempts = $4, status_reason = $5, updated_at = now(),
            unreadable_downloads = COALESCE($7, unreadable_downloads),
            state = CASE WHEN $6::boolean AND state = 'submitting' AND upstream_task_id IS NULL THEN 'queued' ELSE state END
      WHERE id = $1 AND lease_owner = $2 AND state IN ('queued', 'submitting', 'running', 'finalizing')`,
    [id, owner, a.nextRunAt, a.attempts, a.reason?.slice(0, 300) ?? null, a.requeue, a.unreadableDownloads ?? null],
  );
  return res.rowCount === 1;
}

/** Shows why a job waits without changing anything else (a resting provider, a slot). */
export async function setStatusReason(q: Queryable, id: string, reason: string | null): Promise<void> {
  await q.query(`UPDATE jobs SET status_reason = $2 WHERE id = $1 AND state IN ('queued', 'submitting', 'running', 'finalizing')`, [id, reason?.slice(0, 300) ?? null]);
}

/**
 * After a status poll that found the task unfinished: counts the poll, clears the error streak,
 * sleeps until `nextRunAt`. Unless a callback came while the poll was out (`pollNow` moved
 * `next_run_at` past `claimedDueAt`, the due time the job was claimed at): the task may have
 * finished after the upstream answered, so the job is due again CALLBACK_POLL_GAP_SECONDS after
 * this poll (if `nextRunAt` is not sooner) instead of sleeping through the one hint it will get.
 * Not at once: callbacks arriving during every poll then chained polls back to back.
 */
export async function schedulePoll(q: Queryable, id: string, owner: string, nextRunAt: Date, polls: number, claimedDueAt?: Date): Promise<boolean> {
  const res = await q.query(
    `UPDATE jobs SET lease_owner = NULL, lease_until = NULL,
            next_run_at = CASE WHEN $5::timestamptz IS NOT NULL AND date_trunc('milliseconds', next_run_at) > $5::timestamptz
                               THEN LEAST($3::timestamptz, now() + make_interval(secs => $6)) ELSE $3 END,
            upstream_polls = $4, attempts = 0, status_reason = NULL, updated_at = now()
      WHERE id = $1 AND lease_owner = $2 AND state = 'running'`,
    [id, owner, nextRunAt, polls, claimedDueAt ?? null, CALLBACK_POLL_GAP_SECONDS],
  );
  return res.rowCount === 1;
}

/** Moves a queued job that never reached an upstream to another provider (its own is resting). */
export async function reroute(q: Queryable, id: string, owner: string, provider: string): Promise<boolean> {
  const res = await q.query(
    `UPDATE jobs SET provider = $3, lease_owner = NULL, lease_until = NULL, next_run_at = now(), updated_at = now()
      WHERE id = $1 AND lease_owner = $2 AND state = 'queued' AND upstream_task_id IS NULL`,
    [id, owner, provider],
  );
  return res.rowCount === 1;
}

/**
 * Moves a job that no upstream has accepted to another provider, back in `queued` (its concurrency
 * slot freed until it starts again there). Only a job with no task id moves: once accepted, a job
 * stays where it is until it ends.
 */
export async function failover(q: Queryable, id: string, owner: string, provider: string, reason: string): Promise<boolean> {
  const res = await q.query(
    `UPDATE jobs SET provider = $3, state = 'queued', lease_owner = NULL, lease_until = NULL, next_run_at = now(), attempts = 0,
            status_reason = $4, updated_at = now()
      WHERE id = $1 AND lease_owner = $2 AND state IN ('queued', 'submitting') AND upstream_task_id IS NULL`,
    [id, owner, provider, reason.slice(0, 300)],
  );
  return res.rowCount === 1;
}

/** The shortest gap between a job's last poll and one a callback brings forward. */
export const CALLBACK_POLL_GAP_SECONDS = 2;

/**
 * A provider callback said task `taskId` changed: make its job due now, or CALLBACK_POLL_GAP_SECONDS
 * after its last poll if that is later. Only a running job moves, and only earlier, so a flood of
 * (forged or repeated) callbacks cannot do more than bring a poll forward, once per gap: 74
 * callbacks for one job in 5 s once cost 74 status calls, enough to spend MiniMax's whole budget
 * and hold back every other job's polls. The poll itself decides what happened. Returns the job id,
 * or null for unknown tasks.
 * A job a worker holds (its poll may be out right now) is marked too: `next_run_at` moves from its
 * claimed due time to now, and `schedulePoll` then keeps it due instead of putting it to sleep.
 */
export async function pollNow(q: Queryable, provider: string, taskId: string): Promise<string | null> {
  // `updated_at` is the last poll's (schedulePoll sets it); a held job's poll may be out right now.
  const { rows } = await q.query<{ id: string }>(
    `UPDATE jobs SET next_run_at = CASE WHEN lease_until > now() THEN now()
                                        ELSE GREATEST(now(), updated_at + make_interval(secs => $3)) END
      WHERE provider = $1 AND upstream_task_id = $2 AND state = 'running'
        AND (next_run_at > GREATEST(now(), updated_at + make_interval(secs => $3)) OR lease_until > now())
      RETURNING id`,
    [provider, taskId, CALLBACK_POLL_GAP_SECONDS],
  );
  return rows[0]?.id ?? null;
}

/**
 * Reschedules the jobs of `provider` in `states` that are due NOW (and not held by a worker) to
 * one every `spacingMs` after `from`, oldest first. Used when a provider's request budget is full:
 * one statement moves a backlog of 1,000 jobs (~100-250 ms on PGlite), where claiming and refusing
 * each would cost ~90 ms apiece there. Jobs that already wait for a later time keep it, so earlier
 * appointments are never pushed back by later refusals. SKIP LOCKED leaves rows a worker holds.
 */
export async function spreadDue(q: Queryable, provider: string, states: readonly string[], from: Date, spacingMs: number): Promise<number> {
  const res = await q.query(
    `WITH locked AS (
       SELECT id, next_run_at, created_at FROM jobs
        WHERE provider = $1 AND state = ANY($2::text[]) AND next_run_at <= clock_timestamp()
          AND (lease_until IS NULL OR lease_until < now())
        FOR UPDATE SKIP LOCKED),
     ranked AS (SELECT id, row_number() OVER (ORDER BY next_run_at, created_at) AS k FROM locked)
     UPDATE jobs j SET next_run_at = $3::timestamptz + make_interval(secs => ranked.k * $4::float8 / 1000)
       FROM ranked WHERE j.id = ranked.id`,
    [provider, states, from, spacingMs],
  );
  return res.rowCount;
}
