/**
 * What a worker does with one claimed job, by the state it is in. Every step ends in a
 * compare-and-swap guarded by the worker's lease; losing one (the job was canceled, swept or
 * taken over) means stopping quietly, never acting twice.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ProviderError, type InlineProvider, type JobErrorCode } from '../providers/index.js';
import { backoffMs } from '../retry.js';
import { releaseLease, retryLater, stillLeased } from './repo.js';
import { outageOf } from '../outage.js';
import { newId } from '../ids.js';
import type { JobRow } from './types.js';
import { complete, failJob, providerJob, reportProgress, start, type RunnerDeps } from './steps.js';
import { runRemote } from './remote.js';

export { failJob, type RunnerDeps } from './steps.js';

/**
 * Ends when the job is finished, handed back to the queue, or no longer ours.
 *
 * @example
 * await runJob(deps, worker.id, claimedRow, abortController.signal);
 */
export async function runJob(d: RunnerDeps, owner: string, row: JobRow, signal: AbortSignal): Promise<void> {
  const provider = d.providers.get(row.provider ?? '');
  // The remote path knows which step it reached and settles its own failures (remote.ts).
  if (provider.kind === 'remote') return runRemote(d, owner, row, provider, signal);
  try {
    await runInline(d, owner, row, provider, signal);
  } catch (err) {
    if (signal.aborted) {
      // Shutting down: give the job back at once so another worker (or our next start) resumes it.
      await releaseLease(d.db, row.id, owner, new Date());
      return;
    }
    // Our own database or disk failing is waited out with backoff, the reason shown on the job:
    // failing (and refunding) a render over a blip threw the customer's job away for our fault.
    const outage = outageOf(err);
    if (outage) {
      const attempts = row.attempts + 1;
      const what = outage === 'storage' ? 'Storing the video failed on our side' : 'A database fault on our side interrupted the render';
      d.log.error({ jobId: row.id, err, attempt: attempts }, `${what}; ${attempts < d.maxAttempts ? 'retrying' : 'giving up'}`);
      if (attempts < d.maxAttempts) {
        const nextRunAt = new Date(Date.now() + backoffMs(row.attempts, { baseMs: 2000, capMs: 120_000 }));
        await retryLater(d.db, row.id, owner, { nextRunAt, attempts, reason: `${what}, retrying, attempt ${attempts} of ${d.maxAttempts}`, requeue: false });
        return;
      }
      await failJob(d.db, d.events, row.id, owner, 'internal', `${what}; gave up after ${attempts} attempts; its credits were released`);
      return;
    }
    if (err instanceof ProviderError && err.retryable && row.attempts + 1 < d.maxAttempts) {
      const delay = err.opts.retryAfterMs ?? backoffMs(row.attempts, { baseMs: 2000, capMs: 120_000 });
      d.log.warn({ jobId: row.id, code: err.code, attempt: row.attempts + 1, delay }, 'retryable provider error');
      await releaseLease(d.db, row.id, owner, new Date(Date.now() + delay), row.attempts + 1);
      return;
    }
    const code: JobErrorCode = err instanceof ProviderError ? err.code : 'internal';
    let message = err instanceof ProviderError ? err.message : 'Internal error while processing the job';
    if (!(err instanceof ProviderError)) d.log.error({ jobId: row.id, err }, 'job failed unexpectedly');
    if (code === 'render_failed') {
      // ffmpeg's stderr and our paths are for the operator's log, never for the customer.
      d.log.error({ jobId: row.id, err: message }, 'sandbox render failed');
      message = 'The sandbox preview engine could not render this video; its credits were released';
    }
    await failJob(d.db, d.events, row.id, owner, code, message);
  }
}

/** How often a render checks that its job is still ours: a cancel stops it within this (plus ffmpeg's exit). */
const OWNERSHIP_CHECK_MS = 500;

async function runInline(d: RunnerDeps, owner: string, row: JobRow, provider: InlineProvider, signal: AbortSignal): Promise<void> {
  if (row.state === 'queued') {
    const started = await start(d, row, owner, 'running');
    if (!started) return;
  }
  const lastStep = { value: 0 };
  // A render cannot be resumed: after a crash the job is simply rendered again (it is free to us).
  const local = new AbortController();
  const onOuterAbort = () => local.abort(signal.reason);
  signal.addEventListener('abort', onOuterAbort, { once: true });
  let lastBeat = 0;
  let progress = 0;
  let beating: Promise<void> = Promise.resolve();
  const beat = () => {
    beating = beating.then(async () => {
      const mine = await reportProgress(d, row, owner, progress, lastStep).catch(() => true);
      if (!mine) local.abort(new Error('job is no longer ours'));
    });
  };
  // The lease is extended until the capture commits (probe, poster and upload included): a lease
  // that lapsed during a slow upload let a second worker render the job again.
  const timer = setInterval(beat, Math.max(1000, (d.leaseSeconds * 1000) / 3));
  // A cheap read, twice a second, so that a cancel stops the render within a second rather than
  // at the next heartbeat (a write, every leaseSeconds / 3).
  let checking = false;
  const check = setInterval(() => {
    if (checking || local.signal.aborted) return;
    checking = true;
    stillLeased(d.db, row.id, owner)
      .then((mine) => {
        if (!mine) local.abort(new Error('job is no longer ours'));
      })
      .catch(() => {})
      .finally(() => (checking = false));
  }, OWNERSHIP_CHECK_MS);
  await mkdir(d.tmpDir, { recursive: true });
  const attempt = newId('attempt');
  const out = join(d.tmpDir, `${row.id}-${attempt}.mp4`);
  try {
    await provider.render(providerJob(row), out, {
      signal: local.signal,
      onProgress: (fraction) => {
        progress = Math.max(progress, Math.min(98, Math.round(fraction * 98)));
        if (Date.now() - lastBeat > 500) {
          lastBeat = Date.now();
          beat();
        }
      },
    });
    clearInterval(check);
    progress = 99; // what `complete` reports; the heartbeats that follow must not set it back
    await beating;
    if (local.signal.aborted) {
      if (signal.aborted) throw signal.reason;
      return;
    }
    await complete(d, owner, row, out, attempt);
  } catch (err) {
    if (local.signal.aborted && !signal.aborted) return; // canceled or taken over: stop quietly
    throw err;
  } finally {
    clearInterval(timer);
    clearInterval(check);
    await beating;
    signal.removeEventListener('abort', onOuterAbort);
    await rm(out, { force: true });
  }
}
