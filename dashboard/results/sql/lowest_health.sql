-- The 30 lowest-scoring active accounts, each with the measure that pulls its score down most
-- (largest weight x (100 - measure score)) and that measure's value.
-- Reads the account list (result "accounts", already over the filters).
SELECT account_id, name, tier, mrr, score, band, change, reason_measure, reason_value, owner
FROM accounts
WHERE score IS NOT NULL
ORDER BY score, mrr DESC, account_id
LIMIT 30
