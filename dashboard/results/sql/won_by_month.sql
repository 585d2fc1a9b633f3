-- Won deals per month of their close date, from $from_month to the as-of day, by kind (upsell,
-- cross-sell, other): amount and count.
WITH {scope} months AS (
    SELECT unnest(generate_series($from_month::DATE, date_trunc('month', $as_of::DATE)::DATE, INTERVAL 1 MONTH))::DATE AS month
),
kinds AS (SELECT unnest(['upsell', 'cross_sell', 'other']) AS kind),
won AS (
    SELECT date_trunc('month', closed)::DATE AS month, opp_kind(kind) AS kind, amount
    FROM cur_opportunities
    WHERE opp_stage(stage, closed) = 'won' AND closed >= $from_month AND closed <= $as_of AND {in_scope:account_id}
)
SELECT m.month, k.kind, coalesce(sum(w.amount), 0)::DECIMAL(38,4) AS won_amount, count(w.amount) AS won_count
FROM months m CROSS JOIN kinds k LEFT JOIN won w ON w.month = m.month AND w.kind = k.kind
GROUP BY m.month, k.kind
ORDER BY m.month, list_position(['upsell', 'cross_sell', 'other'], k.kind)
