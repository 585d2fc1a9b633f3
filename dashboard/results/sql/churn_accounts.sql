-- The accounts behind one period of churn (the drill-down of churn.sql, from the same block): every customer
-- at the period's start with its MRR then, whether it churned in the period, its churn day and last MRR.
-- Counted as churn.sql counts them: customers_at_start = rows, customers_churned = rows churned,
-- mrr_at_start = sum(mrr_start), mrr_churned = sum(mrr_last) of the churned.
WITH {scope} {include:_churn_accounts}
picked AS (SELECT * FROM per_account WHERE s = $period_start::DATE)
SELECT p.account_id, a.name, a.owner, a.plan, p.mrr_start, p.churned,
       CASE WHEN p.churned THEN x.spell_end END AS churn_date, p.mrr_last
FROM picked p
JOIN at_start x ON x.s = p.s AND x.account_id = p.account_id
LEFT JOIN attrs a ON a.account_id = p.account_id
ORDER BY p.churned DESC, p.mrr_last DESC, p.mrr_start DESC, p.account_id
