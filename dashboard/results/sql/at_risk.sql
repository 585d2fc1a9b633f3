-- The calls to make today: active accounts whose health is red, largest MRR first, then lowest score.
-- Reads the account list (result "accounts", already over the filters).
SELECT account_id, name, tier, mrr, score, band, change, owner, plan, renewal_date
FROM accounts WHERE band = 'red'
ORDER BY mrr DESC, score, account_id
