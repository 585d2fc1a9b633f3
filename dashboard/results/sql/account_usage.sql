-- One account's usage per measure and month, by the as-of day (the account page's usage chart): summed, or
-- averaged over the month's days for the measures health averages ($averaged: active users).
SELECT date_trunc('month', date)::DATE AS month, measure,
       coalesce(avg(value) FILTER (WHERE list_contains($averaged::VARCHAR[], measure)), sum(value)) AS value
FROM cur_usage
WHERE account_id = $account_id AND date <= $as_of
GROUP BY 1, 2
ORDER BY month, measure
