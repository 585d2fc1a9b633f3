-- Building block (included instead of _health_scores when the scores are kept): the same rows, read from
-- the scores kept for this data, configuration and as-of day.
SELECT day, account_id, score
FROM kept_health_scores
WHERE data_key = $health_data AND config_key = $health_key AND as_of = $as_of::DATE
  AND day IN (SELECT unnest($days::DATE[]))
