-- Renewal rate per period [s, e) and tier, from contract anniversaries and churn dates (docs/metrics.md):
--   due     = contract anniversaries (contract_start + k years, k >= 1) falling in the period, of accounts
--             that were customers 31 days before it (a churn in the last month before the anniversary is a
--             contract not renewed, not a mid-term churn)
--   renewed = of those, the accounts still customers on the anniversary day
--   renewal_rate = renewed / due (empty when nothing was due). Tier: on the day 31 days before.
WITH {scope} periods AS (
    SELECT unnest($starts::DATE[]) AS s, unnest($ends::DATE[]) AS e, unnest($completes::BOOLEAN[]) AS complete
),
sp AS (SELECT * FROM spells($as_of)),
points AS (SELECT * FROM mrr_points($as_of) WHERE {in_scope:account_id}),  -- only the accounts in view are looked up
first_spell AS (SELECT account_id, min(spell_start) AS first_start FROM sp GROUP BY ALL),
attrs AS (
    SELECT a.account_id, a.tier, coalesce(a.contract_start, f.first_start) AS contract_start
    FROM account_attrs() a LEFT JOIN first_spell f USING (account_id)
    WHERE {in_scope:a.account_id}
),
anniversaries AS (
    SELECT account_id, tier, (contract_start + to_years(k::INTEGER))::DATE AS anniversary
    FROM (SELECT *, unnest(generate_series(1, greatest(date_diff('year', contract_start, $as_of::DATE), 0))) AS k
          FROM attrs WHERE contract_start IS NOT NULL)
),
due AS (
    SELECT p.s, n.account_id, n.tier AS tier_column, n.anniversary, (n.anniversary - 31)::DATE AS before_day,
           sp.spell_start, sp.spell_end
    FROM anniversaries n JOIN periods p ON n.anniversary >= p.s AND n.anniversary < p.e AND n.anniversary <= $as_of
    JOIN sp ON sp.account_id = n.account_id AND sp.spell_start <= n.anniversary - 31
          AND (sp.spell_end IS NULL OR n.anniversary - 31 < sp.spell_end)
),
with_tier AS (
    -- renewed: the spell that covered the day 31 days before still covers the anniversary
    SELECT d.s, d.account_id, d.anniversary,
           tier_of(CASE WHEN pt.month >= date_trunc('month', d.spell_start) THEN pt.mrr ELSE 0 END,
                   d.tier_column, $t1, $t2, $manual) AS tier,
           d.spell_end IS NULL OR d.anniversary < d.spell_end AS renewed
    FROM due d ASOF LEFT JOIN points pt ON pt.account_id = d.account_id AND pt.month <= d.before_day
),
tiers AS (SELECT unnest(['Tier1', 'Tier2', 'Tier3']) AS tier)
SELECT p.s AS period_start, p.e AS period_end, t.tier,
       count(w.account_id) AS renewals_due, count(w.account_id) FILTER (WHERE w.renewed) AS renewed,
       count(w.account_id) FILTER (WHERE w.renewed) / nullif(count(w.account_id), 0) AS renewal_rate,
       p.complete
FROM periods p CROSS JOIN tiers t LEFT JOIN with_tier w ON w.s = p.s AND w.tier = t.tier
GROUP BY p.s, p.e, t.tier, p.complete
ORDER BY p.s, t.tier
