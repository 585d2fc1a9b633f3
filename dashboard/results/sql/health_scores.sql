-- Per day of $days and active account: the health score and its band (red < $red <= yellow < $green <= green).
WITH {scope} d AS ({include:_health})
SELECT day, account_id, score,
       health_band(score, $red, $green) AS band
FROM (SELECT day, account_id, health_score(contribution) AS score FROM d WHERE {in_scope:account_id} GROUP BY day, account_id)
ORDER BY day, score, account_id
