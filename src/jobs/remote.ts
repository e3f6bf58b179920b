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
import { setTimeout as sleep } from 'node:timers/promises';
import { findModel, type ModelSpec } from '../catalog/index.js';
import { ProviderError, providersTried, recordProviderEvent, type Cooldown, type RemoteProvider } from '../providers/index.js';
import { backoffMs } from '../retry.js';
import { failover, heartbeat, releaseLease, retryLater, schedulePoll, setStatusReason, transition } from './repo.js';
import type { JobRow } from './types.js';
import { complete, failJob, providerJob, reportProgress, start, type RunnerDeps } from './steps.js';
import { UnreadableVideo } from './finalize.js';
import { acceptSubmit, forgetSubmit, markSubmitAmbiguous, prepareCreate } from './submits.js';
import { PROGRESS_STEP } from './events.js';

/** The job row with the poll counter of migration 004, and the due time it was claimed at. */
type RemoteRow = JobRow & { upstream_polls: number; next_run_at: Date };

/** The lease was lost mid-step (canceled, swept, taken over): stop without touching the job. */
class LostLease extends Error {}

/**
 * Trouble on OUR side (storage full or down, the database, a probe that could not run). Never the
 * upstream's verdict: once a task exists it is retried until the deadline. The message is what the
 * job shows while it waits; the cause goes to the log.
 */
class OurFault extends Error {
  override readonly name = 'OurFault';
}

/** Retry backoff for upstream trouble: 2 s, 4 s, 8 s … capped at 2 min, full jitter (retry.ts). */
const RETRY = { baseMs: 2000, capMs: 120_000 } as const;
/** Fresh downloads of a finished task's file that ffprobe must reject before the file is called bad. */
const UNREADABLE_TRIES = 3;
/** Tries to record a task id MiniMax just gave us (it exists only in memory until this commits). */
const RECORD_TASK_TRIES = 5;

/** `minimax` → `MiniMax`, for the reasons a job shows. */
function label(provider: RemoteProvider | string): string {
  const name = typeof provider === 'string' ? provider : provider.name;
  return name === 'minimax' ? 'MiniMax' : name;
}

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
  if (rest) return waitOut(d, owner, at.row, provider, rest);

  if (at.row.state === 'queued') {
    const started = await start(d, at.row, owner, 'submitting');
    if (!started) return;
    at.row = started as RemoteRow;
  }
  if (at.row.state === 'submitting') {
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
async function waitOut(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, rest: Cooldown): Promise<void> {
  if (row.state === 'queued' && !row.upstream_task_id && (await moveOn(d, owner, row, provider, `${label(provider)} is paused`))) return;
  // Spread the return over up to 30 s so that the jobs parked on one rest do not all wake together.
  const spread = Math.random() * Math.min(30_000, Math.max(0, rest.until - Date.now()));
  const reason = `${label(provider)} is paused until ${new Date(rest.until).toISOString()} after: ${rest.reason.replace(/^[a-z_]+: /, '')}`;
  await setStatusReason(d.db, row.id, reason);
  await releaseLease(d.db, row.id, owner, new Date(rest.until + spread));
}

/**
 * Sends the create, at most twice in the job's life when the first one's outcome is unknown (to the
 * same provider, or the next of the route after a failover): each create is recorded before it is
 * sent, so a crash mid-call leaves a trace, and a resubmit after an ambiguous one is logged,
 * counted and listed for the operator as a possible duplicate.
 */
async function submit(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, model: ModelSpec, signal: AbortSignal): Promise<void> {
  let taskId = row.upstream_task_id;
  let submitId: number | null = null;
  let createStartedAt: number | null = null;
  const plan = taskId ? null : await prepareCreate(d.db, row.id, provider.name);
  const orphan = plan?.unattached.filter((s) => s.provider === provider.name).at(-1);
  if (orphan?.taskId) {
    // An earlier attempt made this task but lost the job before recording it on the job: adopt
    // it. Sending again would make a second task, paid for upstream and collected by nobody.
    d.log.warn({ jobId: row.id, provider: provider.name, taskId: orphan.taskId, create: orphan.id }, 'adopting the upstream task an earlier attempt created but did not attach');
    taskId = orphan.taskId;
  }
  if (!taskId) {
    const unknown = plan?.unknown ?? [];
    if (plan?.pendingId == null) {
      // Two creates with unknown outcome already: prepareCreate recorded no third.
      d.log.error({ jobId: row.id, provider: provider.name, creates: unknown.map((u) => ({ id: u.id, detail: u.detail })) }, 'two creates with unknown outcome: the job is not sent a third time');
      // The two creates may have gone to two providers (a failover after the first): name each.
      const where = [...new Set(unknown.map((u) => u.provider))].map(label);
      const msg = `${where.join(' then ')} did not confirm the task after two attempts${where.length === 1 ? ` (${provider.host ?? provider.name})` : ''}; it was not sent a third time so that it cannot be paid twice`;
      await failJob(d.db, d.events, row.id, owner, 'upstream_error', msg);
      return;
    }
    const duplicateOf = unknown.at(-1) ?? null;
    submitId = plan.pendingId;
    createStartedAt = Date.now();
    try {
      taskId = (await whileLeased(d, row, owner, signal, (s) => provider.submit(providerJob(row), s))).taskId;
    } catch (err) {
      const cutOff = signal.aborted || err instanceof LostLease;
      const id = submitId;
      const settle = cutOff || (err instanceof ProviderError && err.opts.ambiguous === true)
        ? markSubmitAmbiguous(d.db, id, cutOff ? 'the create call was cut off (worker stopping or lease lost)' : (err as Error).message)
        : forgetSubmit(d.db, id);
      // If even this write fails, the row stays `pending` and the next claim counts it as ambiguous.
      await settle.catch((e: unknown) => d.log.warn({ jobId: row.id, err: e }, 'could not settle the create record'));
      throw err;
    }
    if (duplicateOf) {
      d.log.warn(
        { jobId: row.id, provider: provider.name, taskId, earlierCreate: { id: duplicateOf.id, taskId: duplicateOf.taskId, detail: duplicateOf.detail } },
        'possible duplicate upstream task: resubmitted after a create with unknown outcome',
      );
    }
  }
  const accepted = taskId;
  const firstPoll = new Date(Date.now() + provider.nextPollDelayMs(model, 0));
  await recordTask(d, row, provider, accepted, async () =>
    d.db.tx(async (q) => {
      if (submitId !== null) await acceptSubmit(q, submitId, accepted);
      const r = await transition(q, row.id, 'submitting', 'running', { upstream_task_id: accepted, attempts: 0, upstream_polls: 0 }, owner);
      if (r && createStartedAt !== null) {
        await recordProviderEvent(q, { provider: provider.name, model: row.model, jobId: row.id, event: 'accepted', ms: Date.now() - createStartedAt });
      }
      // Canceled while submitting: the upstream task runs on at the operator's cost. Lease lost
      // to another worker: the create stays `accepted` with its task id, and that worker adopts it.
      if (!r) return;
      await d.events.record(q, r, 'progress');
      await releaseLease(q, row.id, owner, firstPoll);
    }),
  );
}

/**
 * A task id just created exists only in this process until it commits: a database hiccup must not
 * lose it (the job would be sent again). Retries briefly; if the database stays down, the id is
 * logged for the operator and the create's record stays `pending` (counted as ambiguous later).
 */
async function recordTask(d: RunnerDeps, row: RemoteRow, provider: RemoteProvider, taskId: string, write: () => Promise<void>): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (i >= RECORD_TASK_TRIES) {
        d.log.error({ jobId: row.id, provider: provider.name, taskId, err }, 'upstream task created but not recorded: the job may be sent again (reconcile this task id)');
        throw new OurFault('Recording the upstream task failed on our side', { cause: err });
      }
      d.log.warn({ jobId: row.id, taskId, attempt: i, err }, 'recording the upstream task id failed; retrying');
      await sleep(250 * 2 ** i);
    }
  }
}

/** One status poll. Returns the job in `finalizing` when the video is ready, else null. */
async function poll(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, model: ModelSpec, signal: AbortSignal): Promise<RemoteRow | null> {
  if (!row.upstream_task_id) throw new ProviderError('internal', 'A running job has no upstream task id', false);
  const taskId = row.upstream_task_id;
  const status = await whileLeased(d, row, owner, signal, (s) => provider.poll(taskId, s));
  const polls = row.upstream_polls + 1;
  const sinceStart = row.started_at ? Date.now() - row.started_at.getTime() : null;
  if (status.state === 'failed') {
    if (await failJob(d.db, d.events, row.id, owner, status.code, status.message)) {
      await recordProviderEvent(d.db, { provider: provider.name, model: row.model, jobId: row.id, event: 'failed', errorClass: status.code, ms: sinceStart });
    }
    return null;
  }
  if (status.state === 'succeeded') {
    // What the upstream charges for this video, from its cost table (margins: src/billing/margins.ts).
    const cost = provider.costUsd(row.model, row.input.resolution, row.input.durationSeconds, row.input.image !== null);
    const next = await d.db.tx(async (q) => {
      const r = await transition(q, row.id, 'running', 'finalizing', { upstream_file_ref: status.fileRef, upstream_polls: polls, attempts: 0, upstream_cost_usd: cost }, owner);
      if (r) await recordProviderEvent(q, { provider: provider.name, model: row.model, jobId: row.id, event: 'succeeded', ms: sinceStart });
      return r;
    });
    return next as RemoteRow | null;
  }
  const progress = status.state === 'running' ? (status.progress ?? estimate(row, provider, model)) : undefined;
  if (progress !== undefined && progress > row.progress) {
    await reportProgress(d, row, owner, progress, { value: Math.floor(row.progress / PROGRESS_STEP) });
  }
  // The claimed due time lets a callback that arrived during this poll keep the job due.
  await schedulePoll(d.db, row.id, owner, new Date(Date.now() + provider.nextPollDelayMs(model, polls)), polls, row.next_run_at);
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
  const out = join(d.tmpDir, `${row.id}-${owner}.mp4`);
  try {
    await mkdir(d.tmpDir, { recursive: true }).catch((err: unknown) => {
      throw new OurFault('Preparing to store the finished video failed on our side', { cause: err });
    });
    await whileLeased(d, row, owner, signal, async (s) => {
      const body = await provider.download(row.upstream_file_ref!, s);
      try {
        await pipeline(body, createWriteStream(out), { signal: s });
      } catch (err) {
        if (s.aborted || err instanceof ProviderError) throw err;
        // Our disk refused the bytes (full, read-only): ours to fix, the file still waits upstream.
        if (typeof (err as { syscall?: unknown }).syscall === 'string') throw new OurFault('Writing the downloaded video failed on our side', { cause: err });
        // Cut mid-body (reset, idle timeout, byte cap): the file still exists upstream; fetch it again.
        d.log.warn({ jobId: row.id, err }, 'download of the finished video was cut off');
        throw new ProviderError('upstream_error', `Downloading the finished video from ${label(provider)} was cut off`, true);
      }
      try {
        await complete(d, owner, row, out);
      } catch (err) {
        if (s.aborted || err instanceof UnreadableVideo) throw err;
        throw new OurFault('Storing the finished video failed on our side', { cause: err });
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
  const everyMs = Math.max(1000, (d.leaseSeconds * 1000) / 3);
  let renewedAt = Date.now();
  const timer = setInterval(() => {
    beating = beating.then(async () => {
      const sentAt = Date.now();
      try {
        if (await heartbeat(d.db, row.id, owner, d.leaseSeconds)) renewedAt = sentAt;
        else local.abort(new LostLease('job is no longer ours'));
      } catch {
        // Our database does not answer, and the lease runs out on its clock all the same. Unless the
        // next renewal is due with half a period to spare, stop now: once the lease is out another
        // worker may claim the job and send the create again while this one still runs. Cut off,
        // the create is recorded as ambiguous. (With a 30 s lease: renewals at 10 s and 20 s
        // fail, the call is cut at 20 s, 10 s before the lease ends.)
        const leftMs = d.leaseSeconds * 1000 - (Date.now() - renewedAt);
        if (leftMs < 1.5 * everyMs) local.abort(new LostLease('the lease could not be renewed: our database did not answer'));
      }
    });
  }, everyMs);
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
 * rate limits and our own budget, which only wait. Once a task exists nothing but the upstream's
 * verdict or the deadline ends the wait: the video is paid for upstream and may still arrive. Our
 * own faults (OurFault, or anything unexpected) are never the upstream's verdict.
 */
async function settleError(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, err: unknown, signal: AbortSignal): Promise<void> {
  if (signal.aborted) {
    // Shutting down: give the job back at once so another worker (or our next start) resumes it.
    await releaseLease(d.db, row.id, owner, new Date());
    return;
  }
  if (err instanceof LostLease) return;
  const sent = row.upstream_task_id !== null;
  const later = (delay = backoffMs(row.attempts, RETRY)) => new Date(Date.now() + delay);
  if (err instanceof UnreadableVideo) return unreadable(d, owner, row, provider, err);
  const pe = err instanceof ProviderError ? err : null;
  if (!pe) {
    const attempts = row.attempts + 1;
    const what = err instanceof OurFault ? err.message : 'A temporary fault on our side';
    d.log.error({ jobId: row.id, state: row.state, attempt: attempts, err: err instanceof OurFault ? err.cause : err }, `${what}; retrying`);
    if (sent || attempts < d.maxAttempts) {
      const reason = sent ? `${what}, retrying, attempt ${attempts}` : `${what}, retrying, attempt ${attempts} of ${d.maxAttempts}`;
      await retryLater(d.db, row.id, owner, { nextRunAt: later(), attempts, reason, requeue: true });
      return;
    }
    await failJob(d.db, d.events, row.id, owner, 'internal', 'Internal error while processing the job; its credits were released');
    return;
  }
  if (pe.opts.markUnhealthy) {
    d.log.error({ provider: provider.name, code: pe.code, reason: pe.message }, 'provider marked unhealthy');
    await d.providers.markUnhealthy(provider.name, `${pe.code}: ${pe.message}`);
  }
  // The upstream answered a create with a refusal: measured for its health, and (unless the
  // refusal is about the request itself, or the create may have been accepted) a reason to move on.
  const refusedCreate = row.state === 'submitting' && !sent && pe.opts.deferred !== true;
  if (refusedCreate) {
    const errorClass = pe.opts.ambiguous ? 'ambiguous' : pe.opts.rateLimited ? 'rate_limited' : pe.code;
    await recordProviderEvent(d.db, { provider: provider.name, model: row.model, jobId: row.id, event: 'refused', errorClass }).catch((e: unknown) =>
      d.log.warn({ jobId: row.id, err: e }, 'could not record the provider event'),
    );
    if (mayMoveOn(pe) && (await moveOn(d, owner, row, provider, `${label(provider)} refused the task (${pe.message})`))) return;
  }
  if (pe.retryable) {
    const waitOnly = pe.opts.deferred === true;
    const attempts = waitOnly ? row.attempts : row.attempts + 1;
    if (sent || waitOnly || pe.opts.rateLimited || attempts < d.maxAttempts) {
      let delay = pe.opts.retryAfterMs ?? backoffMs(row.attempts, RETRY);
      const rest = d.providers.cooldown(provider.name);
      if (rest) delay = Math.max(delay, rest.until - Date.now());
      if (!waitOnly) d.log.warn({ jobId: row.id, state: row.state, code: pe.code, err: pe.message, attempt: attempts, delay }, 'retryable provider error');
      const reason = waitOnly
        ? `Waiting for a free ${label(provider)} request slot (the configured request budget is in use)`
        : pe.opts.rateLimited
          ? pe.message
          : sent
            ? `${pe.message}, retrying, attempt ${attempts}`
            : `${pe.message}, retrying, attempt ${attempts} of ${d.maxAttempts}`;
      await retryLater(d.db, row.id, owner, { nextRunAt: later(delay), attempts, reason, requeue: true });
      return;
    }
    // Out of attempts before any task existed: nothing was made upstream, the customer pays nothing.
    const host = provider.host ?? provider.name;
    const msg = `${pe.message}; gave up after ${attempts} attempts: check that ${host} is reachable from the server`;
    await failJob(d.db, d.events, row.id, owner, pe.code, msg);
    return;
  }
  await failJob(d.db, d.events, row.id, owner, pe.code, pe.message);
}

/**
 * Failover before acceptance: a bad key or an empty balance (the provider rests), a rate limit, a
 * fault that proves the create never arrived (DNS, refused connection), or an ambiguous create
 * (5xx, timeout after sending). An ambiguous create may have made a task upstream, so the job is
 * sent at most once more in its life either way (`submit` counts the creates of unknown outcome
 * across providers); moving on spends that one resubmit where it is likelier to succeed, instead
 * of at the provider that just failed, and it is recorded as a possible duplicate all the same.
 * Never on a refusal of the request itself (invalid parameters, content policy: another upstream
 * would refuse it too, and the customer must hear why).
 */
function mayMoveOn(pe: ProviderError): boolean {
  if (pe.code === 'invalid_params' || pe.code === 'content_policy') return false;
  return pe.opts.markUnhealthy === true || pe.opts.rateLimited === true || pe.retryable;
}

/** Moves the job to the next provider of its route that has not refused it yet; false when none. */
async function moveOn(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, why: string): Promise<boolean> {
  const tried = await providersTried(d.db, row.id);
  const alt = d.providers.fallback(row.model, provider.name, tried);
  if (!alt) return false;
  const moved = await failover(d.db, row.id, owner, alt, `${why}; moved to ${alt}`);
  if (moved) d.log.warn({ jobId: row.id, from: provider.name, to: alt, tried }, 'job failed over to the next provider');
  return moved;
}

/**
 * ffprobe rejected the downloaded file. A cut download can look like that, so the file is fetched
 * afresh a few times; only then is the upstream's file taken to be bad and the job failed.
 */
async function unreadable(d: RunnerDeps, owner: string, row: RemoteRow, provider: RemoteProvider, err: UnreadableVideo): Promise<void> {
  const n = row.unreadable_downloads + 1;
  d.log.warn({ jobId: row.id, taskId: row.upstream_task_id, download: n, detail: err.message.slice(0, 2000) }, 'the downloaded file is not a readable video');
  if (n >= UNREADABLE_TRIES) {
    // The task id is for the operator (logged above), not the customer.
    const msg = `${label(provider)} delivered a file that is not a playable video (${provider.host ?? provider.name}; downloaded ${n} times)`;
    await failJob(d.db, d.events, row.id, owner, 'upstream_error', msg);
    return;
  }
  const reason = `The finished video could not be read; downloading it again, attempt ${n + 1} of ${UNREADABLE_TRIES}`;
  await retryLater(d.db, row.id, owner, { nextRunAt: new Date(Date.now() + backoffMs(n - 1, RETRY)), attempts: row.attempts + 1, reason, requeue: false, unreadableDownloads: n });
}
