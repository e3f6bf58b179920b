-- Plans' monthly grants, applied once per account and period.
CREATE TABLE grant_periods (
  account_id text NOT NULL REFERENCES accounts(id),
  period text NOT NULL,
  amount bigint NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, period)
);

-- Fixed one-minute windows per API key, shared by every API process through the database.
CREATE TABLE rate_windows (
  key_id text NOT NULL,
  window_start timestamptz NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (key_id, window_start)
);

CREATE INDEX jobs_account_inflight ON jobs (account_id) WHERE state IN ('submitting', 'running', 'finalizing');
