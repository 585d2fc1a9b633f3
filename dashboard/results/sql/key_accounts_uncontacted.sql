-- Key accounts (Tier1 on the as-of day) with no contact in the current calendar quarter up to the as-of
-- day (seed 002: contact key accounts proactively every quarter). Largest MRR first.
-- Reads the account list (result "accounts", over the filters).
SELECT account_id, name, owner, mrr, score, band, last_contact, days_since_contact, renewal_date
FROM accounts
WHERE tier = 'Tier1'
  AND (last_contact IS NULL OR last_contact < date_trunc('quarter', $as_of::DATE))
ORDER BY mrr DESC, account_id
