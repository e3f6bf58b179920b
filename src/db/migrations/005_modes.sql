-- Test and live are two worlds (the Stripe model): everything a key can reach belongs to one mode.
-- Jobs, keys, wallets and ledger rows already carry `mode`; this adds it where it was missing.

-- One Standard Webhooks secret per account AND mode: a leaked test key must not be able to read
-- (or rotate) the secret that signs live deliveries. The existing secret stays the live one; every
-- account that had one gets a fresh test secret (32 random bytes, base64, as newWebhookSecret makes).
ALTER TABLE webhook_secrets ADD COLUMN mode text NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'test'));
ALTER TABLE webhook_secrets DROP CONSTRAINT webhook_secrets_pkey;
ALTER TABLE webhook_secrets ADD PRIMARY KEY (account_id, mode);
ALTER TABLE webhook_secrets ALTER COLUMN mode DROP DEFAULT;
INSERT INTO webhook_secrets (account_id, mode, secret)
SELECT account_id, 'test',
       'whsec_' || encode(decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'), 'base64')
  FROM webhook_secrets WHERE mode = 'live'
ON CONFLICT DO NOTHING;

-- A delivery is signed with the secret of its job's mode.
ALTER TABLE webhook_deliveries ADD COLUMN mode text CHECK (mode IN ('live', 'test'));
UPDATE webhook_deliveries d SET mode = j.mode FROM jobs j WHERE j.id = d.job_id;
ALTER TABLE webhook_deliveries ALTER COLUMN mode SET NOT NULL;

-- Idempotency keys are scoped to (account, mode, key): a live submit never replays a test job.
DROP INDEX jobs_idempotency;
CREATE UNIQUE INDEX jobs_idempotency ON jobs (account_id, mode, idempotency_key) WHERE idempotency_key IS NOT NULL;

-- Listing is always within one mode now (the operator's views read by account only and are rare).
DROP INDEX jobs_account_recent;
CREATE INDEX jobs_account_recent ON jobs (account_id, mode, created_at DESC, id DESC);
