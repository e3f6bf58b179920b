-- Rate limits across API processes, exact: a process reserves a block of its account's minute in
-- one statement and admits from it in memory. A reservation never takes the count past the limit,
-- so N processes together never admit more than the plan allows (the batched adds of 009 could, by
-- a few requests per process under load). Returns the block granted (0: the minute is used up) and
-- the count after it.
CREATE FUNCTION reelay_rate_reserve(p_bucket text, p_window timestamptz, p_want integer, p_limit integer, OUT granted integer, OUT used bigint)
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO rate_counts (bucket, window_start, count) VALUES (p_bucket, p_window, 0) ON CONFLICT DO NOTHING;
  SELECT count INTO used FROM rate_counts WHERE bucket = p_bucket AND window_start = p_window FOR UPDATE;
  granted := GREATEST(0, LEAST(p_want, p_limit - used));
  IF granted > 0 THEN
    UPDATE rate_counts SET count = count + granted WHERE bucket = p_bucket AND window_start = p_window;
    used := used + granted;
  END IF;
END;
$$;
