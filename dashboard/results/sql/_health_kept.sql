-- Building block (included instead of _health when the scores are kept, results/health_store.py): the same
-- rows as _health for $days, read from the scores kept for this data, configuration and as-of day.
SELECT day, account_id, measure, source, raw, measure_score, weight, contribution
FROM kept_health
WHERE data_key = $health_data AND config_key = $health_key AND as_of = $as_of::DATE
  AND day IN (SELECT unnest($days::DATE[]))
