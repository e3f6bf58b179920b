-- Remote providers (MiniMax first): poll bookkeeping, a request budget every worker process
-- shares, and provider health seen by API and worker processes alike.

-- Status polls made for a job so far; the poll schedule backs off by it. `attempts` keeps meaning
-- "consecutive retryable failures", so a long generation no longer looks like a failing one.
ALTER TABLE jobs ADD COLUMN upstream_polls integer NOT NULL DEFAULT 0;

-- A provider callback names a task id; this finds its job without scanning every running job.
CREATE INDEX jobs_upstream_task ON jobs (provider, upstream_task_id) WHERE upstream_task_id IS NOT NULL;

-- One row per provider and bucket ('submit', 'status'). Admission locks the provider's rows, so
-- every process takes turns; `blocked_until` follows an upstream rate-limit answer; `next_slot_at`
-- spaces out the retry times handed to callers that were refused.
CREATE TABLE provider_budgets (
  provider text NOT NULL,
  bucket text NOT NULL,
  blocked_until timestamptz,
  next_slot_at timestamptz,
  PRIMARY KEY (provider, bucket)
);

-- A sliding log of upstream calls. A call counts against the rate until a window after it ENDED
-- (`ended_at`: its answer arrived, so the upstream saw it earlier), and against the concurrency
-- limit until `done_at`; a call of a crashed process stops counting at `expires_at`.
CREATE TABLE provider_calls (
  id bigserial PRIMARY KEY,
  provider text NOT NULL,
  bucket text NOT NULL,
  started_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  ended_at timestamptz,
  done_at timestamptz
);
CREATE INDEX provider_calls_recent ON provider_calls (provider, started_at);

-- A provider that answered "bad key" or "no balance" rests until `unhealthy_until`: routing skips
-- it and queued jobs wait instead of burning attempts.
CREATE TABLE provider_health (
  provider text PRIMARY KEY,
  unhealthy_until timestamptz NOT NULL,
  reason text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
