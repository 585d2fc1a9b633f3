-- Accounts whose id or name contains the words typed (case and width folded by the caller, bound: never
-- pasted into SQL), customers first, then by MRR: the sidebar's search.
SELECT account_id, name, mrr
FROM account_attrs()
WHERE contains(lower(account_id), $needle) OR contains(lower(coalesce(name, '')), $needle)
ORDER BY (churn_date IS NULL) DESC, mrr DESC NULLS LAST, account_id
LIMIT 20
