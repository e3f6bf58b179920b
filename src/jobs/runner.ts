/**
 * What a worker does with one claimed job, by the state it is in. Every step ends in a
 * compare-and-swap guarded by the worker's lease; losing one (the job was canceled, swept or
 * taken over) means stopping quietly, never acting twice.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Db } from '../db/index.js';
import { captureCredits, mayStart, releaseCredits } from '../billing/index.js';
import { findModel } from '../catalog/index.js';
import {
  ProviderError,
  type InlineProvider,
  type JobErrorCode,
  type ProviderJob,
  type ProviderRegistry,
  type RemoteProvider,
} from '../providers/index.js';
import type { BlobStore } from '../storage/index.js';
import type { Logger } from '../log.js';
import { backoffMs } from '../retry.js';
import { heartbeat, releaseLease, transition } from './repo.js';
import { storeResult } from './finalize.js';
import { LIVE_STATES, type JobRow } from './types.js';
import { PROGRESS_STEP, type JobEventSink } from './events.js';

export interface RunnerDeps {
  db: Db;
  blobs: BlobStore;
  providers: ProviderRegistry;
  log: Logger;
  tmpDir: string;
  leaseSeconds: number;
  /** Retryable failures before a job is failed for good. */
  maxAttempts: number;
  events: JobEventSink;
}

/** Ends when the job is finished, handed back to the queue, or no longer ours. */
export async function runJob(d: RunnerDeps, owner: string, row: JobRow, signal: AbortSignal): Promise<void> {
  const provider = d.providers.get(row.provider ?? '');
  try {
    if (provider.kind === 'inline') await runInline(d, owner, row, provider, signal);
    else await runRemote(d, owner, row, provider, signal);
  } catch (err) {
    if (signal.aborted) {
      // Shutting down: give the job back at once so another worker (or our next start) resumes it.
      await releaseLease(d.db, row.id, owner, new Date());
      return;
    }
    if (err instanceof ProviderError && err.retryable && row.attempts + 1 < d.maxAttempts) {
      const delay = err.opts.retryAfterMs ?? backoffMs(row.attempts, { baseMs: 2000, capMs: 120_000 });
      d.log.warn({ jobId: row.id, code: err.code, attempt: row.attempts + 1, delay }, 'retryable provider error');
      await releaseLease(d.db, row.id, owner, new Date(Date.now() + delay), row.attempts + 1);
      return;
    }
    const code: JobErrorCode = err instanceof ProviderError ? err.code : 'internal';
    const message = err instanceof ProviderError ? err.message : 'Internal error while processing the job';
    if (!(err instanceof ProviderError)) d.log.error({ jobId: row.id, err }, 'job failed unexpectedly');
    await failJob(d.db, d.events, row.id, owner, code, message);
  }
}

/** Fails a live job and releases its hold, in one transaction, only if the swap wins. */
export async function failJob(
  db: Db,
  events: JobEventSink,
  id: string,
  owner: string | undefined,
  code: string,
  message: string,
): Promise<boolean> {
  return db.tx(async (q) => {
    const r = await transition(q, id, LIVE_STATES, 'failed', { error_code: code, error_message: message, completed_at: new Date() }, owner);
    if (r) {
      await releaseCredits(q, id, owner ?? 'sweeper', `job failed: ${code}`);
      await events.record(q, r, 'failed');
    }
    return r !== null;
  });
}

/**
 * Records progress and extends the lease; when progress crosses a step, the progress event is
 * written in the same transaction. False when the job is no longer ours.
 */
async function reportProgress(d: RunnerDeps, row: JobRow, owner: string, progress: number, lastStep: { value: number }): Promise<boolean> {
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
 * unchanged (it is not rejected) and is looked at again shortly or when a slot frees.
 */
async function start(d: RunnerDeps, row: JobRow, owner: string, to: 'running' | 'submitting'): Promise<JobRow | null> {
  const started = await d.db.tx(async (q) => {
    if (!(await mayStart(q, row.account_id, row.id))) return 'full' as const;
    const r = await transition(q, row.id, 'queued', to, { started_at: new Date(), progress: 0 }, owner);
    if (r && to === 'running') await d.events.record(q, r, 'progress');
    return r;
  });
  if (started === 'full') {
    await releaseLease(d.db, row.id, owner, new Date(Date.now() + CEILING_RECHECK_MS));
    return null;
  }
  return started;
}

function providerJob(row: JobRow): ProviderJob {
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

async function complete(d: RunnerDeps, owner: string, row: JobRow, localVideo: string): Promise<void> {
  const finalizing = await transition(d.db, row.id, ['running', 'finalizing'], 'finalizing', { progress: 99 }, owner);
  if (!finalizing) return; // canceled or swept meanwhile: nothing to deliver, nothing to charge
  const result = await storeResult(d.blobs, row.id, localVideo);
  const done = await d.db.tx(async (q) => {
    const r = await transition(q, row.id, 'finalizing', 'completed', { progress: 100, result, completed_at: new Date() }, owner);
    if (r) {
      await captureCredits(q, row.id, owner);
      await d.events.record(q, r, 'completed');
    }
    return r;
  });
  if (!done) await d.blobs.deletePrefix(`jobs/${row.id}/video.mp4`).catch(() => {});
  d.log.info({ jobId: row.id, completed: done !== null }, 'job finished');
}

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
  const timer = setInterval(beat, Math.max(1000, (d.leaseSeconds * 1000) / 3));
  await mkdir(d.tmpDir, { recursive: true });
  const out = join(d.tmpDir, `${row.id}-${owner}.mp4`);
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
    clearInterval(timer);
    await beating;
    if (local.signal.aborted) {
      if (signal.aborted) throw signal.reason;
      return;
    }
    await complete(d, owner, row, out);
  } catch (err) {
    if (local.signal.aborted && !signal.aborted) return; // canceled or taken over: stop quietly
    throw err;
  } finally {
    clearInterval(timer);
    signal.removeEventListener('abort', onOuterAbort);
    await rm(out, { force: true });
  }
}

async function toRunning(d: RunnerDeps, id: string, owner: string, taskId: string | undefined): Promise<JobRow | null> {
  return d.db.tx(async (q) => {
    const r = await transition(q, id, 'submitting', 'running', { upstream_task_id: taskId, attempts: 0 }, owner);
    if (r) await d.events.record(q, r, 'progress');
    return r;
  });
}

async function runRemote(d: RunnerDeps, owner: string, row: JobRow, provider: RemoteProvider, signal: AbortSignal): Promise<void> {
  const model = findModel(row.model)!;
  let current: JobRow | null = row;
  if (current.state === 'queued') {
    current = await start(d, row, owner, 'submitting');
    if (!current) return;
  }
  if (current.state === 'submitting') {
    if (!current.upstream_task_id) {
      // The crash window: if we died after MiniMax accepted but before this UPDATE, a second
      // upstream task is created here. It is one statement long; see docs/architecture notes.
      const { taskId } = await provider.submit(providerJob(current), signal);
      current = await toRunning(d, row.id, owner, taskId);
    } else {
      current = await toRunning(d, row.id, owner, undefined);
    }
    if (!current) return;
    await releaseLease(d.db, row.id, owner, new Date(Date.now() + provider.nextPollDelayMs(model, 0)));
    return;
  }
  if (current.state === 'running') {
    const status = await provider.poll(current.upstream_task_id!, signal);
    if (status.state === 'failed') {
      await failJob(d.db, d.events, row.id, owner, status.code, status.message);
      return;
    }
    if (status.state !== 'succeeded') {
      if (status.state === 'running' && status.progress !== undefined) {
        const stepBefore = { value: Math.floor(current.progress / PROGRESS_STEP) };
        await reportProgress(d, current, owner, Math.min(95, Math.round(status.progress)), stepBefore);
      }
      const polls = current.attempts + 1;
      await releaseLease(d.db, row.id, owner, new Date(Date.now() + provider.nextPollDelayMs(model, polls)), polls);
      return;
    }
    current = await transition(d.db, row.id, 'running', 'finalizing', { upstream_file_ref: status.fileRef }, owner);
    if (!current) return;
  }
  if (current.state === 'finalizing' && current.upstream_file_ref) {
    await mkdir(d.tmpDir, { recursive: true });
    const out = join(d.tmpDir, `${row.id}-${owner}.mp4`);
    try {
      await pipeline(await provider.download(current.upstream_file_ref, signal), createWriteStream(out));
      await complete(d, owner, current, out);
    } finally {
      await rm(out, { force: true });
    }
  }
}
