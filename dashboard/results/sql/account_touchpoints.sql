-- One account's touchpoints by the as-of day, newest first.
SELECT date, kind, owner, note
FROM cur_touchpoints
WHERE account_id = $account_id AND date <= $as_of
ORDER BY date DESC, kind
