-- The accounts of one tier, as the Tiers page lists them (highest MRR first, as the account list).
-- Reads the account list (result "accounts", already over the filters).
SELECT account_id, name, mrr, score, band, change, owner, plan, renewal_date, days_since_contact
FROM accounts
WHERE tier = $tier
ORDER BY mrr DESC, account_id
