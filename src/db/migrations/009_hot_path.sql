-- Issue 13, the hot path. Three things, all written so that every writer is covered (the submit
-- path, workers, the sweeper, webhooks, the CLI on another machine, an operator's psql): the
-- database itself announces changes, inside the transaction that makes them, and NOTIFY is
-- delivered only when that transaction commits.

-- 1. Verified principals are cached per process. Whatever can change what a key resolves to --
-- a revoked or edited key, a disabled, renamed or re-planned account, a changed plan -- tells every
-- process through `reelay_principals` (`key:<id>`, `account:<id>`, `plan:<id>`). `last_used_at` is
-- not one of those things: its batched writes must not empty every cache.
CREATE FUNCTION reelay_principal_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'api_keys' THEN PERFORM pg_notify('reelay_principals', 'key:' || OLD.id);
  ELSIF TG_TABLE_NAME = 'accounts' THEN PERFORM pg_notify('reelay_principals', 'account:' || OLD.id);
  ELSE PERFORM pg_notify('reelay_principals', 'plan:' || OLD.id); END IF; RETURN NULL;
END $$;

CREATE TRIGGER api_keys_principal_changed AFTER UPDATE OF id, account_id, mode, key_hash, prefix, name, revoked_at OR DELETE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION reelay_principal_changed();

CREATE TRIGGER accounts_principal_changed AFTER UPDATE OF id, name, plan_id, disabled_at OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION reelay_principal_changed();

CREATE TRIGGER plans_principal_changed AFTER UPDATE OR DELETE ON plans
  FOR EACH ROW EXECUTE FUNCTION reelay_principal_changed();

-- 2. A job's version: bumped by every change a reader can see, and announced on
-- `reelay_job_views` as `<id>:<version>`. Lease bookkeeping (claims, lease extensions, the next
-- run time, attempt counters) and `updated_at` alone are not visible changes: a lease heartbeat
-- of a render does not wake 10,000 waiters. Compared as jsonb minus those columns, so a column
-- added later counts as visible without editing this function.
ALTER TABLE jobs ADD COLUMN version bigint NOT NULL DEFAULT 0;

CREATE FUNCTION reelay_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE hidden text[] := ARRAY['version', 'updated_at', 'lease_owner', 'lease_until', 'next_run_at', 'attempts', 'upstream_polls'];
BEGIN
  IF (to_jsonb(OLD) - hidden) IS DISTINCT FROM (to_jsonb(NEW) - hidden) THEN
    NEW.version := OLD.version + 1; PERFORM pg_notify('reelay_job_views', NEW.id::text || ':' || NEW.version::text);
  END IF; RETURN NEW;
END $$;

CREATE TRIGGER jobs_view_changed BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION reelay_job_changed();

-- 3. Rate-limit counts per account and mode and one-minute window, shared by API processes on a
-- server. Each process counts in memory and adds its counts here in one batched statement every
-- ~100 ms, not a write per request. UNLOGGED: no WAL flush; a crash loses at most the current
-- minute's counts, which only ever lets a few more requests through.
CREATE UNLOGGED TABLE rate_counts (
  bucket text NOT NULL,
  window_start timestamptz NOT NULL,
  count bigint NOT NULL,
  PRIMARY KEY (bucket, window_start)
);
