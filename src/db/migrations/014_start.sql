-- Starting a queued job in one round trip when the account's plan has room (it was five: BEGIN,
-- the account lock, the count, the UPDATE, COMMIT), the exact concurrency check of
-- billing/limits.ts moved here whole.
--
-- The ceiling is counted per account AND mode: a leaked test key's renders must not hold back the
-- account's live jobs. Locking the account row serialises starts of one account across every
-- worker process, so two workers cannot both take the last slot. A VOLATILE plpgsql function takes
-- a new snapshot for each statement (READ COMMITTED), so the count runs after the lock is granted
-- and sees every start committed before it; one plain statement could not do this (its CTEs share
-- the snapshot taken before the lock was waited for).
--
-- `FOR NO KEY UPDATE`, not `FOR UPDATE`: the ledger's foreign key takes `KEY SHARE` on the account
-- row, and a cancel (job row locked, then a ledger insert) against a start (account row locked,
-- then the job row) deadlocked on PostgreSQL with `FOR UPDATE` (regression: webhooks e2e cancel;
-- test/billing/start-lock.test.ts).
--
-- Returns the started row. Nothing when the job is no longer ours (or not queued), or when the
-- plan has no free slot: the job then goes back to the queue unchanged, due again after
-- p_recheck_ms (it is not rejected).
CREATE FUNCTION reelay_start(
  p_id uuid, p_account text, p_mode text, p_owner text, p_to text, p_started_at timestamptz, p_recheck_ms integer
) RETURNS SETOF jobs LANGUAGE plpgsql AS $$
DECLARE
  ceiling integer;
  busy integer;
  j jobs;
BEGIN
  SELECT p.concurrency INTO ceiling FROM accounts a JOIN plans p ON p.id = a.plan_id WHERE a.id = p_account FOR NO KEY UPDATE OF a;
  SELECT count(*) INTO busy FROM jobs
   WHERE account_id = p_account AND mode = p_mode AND id <> p_id AND state IN ('submitting', 'running', 'finalizing');
  IF busy >= COALESCE(ceiling, 1) THEN
    UPDATE jobs SET lease_owner = NULL, lease_until = NULL, next_run_at = now() + make_interval(secs => p_recheck_ms / 1000.0)
     WHERE id = p_id AND lease_owner = p_owner;
    RETURN;
  END IF;
  UPDATE jobs SET state = p_to, updated_at = now(), status_reason = NULL, started_at = p_started_at, progress = 0
   WHERE id = p_id AND state = 'queued' AND lease_owner = p_owner
  RETURNING * INTO j;
  IF FOUND THEN
    RETURN NEXT j;
  END IF;
END;
$$;
