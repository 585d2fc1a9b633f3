-- Cohort retention triangle (METRICS.md): an account's cohort is the month of its first MRR; for each
-- cohort and k months later, logos with MRR > 0 and the MRR retained against the cohort month.
WITH {scope} points AS (SELECT * FROM mrr_points($as_of) WHERE {in_scope:account_id}),
cohort AS (SELECT account_id, min(month) AS cohort FROM points GROUP BY account_id),
base AS (
    SELECT c.cohort, count(*) AS logos, sum(p.mrr) AS mrr
    FROM cohort c JOIN points p ON p.account_id = c.account_id AND p.month = c.cohort
    GROUP BY c.cohort
),
later AS (
    SELECT c.cohort, datediff('month', c.cohort, p.month) AS k, count(*) AS logos, sum(p.mrr) AS mrr
    FROM cohort c JOIN points p ON p.account_id = c.account_id
    GROUP BY ALL
),
ks AS (
    SELECT b.cohort, unnest(range(0, datediff('month', b.cohort, date_trunc('month', $as_of::DATE)) + 1)) AS k
    FROM base b WHERE b.cohort >= $from_month
)
SELECT ks.cohort, ks.k, b.logos AS cohort_logos, b.mrr::DECIMAL(38,4) AS cohort_mrr,
       coalesce(l.logos, 0) AS logos_active, coalesce(l.mrr, 0)::DECIMAL(38,4) AS mrr_retained,
       coalesce(l.logos, 0) / b.logos AS logo_retention, coalesce(l.mrr, 0) / b.mrr AS revenue_retention
FROM ks JOIN base b USING (cohort) LEFT JOIN later l USING (cohort, k)
ORDER BY ks.cohort, ks.k
