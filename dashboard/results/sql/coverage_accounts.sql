-- The accounts behind each owner's contact coverage (the drill-down of coverage_by_owner.sql, read from the
-- same account list): contacted_90d as that result counts it (days since contact <= 89).
SELECT account_id, name, tier, coalesce(owner, '') AS owner, mrr, score, band, last_contact, days_since_contact,
       coalesce(days_since_contact <= 89, false) AS contacted_90d
FROM accounts
ORDER BY contacted_90d, mrr DESC, account_id
