import type { Db } from '../db/index.js';
import type { BlobStore } from '../storage/index.js';
import type { Logger } from '../log.js';
import { applyMonthlyGrants, pruneRateWindows } from '../billing/index.js';
import { failJob } from './runner.js';
import type { JobEventSink } from './events.js';

/**
 * Housekeeping any worker may run: fail (and refund) jobs past their model's deadline, through the
 * same compare-and-swap as everything else, and delete result files past the retention period.
 */
export async function sweep(d: { db: Db; blobs: BlobStore; log: Logger; retentionHours: number; events: JobEventSink }): Promise<{ timedOut: number; expired: number }> {
  const { rows: late } = await d.db.query<{ id: string }>(
    `SELECT id FROM jobs WHERE state IN ('queued', 'submitting', 'running', 'finalizing') AND deadline_at < now() LIMIT 200`,
  );
  let timedOut = 0;
  for (const { id } of late) {
    if (await failJob(d.db, d.events, id, undefined, 'timeout', 'The job did not finish within its deadline; its credits were released')) timedOut++;
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
  const { granted } = await applyMonthlyGrants(d.db);
  if (granted) d.log.info({ granted }, 'monthly plan grants applied');
  if (timedOut || expired) d.log.info({ timedOut, expired }, 'sweep');
  return { timedOut, expired };
}
