-- Customer (logo) churn and revenue churn per period [s, e) (METRICS.md):
--   customers_at_start = accounts with contract_start < s and (churn_date empty or churn_date >= s)
--   customers_churned  = those of customers_at_start with s <= churn_date < e
--   customer_churn_rate = customers_churned / customers_at_start (empty when the denominator is 0)
--   churned_mrr_rate (any grain) = last MRR of the churned accounts / MRR of the accounts at start
--   (not the gross revenue churn of mrr_movements, which adds contraction)
-- Accounts that start and churn inside the same period are counted apart (joined_and_churned).
-- The segment is a whitelisted expression over attrs (or a constant); never user text. By tier, an
-- account's tier is its tier on day s - 1 under the rule in force.
WITH {scope} {include:_churn_accounts}
seg AS (
    SELECT pa.*, {segment_at_start} AS segment FROM per_account pa LEFT JOIN attrs USING (account_id)
),
jc AS (
    SELECT j.s, {segment} AS segment, count(*) AS n
    FROM joined_churned j LEFT JOIN attrs USING (account_id) GROUP BY ALL
),
totals AS (
    SELECT s, segment, count(*) AS customers_at_start, count(*) FILTER (WHERE churned) AS customers_churned,
           sum(mrr_start)::DECIMAL(38,4) AS mrr_at_start, sum(mrr_last) FILTER (WHERE churned)::DECIMAL(38,4) AS mrr_churned
    FROM seg GROUP BY ALL
)
SELECT p.s AS period_start, p.e AS period_end, k.segment,
       coalesce(t.customers_at_start, 0) AS customers_at_start,
       coalesce(t.customers_churned, 0) AS customers_churned,
       t.customers_churned / nullif(t.customers_at_start, 0) AS customer_churn_rate,
       1 - t.customers_churned / nullif(t.customers_at_start, 0) AS retention_rate,
       coalesce(jc.n, 0) AS joined_and_churned,
       coalesce(t.mrr_at_start, 0) AS mrr_at_start,
       coalesce(t.mrr_churned, 0) AS mrr_churned,
       coalesce(t.mrr_churned, 0) / nullif(t.mrr_at_start, 0) AS churned_mrr_rate,
       p.complete
FROM periods p
CROSS JOIN (SELECT DISTINCT segment FROM seg UNION SELECT DISTINCT segment FROM jc) k
LEFT JOIN totals t ON t.s = p.s AND t.segment IS NOT DISTINCT FROM k.segment
LEFT JOIN jc ON jc.s = p.s AND jc.segment IS NOT DISTINCT FROM k.segment
ORDER BY k.segment NULLS LAST, p.s
