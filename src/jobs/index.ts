export { JobService, redactDataUris, type SubmitOptions, type ListOptions } from './service.js';
export { Worker, type WorkerOptions } from './worker.js';
export { Wakeup } from './wakeup.js';
export { sweep } from './sweeper.js';
export { failJob } from './runner.js';
export { LIVE_STATES, FINAL_STATES, type Job, type JobState, type JobInput, type JobResult } from './types.js';
export { noJobEvents, PROGRESS_STEP, type JobEventSink, type JobEventType } from './events.js';
export { rowToJob, type JobRow, type WebhookStatus } from './types.js';
