-- Per day of $days and active account: the health score and its band (red < $red <= yellow < $green <= green).
WITH {scope} s AS ({include:_health_scores})
SELECT day, account_id, score, health_band(score, $red, $green) AS band
FROM s WHERE {in_scope:account_id}
ORDER BY day, score, account_id
