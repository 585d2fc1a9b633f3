-- The hand-off list for sales (seed 004): active accounts renewing in (as_of, as_of + $within_days],
-- soonest first, with health, its trend, the last contact and the deals open.
-- Reads the account list (result "accounts", already over the filters).
SELECT account_id, name, tier, owner, mrr, renewal_date, days_to_renewal, score, band, change,
       last_contact, days_since_contact, open_deals, open_amount
FROM accounts
WHERE renewal_date > $as_of AND renewal_date <= $as_of::DATE + $within_days::INTEGER
ORDER BY renewal_date, mrr DESC, account_id
