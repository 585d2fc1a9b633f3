-- Upsell and cross-sell rates per period [s, e) and tier (seed 000): accounts with a won deal of that kind
-- closed in the period / accounts active at the period's start (a spell covers day s - 1, as for churn).
-- Tier: the account's tier on day s - 1 under the rule in force.
WITH {scope} {include:_upsell_accounts}
tiers AS (SELECT unnest(['Tier1', 'Tier2', 'Tier3']) AS tier)
SELECT p.s AS period_start, p.e AS period_end, t.tier,
       count(a.account_id) AS accounts_at_start,
       count(a.account_id) FILTER (WHERE a.upsell) AS upsell_accounts,
       count(a.account_id) FILTER (WHERE a.upsell) / nullif(count(a.account_id), 0) AS upsell_rate,
       count(a.account_id) FILTER (WHERE a.cross_sell) AS cross_sell_accounts,
       count(a.account_id) FILTER (WHERE a.cross_sell) / nullif(count(a.account_id), 0) AS cross_sell_rate,
       p.complete
FROM periods p CROSS JOIN tiers t LEFT JOIN per_account a ON a.s = p.s AND a.tier = t.tier
GROUP BY ALL
ORDER BY p.s, t.tier
