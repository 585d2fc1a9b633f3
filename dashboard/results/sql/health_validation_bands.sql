-- Does the band warn? Per band of the past days' scores: accounts, how many churned in the following
-- $horizon_days days, and that share (an account counts once per past day).
WITH {scope} {include:_validation},
per_account AS (
    SELECT day, account_id, health_band(health_score(contribution), $red, $green) AS band, bool_or(churned) AS churned
    FROM validation GROUP BY day, account_id
)
SELECT band, count(*) AS accounts, count(*) FILTER (WHERE churned) AS churned,
       count(*) FILTER (WHERE churned) / count(*) AS churn_rate_90d
FROM per_account
GROUP BY band
ORDER BY band
