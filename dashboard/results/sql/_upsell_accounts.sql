-- Upsell's accounts per period [s, e): each account active at the start (a spell covers day s - 1) with its
-- tier then and whether it won an upsell or a cross-sell deal closed in the period. What upsell_rates.sql
-- counts and its drill-down (upsell_accounts.sql) lists, from one block.
periods AS (
    SELECT unnest($starts::DATE[]) AS s, unnest($ends::DATE[]) AS e, unnest($completes::BOOLEAN[]) AS complete
),
sp AS (SELECT * FROM spells($as_of)),
points AS (SELECT * FROM mrr_points($as_of) WHERE {in_scope:account_id}),  -- only the accounts in view are looked up
attrs AS (SELECT account_id, tier FROM account_attrs()),
at_start AS (
    SELECT p.s, p.e, sp.account_id, sp.spell_start, (p.s - 1)::DATE AS day
    FROM periods p JOIN sp ON sp.spell_start < p.s AND (sp.spell_end IS NULL OR sp.spell_end >= p.s)
    WHERE {in_scope:sp.account_id}
),
with_tier AS (
    SELECT x.s, x.e, x.account_id,
           tier_of(CASE WHEN pt.month >= date_trunc('month', x.spell_start) THEN pt.mrr ELSE 0 END,
                   attrs.tier, $t1, $t2, $manual) AS tier
    FROM at_start x ASOF LEFT JOIN points pt ON pt.account_id = x.account_id AND pt.month <= x.day
    LEFT JOIN attrs ON attrs.account_id = x.account_id
),
won AS (
    SELECT DISTINCT account_id, opp_kind(kind) AS kind, closed FROM cur_opportunities
    WHERE opp_stage(stage, closed) = 'won' AND closed IS NOT NULL
),
per_account AS (
    SELECT w.s, w.tier, w.account_id,
           bool_or(o.kind = 'upsell') AS upsell, bool_or(o.kind = 'cross_sell') AS cross_sell
    FROM with_tier w LEFT JOIN won o ON o.account_id = w.account_id AND o.closed >= w.s AND o.closed < w.e
    GROUP BY ALL
),
