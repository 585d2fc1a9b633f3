-- Per account and measure on the as-of day: raw value, 0-100 score, weight and weighted contribution.
WITH {scope} d AS ({include:_health})
SELECT account_id, measure, raw, measure_score, weight, contribution
FROM d
WHERE day = $as_of AND {in_scope:account_id}
ORDER BY account_id, measure
