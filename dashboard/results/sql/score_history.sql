-- One account's health score and band on each day of $days (the score history beside an explanation).
WITH {scope} d AS ({include:_health})
SELECT day, account_id, health_score(contribution) AS score, health_band(health_score(contribution), $red, $green) AS band
FROM d WHERE account_id = $account_id AND {in_scope:account_id}
GROUP BY day, account_id
ORDER BY day
