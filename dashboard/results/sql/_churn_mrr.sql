-- churn's MRR lookups: an account's MRR on day s - 1 (start_mrr) and on its last active day (churned),
-- the latest monthly point by that day, counted only if it lies in the spell. Where the kept MRR grid
-- reaches the as-of month, _churn_mrr_kept.sql reads the same point from it instead of sorting the
-- points for an ASOF join.
points AS (SELECT * FROM mrr_points($as_of) WHERE {in_scope:account_id}),  -- only the accounts in view are looked up
start_mrr AS (
    SELECT x.*, CASE WHEN pt.month >= date_trunc('month', x.spell_start) THEN pt.mrr ELSE 0 END AS mrr_start
    FROM at_start x ASOF LEFT JOIN points pt ON pt.account_id = x.account_id AND pt.month <= x.day
),
churned AS (
    SELECT x.s, x.account_id,
           CASE WHEN pt.month >= date_trunc('month', x.spell_start) THEN pt.mrr ELSE 0 END AS mrr_last
    FROM (SELECT *, (spell_end - 1)::DATE AS last_day_active FROM at_start WHERE spell_end < e) x
    ASOF LEFT JOIN points pt ON pt.account_id = x.account_id AND pt.month <= x.last_day_active
),
