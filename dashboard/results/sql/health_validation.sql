-- For past as-of days ($days): each active account's measure scores and whether it churned in the
-- following $horizon_days days.
WITH {scope} {include:_validation}
SELECT * FROM validation
ORDER BY day, account_id, measure
