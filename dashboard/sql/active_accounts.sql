-- Accounts active on $day ("active on day d": contract_start <= d and (churn_date empty or d < churn_date)),
-- with their MRR on that day (the latest positive monthly MRR of the current spell) and attributes.
WITH sp AS (SELECT * FROM spells($as_of)),
points AS (SELECT * FROM mrr_points($as_of)),
active AS (
    SELECT account_id, spell_start, ($day)::DATE AS day
    FROM sp WHERE spell_start <= $day AND (spell_end IS NULL OR $day < spell_end)
),
with_mrr AS (
    SELECT a.account_id, a.spell_start,
           CASE WHEN pt.month >= date_trunc('month', a.spell_start) THEN pt.mrr ELSE 0 END AS mrr
    FROM active a ASOF LEFT JOIN points pt ON pt.account_id = a.account_id AND pt.month <= a.day
)
SELECT w.account_id, w.spell_start, coalesce(w.mrr, 0)::DECIMAL(18,4) AS mrr,
       attrs.name, attrs.owner, attrs.plan, attrs.industry, attrs.segment, attrs.tier AS tier_column,
       attrs.acquisition_channel, attrs.status, attrs.renewal_date
FROM with_mrr w LEFT JOIN account_attrs() attrs USING (account_id)
