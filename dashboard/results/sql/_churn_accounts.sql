-- Churn's accounts per period [s, e): who was a customer at the start (a spell covers day s - 1), their MRR
-- then, whether they churned in the period and their last MRR; and who joined and churned inside it. What
-- churn.sql counts and what its drill-down (churn_accounts.sql) lists, from one block.
periods AS (
    SELECT unnest($starts::DATE[]) AS s, unnest($ends::DATE[]) AS e, unnest($completes::BOOLEAN[]) AS complete
),
sp AS (SELECT * FROM spells($as_of)),
attrs AS (SELECT * FROM account_attrs()),
at_start AS (
    -- the spell covering day s - 1
    SELECT p.s, p.e, sp.account_id, sp.spell_start, sp.spell_end, (p.s - 1)::DATE AS day
    FROM periods p JOIN sp ON sp.spell_start < p.s AND (sp.spell_end IS NULL OR sp.spell_end >= p.s)
    WHERE {in_scope:sp.account_id}
),
{include:_churn_mrr}
joined_churned AS (
    SELECT p.s, sp.account_id
    FROM periods p JOIN sp ON sp.spell_start >= p.s AND sp.spell_end < p.e
    WHERE {in_scope:sp.account_id}
),
per_account AS (
    SELECT s.s, s.account_id, s.mrr_start, c.account_id IS NOT NULL AS churned, coalesce(c.mrr_last, 0) AS mrr_last
    FROM start_mrr s LEFT JOIN churned c ON c.s = s.s AND c.account_id = s.account_id
),
