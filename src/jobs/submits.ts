/**
 * The record of every upstream create a job ever sent (table `upstream_submits`, migration 006).
 * A create whose outcome we cannot know may have made a task that MiniMax bills; the job is sent
 * again at most once after one, and that pair is kept as a possible duplicate for the operator to
 * reconcile with the upstream's console. Nothing here decides; remote.ts does.
 */
import { isUuid } from '../ids.js';
import type { Queryable } from '../db/index.js';
import { getJobRow } from './repo.js';
import { rowToJob, type Job } from './types.js';

export interface UpstreamSubmit {
  id: number;
  jobId: string;
  provider: string;
  outcome: 'pending' | 'accepted' | 'ambiguous';
  taskId: string | null;
  detail: string | null;
  possibleDuplicateOf: number | null;
  sentAt: Date;
  settledAt: Date | null;
}

interface SubmitRow {
  id: string | number;
  job_id: string;
  provider: string;
  outcome: UpstreamSubmit['outcome'];
  task_id: string | null;
  detail: string | null;
  possible_duplicate_of: string | number | null;
  sent_at: Date;
  settled_at: Date | null;
}

function view(r: SubmitRow): UpstreamSubmit {
  return {
    id: Number(r.id),
    jobId: r.job_id,
    provider: r.provider,
    outcome: r.outcome,
    taskId: r.task_id,
    detail: r.detail,
    possibleDuplicateOf: r.possible_duplicate_of === null ? null : Number(r.possible_duplicate_of),
    sentAt: r.sent_at,
    settledAt: r.settled_at,
  };
}

/** What a job's earlier creates decide about the next one (`prepareCreate`). */
export interface CreatePlan {
  /** The job's ambiguous creates, oldest first: a task may exist that nobody will collect. */
  unknown: UpstreamSubmit[];
  /**
   * Creates the upstream accepted that never became the job's task, because their worker lost the
   * job (its lease, or its database) between the answer and the commit that records the task on
   * the job. The task exists and is billed upstream: one at this provider is adopted.
   */
  unattached: UpstreamSubmit[];
  /** The `pending` record written for the create about to be sent; null when none may be sent. */
  pendingId: number | null;
}

/**
 * Before a create of a job that has no upstream task, in one statement (one round trip of the
 * dispatch): any create of this job still `pending` was cut off (its worker died or was stopped
 * mid-call, or could not renew its lease) and becomes `ambiguous`; then, unless a task accepted at
 * `provider` is there to adopt or two creates already have an unknown outcome (the job is not sent
 * a third time), the new create is recorded `pending`, before it is sent, so that a crash mid-call
 * leaves a trace, and linked to the last unknown one as its possible duplicate.
 * Called under the job's lease, so no live call of another worker can be pending at this moment.
 */
export async function prepareCreate(q: Queryable, jobId: string, provider: string): Promise<CreatePlan> {
  // A data-modifying CTE's changes are not visible to the rest of its statement: the rows `cut`
  // settles are read from it, and `earlier` is everything the new record depends on.
  const { rows } = await q.query<SubmitRow>(
    `WITH cut AS (
       UPDATE upstream_submits SET outcome = 'ambiguous', settled_at = now(),
              detail = COALESCE(detail, 'the worker stopped or died during the create call')
        WHERE job_id = $1 AND outcome = 'pending' RETURNING *),
     earlier AS (
       SELECT * FROM cut
       UNION ALL
       SELECT * FROM upstream_submits WHERE job_id = $1 AND (outcome = 'ambiguous' OR (outcome = 'accepted' AND task_id IS NOT NULL))),
     added AS (
       INSERT INTO upstream_submits (job_id, provider, outcome, possible_duplicate_of)
       SELECT $1, $2, 'pending', (SELECT max(id) FROM earlier WHERE outcome = 'ambiguous')
        WHERE NOT EXISTS (SELECT 1 FROM earlier WHERE outcome = 'accepted' AND provider = $2)
          AND (SELECT count(*) FROM earlier WHERE outcome = 'ambiguous') < 2
       RETURNING *)
     SELECT * FROM earlier UNION ALL SELECT * FROM added ORDER BY id`,
    [jobId, provider],
  );
  const all = rows.map(view);
  const pending = all.find((s) => s.outcome === 'pending');
  return {
    unknown: all.filter((s) => s.outcome === 'ambiguous'),
    unattached: all.filter((s) => s.outcome === 'accepted'),
    pendingId: pending ? pending.id : null,
  };
}

/** The upstream answered with a task id. */
export async function acceptSubmit(q: Queryable, id: number, taskId: string): Promise<void> {
  await q.query(`UPDATE upstream_submits SET outcome = 'accepted', task_id = $2, settled_at = now() WHERE id = $1`, [id, taskId]);
}

/** We cannot know whether the upstream made a task. `detail` is operator-facing. */
export async function markSubmitAmbiguous(q: Queryable, id: number, detail: string): Promise<void> {
  await q.query(`UPDATE upstream_submits SET outcome = 'ambiguous', detail = $2, settled_at = now() WHERE id = $1`, [id, detail.slice(0, 500)]);
}

/** The upstream plainly refused (or the call was never sent): nothing was made, nothing to keep. */
export async function forgetSubmit(q: Queryable, id: number): Promise<void> {
  await q.query(`DELETE FROM upstream_submits WHERE id = $1 AND outcome = 'pending'`, [id]);
}

/**
 * Every create a job sent, oldest first (the operator's job view).
 *
 * @example
 * const creates = await upstreamSubmitsOf(db, 'job_…'); // [{ outcome: 'ambiguous', … }, { outcome: 'accepted', taskId: '1069…', possibleDuplicateOf: 1, … }]
 */
export async function upstreamSubmitsOf(q: Queryable, jobId: string): Promise<UpstreamSubmit[]> {
  const { rows } = await q.query<SubmitRow>('SELECT * FROM upstream_submits WHERE job_id = $1 ORDER BY id', [jobId]);
  return rows.map(view);
}

export interface PossibleDuplicate {
  jobId: string;
  accountId: string;
  mode: string;
  jobState: string;
  /** The provider of the create with unknown outcome: where a task nobody collects may be billed. */
  provider: string;
  /** The create that was resubmitted after, and the one sent again (after a failover, elsewhere). */
  first: UpstreamSubmit;
  second: UpstreamSubmit;
}

/**
 * Resubmits after an ambiguous create, newest first: each may have left a task upstream that
 * nobody collects (MiniMax bills it). The operator matches them with the upstream's console.
 *
 * @example
 * const dups = await possibleDuplicates(db, { limit: 100 });
 */
export async function possibleDuplicates(q: Queryable, a: { limit: number }): Promise<PossibleDuplicate[]> {
  const { rows } = await q.query<SubmitRow & { account_id: string; mode: string; state: string; f: SubmitRow }>(
    `SELECT s.*, j.account_id, j.mode, j.state, to_jsonb(f) AS f
       FROM upstream_submits s
       JOIN upstream_submits f ON f.id = s.possible_duplicate_of
       JOIN jobs j ON j.id = s.job_id
      WHERE s.possible_duplicate_of IS NOT NULL
      ORDER BY s.id DESC LIMIT $1`,
    [a.limit],
  );
  return rows.map((r) => ({
    jobId: r.job_id,
    accountId: r.account_id,
    mode: r.mode,
    jobState: r.state,
    provider: r.f.provider,
    first: view({ ...r.f, sent_at: new Date(r.f.sent_at), settled_at: r.f.settled_at ? new Date(r.f.settled_at) : null }),
    second: view(r),
  }));
}

/**
 * Possible duplicates per provider of the create with unknown outcome (where an uncollected task
 * may be billed, whichever provider the resubmit went to), for `/metrics`: read from the database,
 * so every process reports the same.
 */
export async function countPossibleDuplicates(q: Queryable): Promise<Array<{ provider: string; n: number }>> {
  const { rows } = await q.query<{ provider: string; n: number }>(
    `SELECT f.provider, count(*)::int AS n
       FROM upstream_submits s JOIN upstream_submits f ON f.id = s.possible_duplicate_of
      GROUP BY f.provider`,
  );
  return rows;
}

/**
 * A job as the operator sees it (either mode), with every upstream create it sent; null if unknown.
 *
 * @example
 * const v = await adminJobView(db, 'job_…'); // { job, upstreamSubmits: [...], possibleDuplicate: false }
 */
export async function adminJobView(q: Queryable, jobId: string): Promise<{ job: Job; upstreamSubmits: UpstreamSubmit[]; possibleDuplicate: boolean } | null> {
  // Job ids are UUIDs: a malformed one is simply not found (and never reaches the uuid column).
  const row = isUuid(jobId) ? await getJobRow(q, jobId.toLowerCase()) : null;
  if (!row) return null;
  const creates = await upstreamSubmitsOf(q, row.id);
  return { job: rowToJob(row), upstreamSubmits: creates, possibleDuplicate: creates.some((c) => c.possibleDuplicateOf !== null) };
}
