import type { Queryable } from '../db/index.js';
import type { JobRow } from './types.js';

export type JobEventType = 'progress' | 'completed' | 'failed' | 'canceled';

/**
 * Told about a job's state changes INSIDE the transaction that made them, so that what it writes
 * (a webhook outbox row) commits or rolls back with the change itself: a crash can delay an event,
 * never lose one or invent one.
 */
export interface JobEventSink {
  record(q: Queryable, job: JobRow, type: JobEventType): Promise<void>;
}

export const noJobEvents: JobEventSink = { record: async () => {} };

/** Progress is reported in these steps, so a render does not become a hundred webhooks. */
export const PROGRESS_STEP = 25;
