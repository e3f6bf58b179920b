-- What the upstream charged the operator for a job, in US dollars, from the serving provider's
-- cost table at the moment the video was delivered (NULL: not a remote job, or no cost known).
-- Revenue is `price` (credits) × usdPerCredit; the margins report sets one against the other.
ALTER TABLE jobs ADD COLUMN upstream_cost_usd numeric(12, 4);
CREATE INDEX jobs_live_completed ON jobs (completed_at) WHERE mode = 'live' AND state = 'completed';
