-- How well each measure's score separates stayers from churners over the past days: ROC AUC by the
-- Mann-Whitney rank sum (ties share their average rank; 0.5 = no better than chance, NULL without both).
WITH {scope} {include:_validation},
ranked AS (
    SELECT measure, churned,
           rank() OVER (PARTITION BY measure ORDER BY measure_score)
           + (count(*) OVER (PARTITION BY measure, measure_score) - 1) / 2 AS r
    FROM validation
),
sums AS (
    SELECT measure, count(*) FILTER (WHERE NOT churned) AS stay, count(*) FILTER (WHERE churned) AS gone,
           sum(r) FILTER (WHERE NOT churned) AS r_stay
    FROM ranked GROUP BY measure
)
SELECT measure,
       CASE WHEN stay > 0 AND gone > 0 THEN (r_stay - stay * (stay + 1) / 2) / (stay * gone) END AS auc
FROM sums
ORDER BY measure
