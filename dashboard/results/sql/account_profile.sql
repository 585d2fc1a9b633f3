-- One account as the stores know it, whether or not it is a customer on the as-of day: its attributes (the
-- accounts file, else what its MRR history implies), its latest monthly MRR by the as-of day (shown for a
-- customer: a churned account's is the MRR it left with) and whether a customer spell covers the as-of day.
SELECT a.account_id, a.name, a.owner, a.plan, a.industry, a.segment, a.tier AS tier_given, a.status,
       a.contract_start, a.renewal_date, a.churn_date,
       CASE WHEN a.renewal_date > $as_of THEN date_diff('day', $as_of::DATE, a.renewal_date) END AS days_to_renewal,
       (SELECT arg_max(p.mrr, p.month) FROM mrr_points($as_of) p WHERE p.account_id = a.account_id) AS mrr,
       EXISTS (SELECT 1 FROM spells($as_of) s WHERE s.account_id = a.account_id AND s.spell_start <= $as_of
               AND (s.spell_end IS NULL OR $as_of < s.spell_end)) AS active
FROM account_attrs() a
WHERE a.account_id = $account_id
