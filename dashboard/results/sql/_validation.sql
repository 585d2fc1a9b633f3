-- For past as-of days ($days): each active account's measure scores and whether it churned in the
-- following $horizon_days days (a spell ending in (day, day + horizon]); a measure an account has no data
-- for (no measure score) is not among its rows. Included after a WITH.
d AS ({include:_health}),
churned AS ({include:_churned_after}),
validation AS (
    SELECT d.day, d.account_id, d.measure, d.measure_score, d.contribution, c.account_id IS NOT NULL AS churned
    FROM d LEFT JOIN churned c USING (day, account_id)
    WHERE {in_scope:d.account_id} AND d.measure_score IS NOT NULL
)