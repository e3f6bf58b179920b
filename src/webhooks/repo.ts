/**
 * The SQL of the webhook outbox, one function per operation. Deliveries are claimed like jobs
 * (one UPDATE over a `FOR UPDATE SKIP LOCKED` subquery, with a lease), so any number of dispatcher
 * processes can share the table and a dead one's claims lapse. Whatever touches both a delivery
 * and its job locks the job row first, the order the job's own transactions use.
 */
import type { Queryable } from '../db/index.js';
import type { KeyMode } from '../billing/index.js';
import type { JobEventType, WebhookStatus } from '../jobs/index.js';

export type DeliveryState = 'pending' | 'delivered' | 'failed' | 'skipped';
export type AttemptOutcome = 'delivered' | 'retry' | 'gave_up' | 'disabled' | 'interrupted';

export interface DeliveryRow {
  id: string;
  job_id: string;
  account_id: string;
  mode: KeyMode;
  seq: number;
  kind: JobEventType;
  event: string;
  format: string;
  url: string;
  host: string;
  body: string;
  headers: Record<string, string>;
  state: DeliveryState;
  attempts: number;
  next_attempt_at: Date;
  lease_owner: string | null;
  lease_until: Date | null;
  last_status: number | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  delivered_at: Date | null;
}

export interface AttemptRow {
  id: number;
  delivery_id: string;
  attempt: number;
  started_at: Date;
  latency_ms: number;
  status_code: number | null;
  error_kind: string | null;
  error_message: string | null;
  response_body: string | null;
  outcome: AttemptOutcome;
}

/** `$n` milliseconds as an interval, for `now() + …` (the database clock decides what is due). */
const ms = (n: number): string => `($${n}::double precision * interval '1 millisecond')`;

/**
 * Appends one event to a job's outbox. `seq` is the next number for the job: the caller holds the
 * job row's lock (its state change just updated it), so two events of one job cannot take the same
 * number, and UNIQUE (job_id, seq) would refuse it if they did.
 */
export async function insertDelivery(
  q: Queryable,
  d: { id: string; jobId: string; accountId: string; mode: KeyMode; kind: JobEventType; event: string; format: string; url: string; host: string; body: string; headers: Record<string, string>; delayMs: number },
): Promise<void> {
  await q.query(
    `INSERT INTO webhook_deliveries (id, job_id, account_id, mode, seq, kind, event, format, url, host, body, headers, next_attempt_at)
     VALUES ($1, $2, $3, $12, (SELECT COALESCE(max(seq), 0) + 1 FROM webhook_deliveries WHERE job_id = $2), $4, $5, $6, $7, $8, $9, $10, now() + ${ms(11)})`,
    [d.id, d.jobId, d.accountId, d.kind, d.event, d.format, d.url, d.host, d.body, JSON.stringify(d.headers), d.delayMs, d.mode],
  );
}

/**
 * Recomputes `jobs.webhook_status` from the job's deliveries: failed if the endpoint was disabled
 * or any delivery gave up; else pending while any is undelivered; else delivered. Call with the
 * job row locked, so a concurrent event cannot be missed by this snapshot.
 */
export async function refreshWebhookStatus(q: Queryable, jobId: string): Promise<WebhookStatus | null> {
  const { rows } = await q.query<{ webhook_status: WebhookStatus | null }>(
    `UPDATE jobs SET webhook_status = CASE WHEN webhook_disabled_at IS NOT NULL THEN 'failed' ELSE (
        SELECT CASE WHEN bool_or(state IN ('failed', 'skipped')) THEN 'failed'
                    WHEN bool_or(state = 'pending') THEN 'pending'
                    WHEN count(*) > 0 THEN 'delivered' END
          FROM webhook_deliveries WHERE job_id = $1) END
      WHERE id = $1 RETURNING webhook_status`,
    [jobId],
  );
  return rows[0]?.webhook_status ?? null;
}

/** Takes the job row's lock (see the module comment) and tells whether the job still exists. */
export async function lockJob(q: Queryable, jobId: string): Promise<boolean> {
  const { rows } = await q.query('SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE', [jobId]);
  return rows.length > 0;
}

/**
 * Claims up to `limit` due deliveries for `owner`, counting the attempt now (a worker that dies
 * mid-delivery has still spent one). A delivery is due only when no earlier event of its job is
 * still pending, which is what keeps each job's events in order across processes. Hosts already
 * at their concurrency cap in this process are left for later.
 */
export async function claimDeliveries(
  q: Queryable,
  a: { owner: string; leaseMs: number; limit: number; excludeHosts: readonly string[] },
): Promise<DeliveryRow[]> {
  if (a.limit <= 0) return [];
  const { rows } = await q.query<DeliveryRow>(
    `UPDATE webhook_deliveries SET lease_owner = $1, lease_until = now() + ${ms(2)}, attempts = attempts + 1, updated_at = now()
      WHERE id IN (
        SELECT d.id FROM webhook_deliveries d
         WHERE d.state = 'pending' AND d.next_attempt_at <= now()
           AND (d.lease_until IS NULL OR d.lease_until < now())
           AND NOT (d.host = ANY($4::text[]))
           AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.job_id = d.job_id AND e.seq < d.seq AND e.state = 'pending')
         ORDER BY d.next_attempt_at, d.seq
         LIMIT $3
         FOR UPDATE SKIP LOCKED)
      RETURNING *`,
    [a.owner, a.leaseMs, a.limit, a.excludeHosts],
  );
  return rows;
}

/** Gives back a claim that was never attempted (its host filled up meanwhile), uncounted. */
export async function unclaim(q: Queryable, id: string, owner: string): Promise<void> {
  await q.query(
    'UPDATE webhook_deliveries SET lease_owner = NULL, lease_until = NULL, attempts = attempts - 1 WHERE id = $1 AND lease_owner = $2',
    [id, owner],
  );
}

/** When the next claimable delivery falls due (ignoring ones held back behind an earlier event). */
export async function nextDeliveryDueAt(q: Queryable): Promise<Date | null> {
  const { rows } = await q.query<{ t: Date | null }>(
    `SELECT min(GREATEST(d.next_attempt_at, COALESCE(d.lease_until, d.next_attempt_at))) AS t
       FROM webhook_deliveries d
      WHERE d.state = 'pending'
        AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.job_id = d.job_id AND e.seq < d.seq AND e.state = 'pending')`,
  );
  return rows[0]?.t ?? null;
}

export interface AttemptRecord {
  startedAt: Date;
  latencyMs: number;
  statusCode: number | null;
  errorKind: string | null;
  errorMessage: string | null;
  responseBody: string | null;
  outcome: AttemptOutcome;
  /** For `retry`: how long until the next attempt. */
  retryInMs?: number;
}

const NEXT_STATE: Record<AttemptOutcome, DeliveryState> = {
  delivered: 'delivered',
  retry: 'pending',
  gave_up: 'failed',
  disabled: 'failed',
  interrupted: 'pending',
};

/**
 * Logs one attempt and moves its delivery on, in one transaction. The update only applies while
 * `owner` still holds the claim it attempted (same lease, same attempt count); otherwise another
 * worker has taken over and this result is only logged. A 410 also disables the job's endpoint
 * and skips its other pending events. Returns whether the delivery was moved.
 */
export async function settleAttempt(q: Queryable, row: DeliveryRow, owner: string, rec: AttemptRecord): Promise<boolean> {
  if (!(await lockJob(q, row.job_id))) return false;
  await q.query(
    `INSERT INTO webhook_attempts (delivery_id, job_id, attempt, worker, started_at, latency_ms, status_code, error_kind, error_message, response_body, outcome)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [row.id, row.job_id, row.attempts, owner, rec.startedAt, rec.latencyMs, rec.statusCode, rec.errorKind, rec.errorMessage, rec.responseBody, rec.outcome],
  );
  const moved = await q.query(
    `UPDATE webhook_deliveries
        SET state = $4::text, attempts = attempts - $5, next_attempt_at = now() + ${ms(6)},
            lease_owner = NULL, lease_until = NULL, last_status = $7, last_error = $8, updated_at = now(),
            delivered_at = CASE WHEN $4::text = 'delivered' THEN now() ELSE delivered_at END
      WHERE id = $1 AND lease_owner = $2 AND attempts = $3`,
    [
      row.id,
      owner,
      row.attempts,
      NEXT_STATE[rec.outcome],
      // An attempt cut short by our own shutdown is not the receiver's fault: it is not counted.
      rec.outcome === 'interrupted' ? 1 : 0,
      rec.retryInMs ?? 0,
      rec.statusCode,
      rec.errorKind ? `${rec.errorKind}: ${rec.errorMessage ?? ''}`.slice(0, 500) : null,
    ],
  );
  if (moved.rowCount === 0) return false;
  if (rec.outcome === 'disabled') {
    await q.query('UPDATE jobs SET webhook_disabled_at = now() WHERE id = $1', [row.job_id]);
    await q.query(`UPDATE webhook_deliveries SET state = 'skipped', updated_at = now() WHERE job_id = $1 AND state = 'pending'`, [row.job_id]);
  }
  await refreshWebhookStatus(q, row.job_id);
  return true;
}

/** A job's deliveries in event order, and every attempt made, oldest first. */
export async function deliveryLog(q: Queryable, jobId: string): Promise<{ deliveries: DeliveryRow[]; attempts: AttemptRow[] }> {
  const { rows: deliveries } = await q.query<DeliveryRow>('SELECT * FROM webhook_deliveries WHERE job_id = $1 ORDER BY seq', [jobId]);
  const { rows: attempts } = await q.query<AttemptRow>('SELECT * FROM webhook_attempts WHERE job_id = $1 ORDER BY id', [jobId]);
  return { deliveries, attempts };
}

/**
 * Queues every event of a job again with a fresh attempt budget (same ids, same bodies) and
 * re-enables an endpoint disabled by 410. Refused while a delivery is in flight, so a redelivered
 * earlier event can never overtake one being sent. Call inside a transaction.
 */
export async function requeueJob(q: Queryable, jobId: string): Promise<{ requeued: number } | 'in_flight'> {
  await lockJob(q, jobId);
  const { rows } = await q.query('SELECT 1 FROM webhook_deliveries WHERE job_id = $1 AND lease_until > now() LIMIT 1', [jobId]);
  if (rows.length > 0) return 'in_flight';
  const res = await q.query(
    `UPDATE webhook_deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(), lease_owner = NULL, lease_until = NULL, updated_at = now()
      WHERE job_id = $1`,
    [jobId],
  );
  await q.query('UPDATE jobs SET webhook_disabled_at = NULL WHERE id = $1', [jobId]);
  await refreshWebhookStatus(q, jobId);
  return { requeued: res.rowCount };
}
