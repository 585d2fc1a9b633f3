-- One account's deals created by the as-of day, newest first.
SELECT created, closed, kind, stage, amount
FROM cur_opportunities
WHERE account_id = $account_id AND (created IS NULL OR created <= $as_of)
ORDER BY created DESC NULLS LAST
