-- Does the band warn? Per band of the past days' scores: accounts, how many churned in the following
-- $horizon_days days, and that share (an account counts once per past day; one without a score, in none).
WITH {scope} s AS ({include:_health_scores}),
churned AS ({include:_churned_after}),
per_account AS (
    SELECT s.day, s.account_id, health_band(s.score, $red, $green) AS band, c.account_id IS NOT NULL AS churned
    FROM s LEFT JOIN churned c USING (day, account_id)
    WHERE {in_scope:s.account_id} AND s.score IS NOT NULL
)
SELECT band, count(*) AS accounts, count(*) FILTER (WHERE churned) AS churned,
       count(*) FILTER (WHERE churned) / count(*) AS churn_rate_90d
FROM per_account
GROUP BY band
ORDER BY band
