-- Provider health, measured: one row per thing an upstream did for a job — accepted a create
-- (`ms` = time to accept), refused or failed one before accepting (`error_class`), delivered a
-- video (`ms` = generation time, accept → done), or failed a task it had accepted. Per provider
-- and model over the last hour and day: success rate, time to accept, generation time p50/p95,
-- error classes (/admin/providers, the Studio's operator pages, /metrics). Kept two days.
CREATE TABLE provider_events (
  id bigserial PRIMARY KEY,
  provider text NOT NULL,
  model text NOT NULL,
  job_id uuid,
  event text NOT NULL CHECK (event IN ('accepted', 'refused', 'succeeded', 'failed')),
  error_class text,
  ms integer,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_events_at ON provider_events (at);
CREATE INDEX provider_events_job ON provider_events (job_id) WHERE job_id IS NOT NULL;
