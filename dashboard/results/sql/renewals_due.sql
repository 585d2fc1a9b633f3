-- Active accounts whose renewal date falls in (as_of, as_of + $within_days], soonest first.
-- Reads the account list (result "accounts", already over the filters).
SELECT account_id, name, tier, mrr, score, band, owner, renewal_date, days_to_renewal
FROM accounts
WHERE renewal_date > $as_of AND renewal_date <= $as_of::DATE + $within_days::INTEGER
ORDER BY renewal_date, mrr DESC, account_id
