-- Accounts per tier and health band on the as-of day.
WITH {scope} a AS ({include:_account_list})
SELECT tier, band, count(*) AS accounts
FROM a WHERE band IS NOT NULL AND {in_scope:account_id}
GROUP BY tier, band ORDER BY tier, list_position(['red', 'yellow', 'green'], band)
