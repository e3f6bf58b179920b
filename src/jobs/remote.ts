/**
 * One step of a job at a remote upstream (MiniMax): submit it, poll it, or download its video,
 * depending on the state it was claimed in. Each claim does ONE step and hands the job back with
 * its next due time, so a worker drives hundreds of jobs with no loop per job, and a job that
 * already has an upstream task id is only ever polled, never submitted again.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { findModel, type ModelSpec } from '../catalog/index.js';
import { ProviderError, type Cooldown, type RemoteProvider } from '../providers/index.js';
import { backoffMs } from '../retry.js';
import { heartbeat, releaseLease, requeue, reroute, schedulePoll, transition } from './repo.js';
import type { JobRow } from './types.js';
import { complete, failJob, providerJob, reportProgress, start, type RunnerDeps } from './steps.js';
import { PROGRESS_STEP } from './events.js';

/** The job row with the poll counter of migration 004. */
type RemoteRow = JobRow & { upstream_polls: number };

/** The lease was lost mid-step (canceled, swept, taken over): stop without touching the job. */
class LostLease extends Error {}

/** Retry backoff for upstream trouble: 2 s, 4 s, 8 s … capped at 2 min, full jitter (retry.ts). */
const RETRY = { baseMs: 2000, capMs: 120_000 } as const;

/**
 * Drives one step; every failure is settled here, knowing the step it happened in.
 *
 * @example
 * await runRemote(deps, worker.id, claimedRow, minimax, signal);
 */
export async function runRemote(d: RunnerDeps, owner: string, row: JobRow, provider: RemoteProvider, signal: AbortSignal): Promise<void> {
  const at = { row: row as RemoteRow };
  try {
    await step(d, owner, at, provider, signal);
  } catch (err) {
    await settleError(d, owner, at.row, provider, err, signal);
  }
}

async function step(d: RunnerDeps, owner: string, at: { row: RemoteRow }, provider: RemoteProvider, signal: AbortSignal): Promise<void> {
  const model = findModel(at.row.model);
  if (!model) throw new ProviderError('invalid_params', `Unknown model ${at.row.model}`, false);
  // A resting provider (bad key, no balance) gets nothing: its jobs wait, or move on if not yet sent.
  const rest = d.providers.cooldown(provider.name);
  if (rest) return waitOut(d, owner, at.row, provider.name, rest);
  const row0State = at.row.state;

  if (at.row.state === 'queued') {
    const started = await start(d, at.row, owner, 'submitting');
    if (!started) return;
    at.row = started as RemoteRow;
  }
  if (at.row.state === 'submitting') {
    // Claimed while already `submitting`: a worker died mid-submit, maybe after MiniMax accepted.
    if (row0State === 'submitting' && !at.row.upstream_task_id) {
      d.log.warn({ jobId: at.row.id, provider: provider.name }, 'resubmitting a job whose earlier submit may have reached the upstream (possible duplicate task)');
    }
    return submit(d, owner, at.row, provider, model, signal);
  }
  if (at.row.state === 'running') {
    const next = await poll(d, owner, at.row, provider, model, signal);
    if (!next) return;
    at.row = next;
  }
  if (at.row.state === 'finalizing' && at.row.upstream_file_ref) await deliver(d, owner, at.row, provider, signal);
}

/** Queued work moves to a healthy fallback if the route has one; anything else waits out the rest. */
async function waitOut(d: RunnerDeps, owner: string, row: RemoteRow, name: string, rest: Cooldown): Promise<void> {
  if (row.state === 'queued' && !row.upstream_task_id) {
    const alt = d.providers.fallback(row.model, name);
    if (alt && (await reroute(d.db, row.id, owner, alt))) {
      d.log.info({ jobId: row.id, from: name, to: alt }, 'job rerouted: provider resting');
      return;
    }
  }
  // Spread the return over up to 30 s so that the jobs parked on one rest do not all wake together.
  const spread = Math.random() * Math.min(30_000, Math.max(0, rest.until - Date.now()));
  await releaseLease(d.db, row.id, owner, new Date(rest.until + spread));
}

async function submit(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, model: ModelSpec, signal: AbortSignal): Promise<void> {
  // After a crash between create and the UPDATE below, the job is here with no task id and is
  // sent again: that one statement is the only window for a duplicate upstream task (docs/minimax.md).
  const taskId = row.upstream_task_id ?? (await whileLeased(d, row, owner, signal, (s) => provider.submit(providerJob(row), s))).taskId;
  const firstPoll = new Date(Date.now() + provider.nextPollDelayMs(model, 0));
  await d.db.tx(async (q) => {
    const r = await transition(q, row.id, 'submitting', 'running', { upstream_task_id: taskId, attempts: 0, upstream_polls: 0 }, owner);
    if (!r) return; // canceled while submitting: the upstream task runs on at the operator's cost
    await d.events.record(q, r, 'progress');
    await releaseLease(q, row.id, owner, firstPoll);
  });
}

/** One status poll. Returns the job in `finalizing` when the video is ready, else null. */
async function poll(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, model: ModelSpec, signal: AbortSignal): Promise<RemoteRow | null> {
  if (!row.upstream_task_id) throw new ProviderError('internal', 'A running job has no upstream task id', false);
  const taskId = row.upstream_task_id;
  const status = await whileLeased(d, row, owner, signal, (s) => provider.poll(taskId, s));
  const polls = row.upstream_polls + 1;
  if (status.state === 'failed') {
    await failJob(d.db, d.events, row.id, owner, status.code, status.message);
    return null;
  }
  if (status.state === 'succeeded') {
    const next = await transition(d.db, row.id, 'running', 'finalizing', { upstream_file_ref: status.fileRef, upstream_polls: polls, attempts: 0 }, owner);
    return next as RemoteRow | null;
  }
  const progress = status.state === 'running' ? (status.progress ?? estimate(row, provider, model)) : undefined;
  if (progress !== undefined && progress > row.progress) {
    await reportProgress(d, row, owner, progress, { value: Math.floor(row.progress / PROGRESS_STEP) });
  }
  await schedulePoll(d.db, row.id, owner, new Date(Date.now() + provider.nextPollDelayMs(model, polls)), polls);
  return null;
}

/**
 * MiniMax reports no progress, only "Processing": show time elapsed against the model's typical
 * time, up to 90 % (a long task then sits at 90 rather than pretending to be nearly done).
 */
function estimate(row: RemoteRow, provider: RemoteProvider, model: ModelSpec): number | undefined {
  const typical = provider.typicalMs?.(model);
  if (!typical || !row.started_at) return undefined;
  return Math.min(90, Math.max(1, Math.round((90 * (Date.now() - row.started_at.getTime())) / typical)));
}

async function deliver(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, signal: AbortSignal): Promise<void> {
  await mkdir(d.tmpDir, { recursive: true });
  const out = join(d.tmpDir, `${row.id}-${owner}.mp4`);
  try {
    await whileLeased(d, row, owner, signal, async (s) => {
      try {
        await pipeline(await provider.download(row.upstream_file_ref!, s), createWriteStream(out), { signal: s });
      } catch (err) {
        if (s.aborted || err instanceof ProviderError) throw err;
        // Cut mid-body (reset, idle timeout, byte cap): the file still exists upstream; fetch it again.
        throw new ProviderError('upstream_error', `Downloading the upstream video failed: ${(err as Error).message}`, true);
      }
      try {
        await complete(d, owner, row, out);
      } catch (err) {
        if (s.aborted) throw err;
        throw new ProviderError('upstream_error', `The upstream video could not be read as a video: ${(err as Error).message.slice(0, 300)}`, false);
      }
    });
  } finally {
    await rm(out, { force: true });
  }
}

/**
 * Runs an upstream call while keeping the lease alive (a create with a 20 MB image, a large
 * download): without it a call longer than the lease would let a second worker claim the job and,
 * for a create, make a second upstream task.
 */
async function whileLeased<T>(d: RunnerDeps, row: JobRow, owner: string, outer: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const local = new AbortController();
  const onOuter = () => local.abort(outer.reason);
  outer.addEventListener('abort', onOuter, { once: true });
  let beating = Promise.resolve();
  const timer = setInterval(() => {
    beating = beating.then(async () => {
      const mine = await heartbeat(d.db, row.id, owner, d.leaseSeconds).catch(() => true);
      if (!mine) local.abort(new LostLease('job is no longer ours'));
    });
  }, Math.max(1000, (d.leaseSeconds * 1000) / 3));
  try {
    return await fn(local.signal);
  } catch (err) {
    if (local.signal.reason instanceof LostLease && !outer.aborted) throw local.signal.reason;
    throw err;
  } finally {
    clearInterval(timer);
    outer.removeEventListener('abort', onOuter);
    await beating;
  }
}

/**
 * Retryable trouble hands the job back with backoff; before an upstream task exists the job goes
 * back to `queued` (freeing its concurrency slot) and gives up after `maxAttempts`, except for
 * rate limits and our own budget, which only wait. Once a task exists nothing but the deadline
 * ends the wait: the video is paid for upstream and may still arrive.
 */
async function settleError(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, err: unknown, signal: AbortSignal): Promise<void> {
  if (signal.aborted) {
    // Shutting down: give the job back at once so another worker (or our next start) resumes it.
    await releaseLease(d.db, row.id, owner, new Date());
    return;
  }
  if (err instanceof LostLease) return;
  const pe = err instanceof ProviderError ? err : null;
  if (pe?.opts.markUnhealthy) {
    d.log.error({ provider: provider.name, code: pe.code, reason: pe.message }, 'provider marked unhealthy');
    await d.providers.markUnhealthy(provider.name, `${pe.code}: ${pe.message}`);
  }
  const sent = row.upstream_task_id !== null;
  if (pe?.retryable) {
    const waitOnly = pe.opts.deferred === true;
    const attempts = waitOnly ? row.attempts : row.attempts + 1;
    if (sent || waitOnly || pe.opts.rateLimited || attempts < d.maxAttempts) {
      let delay = pe.opts.retryAfterMs ?? backoffMs(row.attempts, RETRY);
      const rest = d.providers.cooldown(provider.name);
      if (rest) delay = Math.max(delay, rest.until - Date.now());
      const next = new Date(Date.now() + delay);
      if (!waitOnly) d.log.warn({ jobId: row.id, state: row.state, code: pe.code, err: pe.message, attempt: attempts, delay }, 'retryable provider error');
      if (row.state === 'submitting' && !sent) await requeue(d.db, row.id, owner, next, attempts);
      else await releaseLease(d.db, row.id, owner, next, attempts);
      return;
    }
  }
  if (!pe) d.log.error({ jobId: row.id, err }, 'job failed unexpectedly');
  await failJob(d.db, d.events, row.id, owner, pe ? pe.code : 'internal', pe ? pe.message : 'Internal error while processing the job');
}
