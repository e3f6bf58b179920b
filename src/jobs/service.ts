import { Readable } from 'node:stream';
import type { Db, Queryable } from '../db/index.js';
import { AppError } from '../errors.js';
import { findModel, priceOf, type GenerateDraft, type ModelSpec, type PriceBook, type RuleWording } from '../catalog/index.js';
import { readWallets, releaseCredits, type Scope } from '../billing/index.js';
import type { ProviderRegistry } from '../providers/index.js';
import type { BlobStore } from '../storage/index.js';
import { loadImageInput, type UrlPolicy } from '../media/image.js';
import { isUuid, newJobId } from '../ids.js';
import { getJobRow, transition } from './repo.js';
import { FINAL_STATES, LIVE_STATES, rowToJob, type Job, type JobInput, type JobRow, type JobState } from './types.js';
import type { Wakeup } from './wakeup.js';
import type { JobEventSink } from './events.js';
import { prepareSubmit, validated, type SubmitOptions } from './submit.js';
import type { JobViews } from './views.js';

export interface ListOptions {
  states?: JobState[] | undefined;
  model?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

const IDEMPOTENCY_TTL_MS = 24 * 3600 * 1000;

/** Shortens data URIs so that stored and displayed inputs stay small. */
export function redactDataUris(value: unknown): unknown {
  if (typeof value === 'string' && value.startsWith('data:') && value.length > 64) {
    return `${value.slice(0, value.indexOf(',') + 1)}…(${value.length} chars)`;
  }
  if (Array.isArray(value)) return value.map(redactDataUris);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDataUris(v)]));
  }
  return value;
}

/**
 * Submit, read, list and cancel jobs. Everything here is dialect-neutral: dialects translate their
 * requests into `GenerateRequest` and render `Job` back into their words.
 */
export class JobService {
  constructor(
    private readonly deps: {
      db: Db;
      blobs: BlobStore;
      providers: ProviderRegistry;
      prices: PriceBook;
      wakeup: Wakeup;
      urlPolicy: UrlPolicy;
      events: JobEventSink;
      /** Told when asking an upstream to stop a canceled job's task failed (for the log). */
      onUpstreamCancelError?: ((provider: string, taskId: string, err: unknown) => void) | undefined;
      /** Job reads answered from memory, kept fresh by the jobs' own change notifications. */
      views?: JobViews | undefined;
      /** Throws `url_not_allowed` (details under `field`) unless webhooks may go to `url`. */
      checkWebhookUrl: (url: string, field: string) => Promise<void>;
      /** The sweeper's deadline for a model's jobs; the catalog's default when not given. */
      deadlineSeconds?: (model: ModelSpec) => number;
    },
  ) {}

  /**
   * The price of a request, without submitting it; a 400 in the caller's words when it is invalid.
   *
   * @example
   * jobs.quote({ model: 'hailuo-2.3', prompt: 'x' }, APIFRAME_WORDING); // 48
   */
  quote(draft: GenerateDraft, wording: RuleWording, priceList?: string): number {
    const request = validated(draft, wording);
    return priceOf(this.deps.prices, request.model, request.resolution, request.durationSeconds, priceList);
  }

  /**
   * Validates, vets the image, holds the price and queues the job, all or nothing. The hold and the
   * job row are written in one transaction: there is no moment where one exists without the other.
   */
  async submit(o: SubmitOptions): Promise<{ job: Job; replayed: boolean }> {
    const { db, blobs } = this.deps;
    const { request, price, idempotencyKey, requestHash } = prepareSubmit(o, this.deps.prices);
    const model = findModel(request.model)!;
    const scope: Scope = o.principal;
    // A replay first: its URL was checked when the job was made, and a retry whose DNS now fails
    // once answered 400 "does not resolve" for a job that existed and was charged.
    if (idempotencyKey) {
      const prior = await this.findIdempotent(db, scope, idempotencyKey, requestHash);
      if (prior) return { job: prior, replayed: true };
    }
    // Before anything is stored or held: a refused URL creates and charges nothing.
    if (o.webhook) await this.deps.checkWebhookUrl(o.webhook.url, o.webhook.field);

    const provider = this.deps.providers.pick(model.id, o.principal.mode);
    const id = newJobId();
    let image: JobInput['image'] = null;
    if (request.image) {
      const loaded = await loadImageInput(request.image, { fieldPath: o.wording.paths.image, policy: this.deps.urlPolicy });
      const key = `jobs/${id}/input.${loaded.info.format === 'jpeg' ? 'jpg' : loaded.info.format}`;
      await blobs.putStream(key, Readable.from([loaded.bytes]), loaded.info.mime);
      image = {
        source: loaded.sourceKind === 'data' ? 'data-uri' : request.image,
        key,
        width: loaded.info.width,
        height: loaded.info.height,
        mime: loaded.info.mime,
        bytes: loaded.info.bytes,
      };
    }
    const input: JobInput = {
      ...request,
      image,
      original: redactDataUris(o.original) as Record<string, unknown>,
    };

    try {
      // One statement, one round trip: job row, hold and ledger row (010_submit.sql). The workers'
      // NOTIFY goes after the commit, coalesced (Wakeup.nudge): inside, it serialised submits.
      const { rows } = await db.query<JobRow>('SELECT * FROM reelay_submit($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)', [
        id,
        scope.accountId,
        o.principal.keyId,
        scope.mode,
        o.dialect,
        model.id,
        JSON.stringify(input),
        price,
        provider,
        this.deps.deadlineSeconds?.(model) ?? model.deadlineSeconds,
        o.webhook?.url ?? null,
        o.webhook?.events ?? null,
        idempotencyKey,
        requestHash,
        false,
      ]);
      const row = rows[0];
      if (row) {
        this.deps.wakeup.nudge();
        return { job: rowToJob(row), replayed: false };
      }
      await blobs.deletePrefix(`jobs/${id}`);
      // Nothing inserted: the Idempotency-Key was taken (replay), or the credits fell short.
      const prior = idempotencyKey ? await this.findIdempotent(db, scope, idempotencyKey, requestHash) : null;
      if (prior) return { job: prior, replayed: true };
      const wallet = (await readWallets(db, scope.accountId)).find((w) => w.mode === scope.mode);
      throw new AppError('insufficient_credits', 'Insufficient credits', {
        extra: { creditsRequired: price, creditsAvailable: wallet?.available ?? 0 },
      });
    } catch (err) {
      await blobs.deletePrefix(`jobs/${id}`).catch(() => {});
      throw err;
    }
  }

  /**
   * The job once it is final, or as it stands when `timeoutMs` passes or `signal` aborts: the
   * wait of `Prefer: wait=N` and WaveSpeed's sync mode. Waiting costs no database work (the views
   * are woken by the job's own change notifications); without views the job is returned as is.
   *
   * @example
   * const done = await jobs.waitForFinal(job, 30_000, req.raw.signal);
   */
  async waitForFinal(job: Job, timeoutMs: number, signal?: AbortSignal): Promise<Job> {
    const views = this.deps.views;
    if (!views || timeoutMs <= 0) return job;
    const deadline = Date.now() + timeoutMs;
    let view = await views.get(job.id);
    while (view && !FINAL_STATES.includes(view.job.state) && Date.now() < deadline && !signal?.aborted) {
      view = await views.waitForChange(job.id, view.version, deadline - Date.now(), signal);
    }
    return view?.job ?? job;
  }

  /**
   * Same key + same canonical request → the original job; same key + another request → 409;
   * expired keys are freed. Keys are scoped to (account, mode, key): a live submit never replays a
   * test job (a sandbox render answered to a live customer, charged nothing).
   */
  private async findIdempotent(q: Queryable, scope: Scope, key: string, requestHash: string): Promise<Job | null> {
    const { rows } = await q.query<JobRow & { request_hash: string }>(
      'SELECT * FROM jobs WHERE account_id = $1 AND mode = $2 AND idempotency_key = $3',
      [scope.accountId, scope.mode, key],
    );
    const prior = rows[0];
    if (!prior) return null;
    if (Date.now() - prior.created_at.getTime() > IDEMPOTENCY_TTL_MS) {
      await q.query('UPDATE jobs SET idempotency_key = NULL WHERE id = $1', [prior.id]);
      return null;
    }
    if (prior.request_hash !== requestHash) {
      throw new AppError('conflict', 'This Idempotency-Key was already used with a different request; use a new key for a new request');
    }
    return rowToJob(prior);
  }

  /**
   * A job of this account and mode, or 404 — also for another account's job or one of the other
   * mode: nobody learns it exists.
   */
  async get(scope: Scope, id: string): Promise<Job> {
    if (!isUuid(id)) throw new AppError('not_found', 'Job not found');
    let job: Job | null;
    if (this.deps.views) job = (await this.deps.views.get(id))?.job ?? null;
    else {
      const row = await getJobRow(this.deps.db, id.toLowerCase());
      job = row ? rowToJob(row) : null;
    }
    if (!job || job.accountId !== scope.accountId || job.mode !== scope.mode) throw new AppError('not_found', 'Job not found');
    return job;
  }

  /** Newest first, with an opaque cursor. */
  async list(scope: Scope, o: ListOptions): Promise<{ jobs: Job[]; nextCursor: string | null }> {
    const params: unknown[] = [scope.accountId, scope.mode];
    let where = 'account_id = $1 AND mode = $2';
    if (o.states?.length) {
      params.push(o.states);
      where += ` AND state = ANY($${params.length}::text[])`;
    }
    if (o.model) {
      params.push(o.model);
      where += ` AND model = $${params.length}`;
    }
    if (o.cursor) {
      const { at, id } = parseCursor(o.cursor);
      params.push(at, id);
      where += ` AND (created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`;
    }
    params.push(o.limit + 1);
    // The cursor carries created_at to the microsecond as PostgreSQL keeps it: a JS Date holds
    // milliseconds only, and rows of the same millisecond as a page's last one were skipped.
    const { rows } = await this.deps.db.query<JobRow & { cursor_at: string }>(
      `SELECT *, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
         FROM jobs WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, o.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > o.limit && last ? Buffer.from(`${last.cursor_at}|${last.id}`).toString('base64url') : null;
    return { jobs: page.map(rowToJob), nextCursor };
  }

  /** Fire and forget: the customer's cancel is done; a failed upstream cancel only costs the operator. */
  private cancelUpstream(providerName: string, taskId: string): void {
    const p = this.deps.providers.names().includes(providerName) ? this.deps.providers.get(providerName) : null;
    if (p?.kind !== 'remote' || !p.cancel) return;
    p.cancel(taskId, AbortSignal.timeout(UPSTREAM_CANCEL_TIMEOUT_MS)).catch((err: unknown) => this.deps.onUpstreamCancelError?.(providerName, taskId, err));
  }

  /**
   * Cancels a job that has not finished. Queued work is dropped and its hold released at once; a
   * render in progress stops within a second. A job already sent upstream is released for the
   * customer; the upstream is asked to stop the task where it has a cancel call (WaveSpeed, fal,
   * Replicate), best effort after the commit. MiniMax has none: that upstream cost is the operator's.
   */
  async cancel(scope: Scope, id: string): Promise<{ job: Job; canceled: boolean }> {
    const job = await this.get(scope, id);
    if (!LIVE_STATES.includes(job.state)) return { job, canceled: false };
    const row = await this.deps.db.tx(async (q) => {
      const r = await transition(q, job.id, LIVE_STATES, 'canceled', {
        error_code: 'canceled',
        error_message: 'Canceled by the caller',
        completed_at: new Date(),
      });
      if (r) {
        await releaseCredits(q, job.id, `account:${scope.accountId}`, 'job canceled');
        await this.deps.events.record(q, r, 'canceled');
      }
      return r;
    });
    // Read it back (the event sink may have changed columns after the swap), not from a view
    // cached before this commit: on a server our own NOTIFY can arrive after COMMIT returns.
    this.deps.views?.invalidate(job.id);
    if (row && job.upstreamTaskId && job.provider) this.cancelUpstream(job.provider, job.upstreamTaskId);
    return { job: await this.get(scope, job.id), canceled: row !== null };
  }
}

const UPSTREAM_CANCEL_TIMEOUT_MS = 10_000;

const CURSOR_AT = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

/**
 * A list cursor as `nextCursor` made it, or a 400: a cursor is `<ISO time, µs>|<uuid>` in
 * base64url, and anything else (a bad UUID, a date PostgreSQL cannot hold) is the caller's
 * mistake, not a 500. The time goes to SQL as the text it is, so no precision is lost.
 */
function parseCursor(cursor: string): { at: string; id: string } {
  const [at, id, extra] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const m = CURSOR_AT.exec(at ?? '');
  const year = Number(m?.[1]);
  if (extra !== undefined || !m || !id || !isUuid(id) || Number.isNaN(Date.parse(at!)) || year < 2000 || year > 9999) {
    throw new AppError('validation_error', 'Invalid cursor: pass nextCursor from the previous page unchanged', {
      fields: { cursor: ['Invalid cursor'] },
    });
  }
  return { at: at!, id: id.toLowerCase() };
}
