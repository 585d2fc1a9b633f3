-- Renewals due in the next 30 / 60 / 90 days per owner (accounts and MRR at stake), most MRR due in 90
-- days first. Reads the account list (result "accounts", over the filters).
SELECT coalesce(owner, '') AS owner,
       count(*) FILTER (WHERE days_to_renewal <= 30) AS due_30_accounts,
       coalesce(sum(mrr) FILTER (WHERE days_to_renewal <= 30), 0)::DECIMAL(38,4) AS due_30_mrr,
       count(*) FILTER (WHERE days_to_renewal <= 60) AS due_60_accounts,
       coalesce(sum(mrr) FILTER (WHERE days_to_renewal <= 60), 0)::DECIMAL(38,4) AS due_60_mrr,
       count(*) AS due_90_accounts,
       coalesce(sum(mrr), 0)::DECIMAL(38,4) AS due_90_mrr
FROM accounts
WHERE days_to_renewal > 0 AND days_to_renewal <= 90
GROUP BY ALL
ORDER BY due_90_mrr DESC, owner
