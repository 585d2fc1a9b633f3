-- Contact coverage per owner: their active accounts, how many had a contact in the last 90 days
-- (as_of - 89 .. as_of, i.e. days since contact <= 89) and the share. Lowest coverage first.
-- Reads the account list (result "accounts", over the filters).
SELECT coalesce(owner, '') AS owner, count(*) AS active_accounts,
       count(*) FILTER (WHERE days_since_contact <= 89) AS contacted_90d,
       count(*) FILTER (WHERE days_since_contact <= 89) / count(*) AS coverage
FROM accounts
GROUP BY ALL
ORDER BY coverage, active_accounts DESC, owner
