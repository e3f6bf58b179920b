/**
 * `Prefer: wait=N` (RFC 7240) on a submit: hold the answer until the job is final or N seconds
 * pass. A preference is a hint, so a malformed one is ignored rather than refused, and N is capped.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Job } from '../jobs/index.js';
import { keyWatch } from './auth.js';
import type { AppDeps } from './context.js';

export const MAX_PREFER_WAIT_SECONDS = 60;

/**
 * Milliseconds the caller prefers to wait, or 0. Sets `Preference-Applied` when honoured.
 *
 * @example
 * preferWaitMs(req, reply); // 'Prefer: respond-async, wait=10' → 10000
 */
export function preferWaitMs(req: FastifyRequest, reply: FastifyReply): number {
  const header = req.headers.prefer;
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  // Any number of digits: a long wait asked for is the longest we hold (it once was ignored past
  // six digits); the cap is applied to the digit count first, so a 10,000-digit N costs nothing.
  const m = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?(?:$|[,;\s])/i.exec(text);
  if (!m) return 0;
  const digits = m[1]!.replace(/^0+(?=\d)/, '');
  const seconds = digits.length > 3 ? MAX_PREFER_WAIT_SECONDS : Math.min(MAX_PREFER_WAIT_SECONDS, Number(digits));
  if (seconds > 0) void reply.header('preference-applied', `wait=${seconds}`);
  return seconds * 1000;
}

const shutdowns = new WeakMap<object, AbortController>();

/**
 * A signal that aborts when the client goes away or the server starts shutting down, so a held
 * submit never keeps a closing server waiting for a job.
 *
 * @example
 * const done = await deps.jobs.waitForFinal(job, ms, waitSignal(req, reply));
 */
export function waitSignal(req: FastifyRequest, reply: FastifyReply): AbortSignal {
  const app = req.server;
  let shutdown = shutdowns.get(app);
  if (!shutdown) {
    const ac = new AbortController();
    shutdowns.set(app, ac);
    shutdown = ac;
  }
  const ac = new AbortController();
  reply.raw.once('close', () => ac.abort());
  const onShutdown = (): void => ac.abort();
  shutdown.signal.addEventListener('abort', onShutdown, { once: true });
  ac.signal.addEventListener('abort', () => shutdown.signal.removeEventListener('abort', onShutdown), { once: true });
  return ac.signal;
}

/** Aborts every held submit of `app` (its `preClose` hook). */
export function abortWaits(app: object): void {
  shutdowns.get(app)?.abort();
}

/**
 * The submitted job once final, or as it stands after `waitMs` (`Prefer: wait=N`, WaveSpeed's
 * sync mode). The wait ends early, answering with the job as submitted, when the caller's key is
 * revoked or its account disabled meanwhile: the submit itself was made with a valid key and its
 * job exists (a 401 now would read as "nothing was created"), but nothing the job became after
 * the key stopped is handed out.
 *
 * @example
 * const now = await waitForSubmitted(deps, req, reply, job, preferWaitMs(req, reply));
 */
export async function waitForSubmitted(deps: AppDeps, req: FastifyRequest, reply: FastifyReply, job: Job, waitMs: number): Promise<Job> {
  if (waitMs <= 0) return job;
  const watch = keyWatch(deps.principals, req, waitSignal(req, reply));
  try {
    const now = await deps.jobs.waitForFinal(job, waitMs, watch.signal);
    return watch.revoked ? job : now;
  } finally {
    watch.dispose();
  }
}
