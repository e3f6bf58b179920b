-- The submit in one statement: job row, hold, ledger row and the workers' wake-up in one round
-- trip and one WAL flush (it was eight round trips and two flushes). Called in autocommit, so the
-- statement is its own transaction: all of it happens, or none.
--
-- Order and locks as before: the job row is inserted first (only we can see it), then the wallet
-- row is updated under its row lock with the overdraft guard. A refused hold deletes the job it
-- had just inserted, inside the same statement, so no one ever sees a job without its hold.
-- No row comes back when the Idempotency-Key is taken (the caller replays the earlier job) or the
-- credits do not cover the price (the caller reads the wallet for the 402's figures).
CREATE FUNCTION reelay_submit(
  p_id uuid, p_account text, p_key text, p_mode text, p_dialect text, p_model text, p_input jsonb,
  p_price bigint, p_provider text, p_deadline_seconds double precision, p_webhook_url text,
  p_webhook_events text[], p_idempotency_key text, p_request_hash text, p_notify boolean
) RETURNS SETOF jobs LANGUAGE plpgsql AS $$
DECLARE
  j jobs;
BEGIN
  INSERT INTO jobs (id, account_id, key_id, mode, dialect, model, input, state, price, provider,
                    deadline_at, webhook_url, webhook_events, idempotency_key, request_hash)
  VALUES (p_id, p_account, p_key, p_mode, p_dialect, p_model, p_input, 'queued', p_price, p_provider,
          now() + make_interval(secs => p_deadline_seconds), p_webhook_url, p_webhook_events,
          p_idempotency_key, p_request_hash)
  ON CONFLICT (account_id, mode, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
  RETURNING * INTO j;
  IF j.id IS NULL THEN
    RETURN;
  END IF;
  IF p_price > 0 THEN
    UPDATE wallets SET available = available - p_price, held = held + p_price
     WHERE account_id = p_account AND mode = p_mode AND available >= p_price;
    IF NOT FOUND THEN
      DELETE FROM jobs WHERE id = p_id;
      RETURN;
    END IF;
    INSERT INTO ledger (account_id, mode, kind, from_book, to_book, amount, job_id, actor, reason)
    VALUES (p_account, p_mode, 'hold', 'available', 'held', p_price, p_id, p_key, 'job submitted');
  END IF;
  IF p_notify THEN
    PERFORM pg_notify('reelay_jobs', '');
  END IF;
  RETURN NEXT j;
END;
$$;
