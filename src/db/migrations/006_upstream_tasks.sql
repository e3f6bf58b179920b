-- Paid upstream work is never lost to our own faults (issue 11 §3, issue 12 "says why").

-- Every create call that may have reached an upstream, one row each, written BEFORE the call is
-- sent ('pending') and settled after it: 'accepted' with the task id, or 'ambiguous' when we cannot
-- know whether the upstream made a task (timeout after the body was sent, 5xx, 200 without a task
-- id, the worker stopped or died mid-call). A create the upstream plainly refused (429, bad key,
-- DNS failure) is deleted: it made nothing. `possible_duplicate_of` points at the ambiguous create
-- that this one resubmitted after: the operator reconciles those pairs with the upstream console.
CREATE TABLE upstream_submits (
  id bigserial PRIMARY KEY,
  job_id uuid NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  provider text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('pending', 'accepted', 'ambiguous')),
  task_id text,
  detail text,
  possible_duplicate_of bigint REFERENCES upstream_submits (id),
  sent_at timestamptz NOT NULL DEFAULT now(),
  settled_at timestamptz
);
CREATE INDEX upstream_submits_job ON upstream_submits (job_id);
CREATE INDEX upstream_submits_duplicates ON upstream_submits (provider) WHERE possible_duplicate_of IS NOT NULL;

-- Why a live job is waiting, while it retries ("MiniMax unreachable (api.minimax.io: DNS lookup
-- failed), retrying, attempt 3 of 8"); cleared when the job makes progress.
ALTER TABLE jobs ADD COLUMN status_reason text;

-- Downloads of a finished task whose file could not be read as a video, fetched afresh each time;
-- after a few the upstream's file is taken to be bad (our own faults never count here).
ALTER TABLE jobs ADD COLUMN unreadable_downloads integer NOT NULL DEFAULT 0;

-- The sweeper found this job's upstream task finished at its deadline and gave it one grace period
-- to be delivered; it is never given a second.
ALTER TABLE jobs ADD COLUMN deadline_extended boolean NOT NULL DEFAULT false;
