-- Accounts of the accounts file that the MRR history has no row for, active on the as-of day by the
-- accounts file. With a history loaded, every revenue figure and customer count comes from the history
-- (METRICS.md "Revenue (MRR) churn"), so these accounts are not counted: the pages say how many and list
-- them, never silently. Without a history there are none (the accounts file's MRR is used).
SELECT a.account_id, a.name, a.owner, a.mrr, a.contract_start
FROM cur_accounts a
WHERE EXISTS (SELECT 1 FROM mrr_history)
  AND NOT EXISTS (SELECT 1 FROM mrr_history m WHERE m.account_id = a.account_id)
  AND (a.contract_start IS NULL OR a.contract_start <= $as_of)
  AND (a.churn_date IS NULL OR a.churn_date > $as_of)
ORDER BY a.mrr DESC NULLS LAST, a.account_id
