-- The accounts the health page offers to explain: the lowest scores first, at most $limit of them, each
-- with the label shown in the picker and the number of scored accounts in all.
-- Reads the account list (result "accounts", already over the filters).
SELECT account_id, name, mrr, score, band, change,
       account_id || '  ' || coalesce(name, '') AS label,
       count(*) OVER () AS scored
FROM accounts
WHERE score IS NOT NULL
ORDER BY score, account_id
LIMIT $limit
