-- Reelay's first schema. One SQL dialect (PostgreSQL) for PGlite and a server alike.

CREATE TABLE settings (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE plans (
  id text PRIMARY KEY,
  name text NOT NULL,
  monthly_credits bigint NOT NULL CHECK (monthly_credits >= 0),
  concurrency integer NOT NULL CHECK (concurrency > 0),
  rate_limit_per_minute integer NOT NULL CHECK (rate_limit_per_minute > 0),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE accounts (
  id text PRIMARY KEY,
  name text NOT NULL,
  plan_id text NOT NULL REFERENCES plans(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz
);

-- One wallet per account and mode (live credits and test credits never mix).
-- available + held is the balance; the CHECKs make an overdraft impossible whatever the code does.
CREATE TABLE wallets (
  account_id text NOT NULL REFERENCES accounts(id),
  mode text NOT NULL CHECK (mode IN ('live', 'test')),
  available bigint NOT NULL DEFAULT 0 CHECK (available >= 0),
  held bigint NOT NULL DEFAULT 0 CHECK (held >= 0),
  spent bigint NOT NULL DEFAULT 0 CHECK (spent >= 0),
  PRIMARY KEY (account_id, mode)
);

-- Double-entry ledger: every row moves `amount` from one book to another.
-- Books: 'world' (outside: grants come from it, adjustments return to it), 'available', 'held', 'spent'.
CREATE TABLE ledger (
  id bigserial PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  mode text NOT NULL CHECK (mode IN ('live', 'test')),
  kind text NOT NULL CHECK (kind IN ('grant', 'adjust', 'hold', 'capture', 'release')),
  from_book text NOT NULL CHECK (from_book IN ('world', 'available', 'held', 'spent')),
  to_book text NOT NULL CHECK (to_book IN ('world', 'available', 'held', 'spent')),
  amount bigint NOT NULL CHECK (amount > 0),
  job_id uuid,
  actor text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_account ON ledger (account_id, id DESC);
-- A job can be held, captured and released at most once each: the schema refuses a double refund.
CREATE UNIQUE INDEX ledger_job_once ON ledger (job_id, kind) WHERE job_id IS NOT NULL;

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  mode text NOT NULL CHECK (mode IN ('live', 'test')),
  key_hash text NOT NULL UNIQUE,
  prefix text NOT NULL,
  name text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX api_keys_account ON api_keys (account_id);

CREATE TABLE jobs (
  id uuid PRIMARY KEY,
  account_id text NOT NULL REFERENCES accounts(id),
  key_id text REFERENCES api_keys(id),
  mode text NOT NULL CHECK (mode IN ('live', 'test')),
  dialect text NOT NULL,
  model text NOT NULL,
  input jsonb NOT NULL,
  state text NOT NULL CHECK (state IN ('queued', 'submitting', 'running', 'finalizing', 'completed', 'failed', 'canceled')),
  progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
  price bigint NOT NULL CHECK (price >= 0),
  provider text,
  upstream_task_id text,
  upstream_file_ref text,
  attempts integer NOT NULL DEFAULT 0,
  lease_owner text,
  lease_until timestamptz,
  next_run_at timestamptz NOT NULL DEFAULT now(),
  deadline_at timestamptz NOT NULL,
  error_code text,
  error_message text,
  result jsonb,
  webhook_url text,
  webhook_events text[],
  idempotency_key text,
  request_hash text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  completed_at timestamptz,
  expired_at timestamptz
);
-- What a worker may claim: only live states, ordered by when they are due.
CREATE INDEX jobs_due ON jobs (next_run_at) WHERE state IN ('queued', 'submitting', 'running', 'finalizing');
-- Listing newest first with a (created_at, id) cursor.
CREATE INDEX jobs_account_recent ON jobs (account_id, created_at DESC, id DESC);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (account_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
