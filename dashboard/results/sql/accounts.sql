-- The accounts active on the as-of day with tier, MRR and health (largest MRR first).
WITH {scope} a AS ({include:_account_list})
SELECT * FROM a WHERE {in_scope:account_id}
ORDER BY mrr DESC, account_id
