-- Per tier on the as-of day: upsell won in [$start, $as_of] and the open pipeline (amount and count),
-- over opportunities of the accounts active on the as-of day (seed 003's Tier1/2 KPIs).
WITH {scope} a AS (
    SELECT account_id, tier_of(mrr, tier_column, $t1, $t2, $manual) AS tier
    FROM accounts_on_day($as_of, $as_of) WHERE {in_scope:account_id}
),
o AS (
    SELECT a.tier, o.amount, opp_stage(o.stage, o.closed) AS stage, o.closed,
           opp_open_on(o.stage, o.created, o.closed, $as_of::DATE) AS open
    FROM cur_opportunities o JOIN a USING (account_id)
),
tiers AS (SELECT unnest(['Tier1', 'Tier2', 'Tier3']) AS tier)
SELECT t.tier,
       coalesce(sum(o.amount) FILTER (WHERE o.stage = 'won' AND o.closed BETWEEN $start AND $as_of), 0)::DECIMAL(38,4)
           AS upsell_won,
       coalesce(sum(o.amount) FILTER (WHERE o.open), 0)::DECIMAL(38,4) AS pipeline_amount,
       count(o.amount) FILTER (WHERE o.open) AS pipeline_count
FROM tiers t LEFT JOIN o USING (tier)
GROUP BY t.tier ORDER BY t.tier
