-- Accounts per tier and health band on the as-of day. Reads the account list (result "accounts").
SELECT tier, band, count(*) AS accounts
FROM accounts WHERE band IS NOT NULL
GROUP BY tier, band ORDER BY tier, list_position(['red', 'yellow', 'green'], band)
