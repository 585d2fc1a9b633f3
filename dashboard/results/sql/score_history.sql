-- One account's health score and band on each day of $days (the score history beside an explanation).
WITH {scope} s AS ({include:_health_scores})
SELECT day, account_id, score, health_band(score, $red, $green) AS band
FROM s WHERE account_id = $account_id AND {in_scope:account_id}
ORDER BY day
