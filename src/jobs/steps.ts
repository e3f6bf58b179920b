/**
 * The steps both kinds of provider share: start a queued job, report progress, deliver a finished
 * video, fail and refund. Each ends in a compare-and-swap guarded by the worker's lease; money and
 * events move only when the swap wins.
 */
import type { Db } from '../db/index.js';
import { captureCredits, releaseCredits } from '../billing/index.js';
import { findModel } from '../catalog/index.js';
import { ProviderError, type ProviderJob, type ProviderRegistry } from '../providers/index.js';
import type { BlobStore } from '../storage/index.js';
import type { Logger } from '../log.js';
import { heartbeat, startJob, transition } from './repo.js';
import { attemptPrefix, storeResult } from './finalize.js';
import { newId } from '../ids.js';
import { LIVE_STATES, type JobRow } from './types.js';
import { PROGRESS_STEP, type JobEventSink } from './events.js';

export interface RunnerDeps {
  db: Db;
  blobs: BlobStore;
  providers: ProviderRegistry;
  log: Logger;
  tmpDir: string;
  leaseSeconds: number;
  /** Retryable failures before a job is failed for good (before an upstream task exists). */
  maxAttempts: number;
  events: JobEventSink;
}

/**
 * Fails a live job and releases its hold, in one transaction, only if the swap wins.
 *
 * @example
 * await failJob(db, events, job.id, workerId, 'content_policy', 'MiniMax flagged the prompt');
 */
export async function failJob(
  db: Db,
  events: JobEventSink,
  id: string,
  owner: string | undefined,
  code: string,
  message: string,
): Promise<boolean> {
  return db.tx(async (q) => {
    const r = await transition(q, id, LIVE_STATES, 'failed', { error_code: code, error_message: customerMessage(message), completed_at: new Date() }, owner);
    if (r) {
      await releaseCredits(q, id, owner ?? 'sweeper', `job failed: ${code}`);
      await events.record(q, r, 'failed');
    }
    return r !== null;
  });
}

/**
 * The last guard on what a customer reads in `error_message`: one line, no server paths, bounded.
 * Callers write customer-safe messages and log the detail with the job id; this only catches what
 * slips through (an `ENOSPC … '/srv/reelay/data/tmp/…'` from a library, ffmpeg's stderr).
 *
 * @example
 * customerMessage("Storing failed: ENOSPC, write '/data/tmp/job_1.mp4'") // "Storing failed: ENOSPC, write '…'"
 */
export function customerMessage(message: string): string {
  const line = message.split(/\r?\n/, 1)[0] ?? '';
  // An absolute path: after a start, a space, a quote, `(` or `=`; `https://host/path` is kept (its `/` follows `:`).
  const noPaths = line.replace(/(^|[\s'"(=])(?:\/[^\s'"():,]+)+/g, '$1…');
  return noPaths.length > 300 ? `${noPaths.slice(0, 299)}…` : noPaths;
}

/**
 * Records progress and extends the lease; when progress crosses a step, the progress event is
 * written in the same transaction. False when the job is no longer ours.
 */
export async function reportProgress(d: RunnerDeps, row: JobRow, owner: string, progress: number, lastStep: { value: number }): Promise<boolean> {
  const step = Math.floor(progress / PROGRESS_STEP);
  if (step <= lastStep.value) return heartbeat(d.db, row.id, owner, d.leaseSeconds, progress);
  return d.db.tx(async (q) => {
    const mine = await heartbeat(q, row.id, owner, d.leaseSeconds, progress);
    if (mine) {
      lastStep.value = step;
      await d.events.record(q, { ...row, state: 'running', progress }, 'progress');
    }
    return mine;
  });
}

/** How long a job held back by its account's concurrency ceiling waits before it is looked at again. */
const CEILING_RECHECK_MS = 1000;

/**
 * queued → `to`, if the account's plan has a free slot. Otherwise the job goes back to the queue
 * unchanged (it is not rejected) and is looked at again shortly or when a slot frees. A remote
 * start is one statement; a render's start records its first progress event in the same
 * transaction.
 */
export async function start(d: RunnerDeps, row: JobRow, owner: string, to: 'running' | 'submitting'): Promise<JobRow | null> {
  const startedAt = new Date();
  if (to === 'submitting') return startJob(d.db, row, owner, to, startedAt, CEILING_RECHECK_MS);
  return d.db.tx(async (q) => {
    const r = await startJob(q, row, owner, to, startedAt, CEILING_RECHECK_MS);
    if (r) await d.events.record(q, r, 'progress');
    return r;
  });
}

/** The canonical request a provider is given for a job row. */
export function providerJob(row: JobRow): ProviderJob {
  const model = findModel(row.model);
  if (!model) throw new ProviderError('invalid_params', `Unknown model ${row.model}`, false);
  const i = row.input;
  return {
    jobId: row.id,
    model,
    prompt: i.prompt ?? '',
    durationSeconds: i.durationSeconds,
    resolution: i.resolution,
    promptOptimizer: i.promptOptimizer,
    fastPretreatment: i.fastPretreatment,
    image: i.image ? { key: i.image.key, width: i.image.width, height: i.image.height, mime: i.image.mime } : null,
  };
}

/**
 * Stores a finished local MP4 as the job's result and captures its hold, if the job is still ours.
 * The files go under this attempt's own prefix: when the final compare-and-swap loses (canceled,
 * swept, or another worker took the job over after our lease lapsed and finished it first), we
 * delete only what THIS attempt stored, never the winner's video.
 */
export async function complete(d: RunnerDeps, owner: string, row: JobRow, localVideo: string, attempt: string = newId('attempt')): Promise<void> {
  const finalizing = await transition(d.db, row.id, ['running', 'finalizing'], 'finalizing', { progress: 99 }, owner);
  if (!finalizing) return; // canceled or swept meanwhile: nothing to deliver, nothing to charge
  let done: JobRow | null = null;
  try {
    const result = await storeResult(d.blobs, row.id, localVideo, attempt);
    done = await d.db.tx(async (q) => {
      const r = await transition(q, row.id, 'finalizing', 'completed', { progress: 100, result, completed_at: new Date() }, owner);
      if (r) {
        await captureCredits(q, row.id, owner);
        await d.events.record(q, r, 'completed');
      }
      return r;
    });
  } finally {
    if (!done && !(await resultIsFrom(d.db, row.id, attempt))) await d.blobs.deletePrefix(attemptPrefix(row.id, attempt)).catch(() => {});
  }
  d.log.info({ jobId: row.id, completed: done !== null }, 'job finished');
}

/**
 * Whether the job completed with THIS attempt's files. A capture transaction whose COMMIT reply
 * was lost (the connection killed at that instant) may have committed: deleting the files then
 * left a completed, charged job whose video was gone. When the database cannot even say, the
 * files are kept: an orphan file costs disk, a missing one costs the customer a paid video.
 */
async function resultIsFrom(db: Db, jobId: string, attempt: string): Promise<boolean> {
  try {
    const { rows } = await db.query<{ key: string | null }>(`SELECT result->'video'->>'key' AS key FROM jobs WHERE id = $1 AND state = 'completed'`, [jobId]);
    return rows[0]?.key?.startsWith(attemptPrefix(jobId, attempt)) ?? false;
  } catch {
    return true;
  }
}
