import type { Db } from '../db/index.js';
import type { BlobStore } from '../storage/index.js';
import type { Logger } from '../log.js';
import { applyMonthlyGrants, pruneRateWindows } from '../billing/index.js';
import { newId } from '../ids.js';
import { ProviderError, pruneProviderEvents, type ProviderRegistry, type UpstreamStatus } from '../providers/index.js';
import { failJob } from './runner.js';
import type { JobEventSink } from './events.js';

/**
 * How long a job whose task the sweeper found finished at its deadline gets to be delivered. A
 * download and store take seconds; the rest is room for our own faults to clear. Given once only.
 */
const DELIVERY_GRACE_SECONDS = 15 * 60;
/** A job a worker still holds at its deadline is left to it this much longer, then failed anyway. */
const HELD_PAST_DEADLINE_SECONDS = 10 * 60;
/** The sweeper's last question to the upstream. */
const LAST_LOOK_TIMEOUT_MS = 30_000;

export interface SweepDeps {
  db: Db;
  blobs: BlobStore;
  log: Logger;
  retentionHours: number;
  events: JobEventSink;
  /** With providers, a job that has an upstream task is asked about once more before it is failed. */
  providers?: ProviderRegistry;
}

interface LateRow {
  id: string;
  state: string;
  provider: string | null;
  upstream_task_id: string | null;
  deadline_extended: boolean;
  held: boolean;
  long_past: boolean;
}

/**
 * Housekeeping any worker may run: fail (and refund) jobs past their model's deadline, through the
 * same compare-and-swap as everything else, and delete result files past the retention period.
 * A job with an upstream task is asked about once more first: a task that finished is delivered
 * and charged (the operator has paid the upstream for it), not refunded.
 */
export async function sweep(d: SweepDeps): Promise<{ timedOut: number; expired: number; rescued: number }> {
  const { rows: late } = await d.db.query<LateRow>(
    `SELECT id, state, provider, upstream_task_id, deadline_extended,
            COALESCE(lease_until > now(), false) AS held,
            deadline_at < now() - make_interval(secs => $1) AS long_past
       FROM jobs WHERE state IN ('queued', 'submitting', 'running', 'finalizing') AND deadline_at < now() LIMIT 200`,
    [HELD_PAST_DEADLINE_SECONDS],
  );
  let timedOut = 0;
  let rescued = 0;
  for (const row of late) {
    if (d.providers && row.upstream_task_id && !row.deadline_extended && (row.state === 'running' || row.state === 'finalizing')) {
      const look = await lastLook(d, d.providers, row);
      if (look === 'rescued') rescued++;
      if (look !== 'timeout') continue;
    }
    if (await failJob(d.db, d.events, row.id, undefined, 'timeout', 'The job did not finish within its deadline; its credits were released')) timedOut++;
  }
  let expired = 0;
  if (d.retentionHours > 0) {
    const { rows: old } = await d.db.query<{ id: string }>(
      `SELECT id FROM jobs WHERE expired_at IS NULL AND state IN ('completed', 'failed', 'canceled')
          AND completed_at < now() - make_interval(hours => $1) LIMIT 200`,
      [d.retentionHours],
    );
    for (const { id } of old) {
      await d.blobs.deletePrefix(`jobs/${id}`);
      await d.db.query('UPDATE jobs SET expired_at = now() WHERE id = $1 AND expired_at IS NULL', [id]);
      expired++;
    }
  }
  await pruneRateWindows(d.db);
  await pruneProviderEvents(d.db);
  const { granted } = await applyMonthlyGrants(d.db);
  if (granted) d.log.info({ granted }, 'monthly plan grants applied');
  if (timedOut || expired || rescued) d.log.info({ timedOut, expired, rescued }, 'sweep');
  return { timedOut, expired, rescued };
}

/**
 * One more look at a late job's upstream task, holding the job's lease meanwhile. `rescued`: it
 * finished and the job now waits in `finalizing` for a worker to deliver it, with one grace period;
 * `settled`: the upstream failed it (its verdict is recorded) or a worker holds it (next sweep);
 * `timeout`: still unfinished or unanswerable, so the deadline ends it.
 */
async function lastLook(d: SweepDeps, providers: ProviderRegistry, row: LateRow): Promise<'rescued' | 'settled' | 'timeout'> {
  if (row.held && !row.long_past) return 'settled'; // a worker is at it (a download, a poll): look again next sweep
  const provider = row.provider && providers.names().includes(row.provider) ? providers.get(row.provider) : null;
  if (!provider || provider.kind !== 'remote') return 'timeout';
  const owner = newId('worker');
  const { rowCount } = await d.db.query(
    `UPDATE jobs SET lease_owner = $2, lease_until = now() + make_interval(secs => $3)
      WHERE id = $1 AND state IN ('running', 'finalizing') AND (lease_until IS NULL OR lease_until < now() OR $4::boolean)`,
    [row.id, owner, LAST_LOOK_TIMEOUT_MS / 1000 + 30, row.long_past],
  );
  if (rowCount !== 1) return 'settled';
  let status: UpstreamStatus | null = null;
  if (row.state === 'running') {
    try {
      status = await provider.poll(row.upstream_task_id!, AbortSignal.timeout(LAST_LOOK_TIMEOUT_MS));
    } catch (err) {
      d.log.warn({ jobId: row.id, taskId: row.upstream_task_id, err: err instanceof ProviderError ? err.message : err }, 'last look at a late upstream task failed');
      status = null;
    }
  }
  if (row.state === 'finalizing' || status?.state === 'succeeded') {
    // The upstream has the video: give a worker one grace period to fetch, store and charge it.
    const { rowCount: moved } = await d.db.query(
      `UPDATE jobs SET state = 'finalizing', upstream_file_ref = COALESCE($3, upstream_file_ref), deadline_extended = true,
              deadline_at = now() + make_interval(secs => $4), next_run_at = now(), attempts = 0, status_reason = NULL,
              lease_owner = NULL, lease_until = NULL, updated_at = now()
        WHERE id = $1 AND lease_owner = $2 AND state IN ('running', 'finalizing')`,
      [row.id, owner, status?.state === 'succeeded' ? status.fileRef : null, DELIVERY_GRACE_SECONDS],
    );
    if (moved === 1) d.log.warn({ jobId: row.id, taskId: row.upstream_task_id }, 'deadline reached but the upstream task is done: delivering it instead of refunding');
    return moved === 1 ? 'rescued' : 'settled';
  }
  if (status?.state === 'failed') {
    await failJob(d.db, d.events, row.id, owner, status.code, status.message);
    return 'settled';
  }
  // Unfinished, or no answer: the deadline ends it (the sweeper's own failJob, not tied to our lease).
  await d.db.query('UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2', [row.id, owner]);
  return 'timeout';
}
