-- The accounts behind one cell of the cohort triangle (the drill-down of cohorts.sql): the cohort's accounts
-- (first MRR in month $cohort) with their MRR then and k months later (0 without MRR then).
-- logo_retention = rows active / rows; revenue_retention = sum(mrr_k) / sum(cohort_mrr).
WITH {scope} points AS (SELECT * FROM mrr_points($as_of) WHERE {in_scope:account_id}),
cohort AS (SELECT account_id, min(month) AS cohort FROM points GROUP BY account_id),
members AS (SELECT * FROM cohort WHERE cohort = date_trunc('month', $cohort::DATE))
SELECT m.account_id, a.name, a.owner, a.plan, b.mrr::DECIMAL(38,4) AS cohort_mrr,
       coalesce(l.mrr, 0)::DECIMAL(38,4) AS mrr_k, coalesce(l.mrr, 0) > 0 AS active_k
FROM members m
JOIN points b ON b.account_id = m.account_id AND b.month = m.cohort
LEFT JOIN points l ON l.account_id = m.account_id AND datediff('month', m.cohort, l.month) = $k::INTEGER
LEFT JOIN account_attrs() a ON a.account_id = m.account_id
ORDER BY active_k, cohort_mrr DESC, m.account_id
