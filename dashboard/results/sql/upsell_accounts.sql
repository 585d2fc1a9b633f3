-- The accounts behind one period of the upsell rates (the drill-down of upsell_rates.sql, from the same block):
-- every account active at the period's start with its tier then and whether it won an upsell or cross-sell.
WITH {scope} {include:_upsell_accounts}
picked AS (SELECT * FROM per_account WHERE s = $period_start::DATE)
SELECT p.account_id, a.name, p.tier, a.owner, a.plan, coalesce(p.upsell, false) AS upsell,
       coalesce(p.cross_sell, false) AS cross_sell
FROM picked p LEFT JOIN account_attrs() a ON a.account_id = p.account_id
ORDER BY upsell DESC, cross_sell DESC, p.tier, p.account_id
