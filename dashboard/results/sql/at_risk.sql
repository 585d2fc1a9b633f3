-- The calls to make today: active accounts whose health is red, largest MRR first, then lowest score.
WITH {scope} a AS ({include:_account_list})
SELECT account_id, name, tier, mrr, score, band, change, owner, plan, renewal_date
FROM a WHERE band = 'red' AND {in_scope:account_id}
ORDER BY mrr DESC, score, account_id
