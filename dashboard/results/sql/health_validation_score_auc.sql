-- How well the health score itself separates the accounts that churned in the following $horizon_days days
-- from those that stayed, over the past days' scores: ROC AUC by the Mann-Whitney rank sum (ties share their
-- average rank; 0.5 = no better than chance, NULL without both). An account counts once per past day, as in
-- the bands (health_validation_bands); one without a score, not at all. What a set of weights is judged by.
WITH {scope} s AS ({include:_health_scores}),
churned AS ({include:_churned_after}),
per_account AS (
    SELECT s.score, c.account_id IS NOT NULL AS churned
    FROM s LEFT JOIN churned c USING (day, account_id)
    WHERE {in_scope:s.account_id} AND s.score IS NOT NULL
),
ranked AS (
    SELECT churned, rank() OVER (ORDER BY score) + (count(*) OVER (PARTITION BY score) - 1) / 2 AS r
    FROM per_account
),
sums AS (
    SELECT count(*) FILTER (WHERE NOT churned) AS stay, count(*) FILTER (WHERE churned) AS gone,
           sum(r) FILTER (WHERE NOT churned) AS r_stay
    FROM ranked
)
SELECT stay + gone AS accounts, gone AS churned,
       CASE WHEN stay > 0 AND gone > 0 THEN (r_stay - stay * (stay + 1) / 2) / (stay * gone) END AS auc
FROM sums
