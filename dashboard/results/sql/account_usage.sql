-- One account's usage per measure and month, by the as-of day (the account page's usage chart).
SELECT date_trunc('month', date)::DATE AS month, measure, sum(value) AS value
FROM cur_usage
WHERE account_id = $account_id AND date <= $as_of
GROUP BY ALL
ORDER BY month, measure
