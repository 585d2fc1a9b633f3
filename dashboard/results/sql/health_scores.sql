-- Per day of $days and active account: the health score and its band (red < $red <= yellow < $green <= green).
WITH {scope} d AS ({include:_health})
SELECT day, account_id, sum(contribution) AS score,
       CASE WHEN sum(contribution) < $red THEN 'red' WHEN sum(contribution) < $green THEN 'yellow' ELSE 'green' END AS band
FROM d
WHERE {in_scope:account_id}
GROUP BY day, account_id
ORDER BY day, score, account_id
