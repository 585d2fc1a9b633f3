-- The accounts behind one month of the MRR movements (the drill-down of mrr_movements.sql, the same grid and
-- the same CASE): each account with MRR at either end of the month or twelve months before, its MRR at the
-- month before's end (prev) and at this month's end (cur), its movement and amount, the exchange rate's part
-- and its MRR a year before. The month's figures are sums of these rows: start = sum(prev), each movement =
-- sum(amount) of its rows, fx = sum(fx), end = sum(cur), paying accounts = rows with cur > 0.
WITH {scope} {include:_mrr_grid}
attrs AS (SELECT * FROM account_attrs()),
{include:_mrr_classified}
picked AS (
    SELECT * FROM classified
    WHERE month = date_trunc('month', $month::DATE) AND (prev > 0 OR cur > 0 OR year_ago > 0)
)
SELECT p.account_id, a.name, a.owner, a.plan, p.movement, p.prev::DECIMAL(38,4) AS prev,
       p.cur::DECIMAL(38,4) AS cur, p.amount::DECIMAL(38,4) AS amount, p.fx_amount::DECIMAL(38,4) AS fx,
       coalesce(p.year_ago, 0)::DECIMAL(38,4) AS year_ago, p.prev > 0 AS at_start, p.cur > 0 AS at_end,
       p.fx_amount <> 0 AS fx_moved, coalesce(p.year_ago, 0) > 0 AS year_ago_paying,
       CASE WHEN coalesce(p.year_ago, 0) > 0 THEN least(p.cur, p.year_ago) ELSE 0 END::DECIMAL(38,4) AS retained
FROM picked p LEFT JOIN attrs a USING (account_id)
ORDER BY p.amount DESC, p.cur DESC, p.account_id
