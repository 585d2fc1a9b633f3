-- Monthly MRR movements (METRICS.md), each account-month classified in exactly one CASE:
--   new:          prev = 0, cur > 0, never had MRR before      -> cur
--   reactivation: prev = 0, cur > 0, had MRR before            -> cur
--   expansion:    prev > 0, cur > prev                         -> cur - prev
--   contraction:  prev > 0, 0 < cur < prev                     -> prev - cur
--   churn:        prev > 0, cur = 0                            -> prev
-- An account paying in another currency in both months: the part of cur that only the exchange rate moved
-- (fx, kept with the derived history) is its own movement, and expansion or contraction compare cur - fx.
-- Identity, to the yen: start + new + reactivation + expansion - contraction - churn + fx = end.
WITH {scope} {include:_mrr_grid}
attrs AS (SELECT * FROM account_attrs()),
{include:_mrr_classified}
seg AS (SELECT c.*, {segment} AS segment FROM classified c LEFT JOIN attrs USING (account_id)),
totals AS (
SELECT month, segment,
       sum(prev)::DECIMAL(38,4) AS start,
       coalesce(sum(amount) FILTER (WHERE movement = 'new'), 0)::DECIMAL(38,4) AS new,
       coalesce(sum(amount) FILTER (WHERE movement = 'reactivation'), 0)::DECIMAL(38,4) AS reactivation,
       coalesce(sum(amount) FILTER (WHERE movement = 'expansion'), 0)::DECIMAL(38,4) AS expansion,
       coalesce(sum(amount) FILTER (WHERE movement = 'contraction'), 0)::DECIMAL(38,4) AS contraction,
       coalesce(sum(amount) FILTER (WHERE movement = 'churn'), 0)::DECIMAL(38,4) AS churn,
       coalesce(sum(fx_amount), 0)::DECIMAL(38,4) AS fx,
       sum(cur)::DECIMAL(38,4) AS "end",
       count(*) FILTER (WHERE cur > 0) AS accounts,
       sum(cur) FILTER (WHERE year_ago > 0)::DECIMAL(38,4) AS nrr_numerator,
       sum(least(cur, year_ago)) FILTER (WHERE year_ago > 0)::DECIMAL(38,4) AS grr_numerator,
       sum(year_ago) FILTER (WHERE year_ago > 0)::DECIMAL(38,4) AS year_ago_mrr
FROM seg
WHERE month >= $from_month
GROUP BY ALL
)
-- Rates (METRICS.md): gross revenue churn = (churn + contraction) / start; net subtracts expansion (can be
-- negative); quick ratio = (new + reactivation + expansion) / (contraction + churn); NRR and GRR over the
-- accounts that had MRR twelve months earlier.
SELECT month, segment, start, new, reactivation, expansion, contraction, churn, fx, "end", accounts,
       (churn + contraction) / nullif(start, 0) AS gross_revenue_churn_rate,
       (churn + contraction - expansion) / nullif(start, 0) AS net_revenue_churn_rate,
       (new + reactivation + expansion) / nullif(contraction + churn, 0) AS quick_ratio,
       nrr_numerator / nullif(year_ago_mrr, 0) AS nrr_12m,
       grr_numerator / nullif(year_ago_mrr, 0) AS grr_12m
FROM totals
ORDER BY segment NULLS LAST, month
