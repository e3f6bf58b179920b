-- Webhooks: a transactional outbox (one row per event, written in the transaction that moved the
-- job), the log of every delivery attempt, and each account's Standard Webhooks signing secret.

-- Summary for `Job.webhookStatus`, kept in step by src/webhooks (NULL: no event has been due yet).
ALTER TABLE jobs ADD COLUMN webhook_status text CHECK (webhook_status IN ('pending', 'delivered', 'failed'));
-- Set when the receiver answered 410 Gone: no further events are written or sent for this job.
ALTER TABLE jobs ADD COLUMN webhook_disabled_at timestamptz;

-- The secret is kept in plaintext because every delivery is signed with it (it is a MAC key, not a
-- password). During a rotation window the previous secret also signs, so receivers can switch over.
CREATE TABLE webhook_secrets (
  account_id text PRIMARY KEY REFERENCES accounts(id),
  secret text NOT NULL,
  previous_secret text,
  previous_expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz
);

CREATE TABLE webhook_deliveries (
  -- whd_…: sent as `webhook-id`, the same on every retry and redelivery (receivers dedupe on it).
  id text PRIMARY KEY,
  job_id uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  account_id text NOT NULL REFERENCES accounts(id),
  -- Order of events within a job; event N+1 is never attempted while event N is still pending.
  seq integer NOT NULL,
  kind text NOT NULL CHECK (kind IN ('progress', 'completed', 'failed', 'canceled')),
  -- The dialect's event word (`X-Webhook-Event`), what `webhookEvents` subscribes to.
  event text NOT NULL,
  format text NOT NULL,
  url text NOT NULL,
  host text NOT NULL,
  -- Rendered once when the event happened: every retry sends exactly these bytes.
  body text NOT NULL,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed', 'skipped')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  lease_owner text,
  lease_until timestamptz,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz,
  UNIQUE (job_id, seq)
);
-- What a dispatcher may claim: only pending rows, by when they are due.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending';

CREATE TABLE webhook_attempts (
  id bigserial PRIMARY KEY,
  delivery_id text NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
  job_id uuid NOT NULL,
  attempt integer NOT NULL,
  worker text NOT NULL,
  started_at timestamptz NOT NULL,
  latency_ms integer NOT NULL,
  status_code integer,
  error_kind text,
  error_message text,
  -- At most 1 KB of what the receiver answered.
  response_body text,
  outcome text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'gave_up', 'disabled', 'interrupted'))
);
CREATE INDEX webhook_attempts_job ON webhook_attempts (job_id, id);
