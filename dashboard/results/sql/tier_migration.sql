-- Counts and MRR moving between tiers from $d1 to $as_of (seed 004's staircase); 'none' = not a customer.
-- Both dates use the rule and thresholds in force on $as_of.
WITH {scope} a1 AS (
    SELECT account_id, tier_of(mrr, tier_column, $t1, $t2, $manual) AS tier, mrr FROM accounts_on_day($d1, $as_of)
),
a2 AS (
    SELECT account_id, tier_of(mrr, tier_column, $t1, $t2, $manual) AS tier, mrr FROM accounts_on_day($as_of, $as_of)
),
moved AS (
    SELECT coalesce(a1.account_id, a2.account_id) AS account_id,
           coalesce(a1.tier, 'none') AS tier_from, coalesce(a2.tier, 'none') AS tier_to,
           coalesce(a1.mrr, 0) AS mrr_from, coalesce(a2.mrr, 0) AS mrr_to
    FROM a1 FULL OUTER JOIN a2 USING (account_id)
)
SELECT tier_from, tier_to, count(*) AS accounts, sum(mrr_from)::DECIMAL(38,4) AS mrr_from,
       sum(mrr_to)::DECIMAL(38,4) AS mrr_to
FROM moved WHERE {in_scope:account_id}
GROUP BY ALL ORDER BY tier_from, tier_to
