-- Accounts, MRR, MRR share and ARPA per tier on the as-of day (all three tiers, zeros included).
WITH {scope} a AS (
    SELECT tier_of(mrr, tier_column, $t1, $t2, $manual) AS tier, mrr
    FROM accounts_on_day($as_of, $as_of) WHERE {in_scope:account_id}
),
tiers AS (SELECT unnest(['Tier1', 'Tier2', 'Tier3']) AS tier),
g AS (SELECT tier, count(*) AS accounts, sum(mrr) AS mrr FROM a GROUP BY tier)
SELECT t.tier, coalesce(g.accounts, 0) AS accounts, coalesce(g.mrr, 0)::DECIMAL(38,4) AS mrr,
       coalesce(g.mrr, 0) / nullif((SELECT sum(mrr) FROM a), 0) AS mrr_share,
       g.mrr / nullif(g.accounts, 0) AS arpa
FROM tiers t LEFT JOIN g USING (tier)
ORDER BY t.tier
