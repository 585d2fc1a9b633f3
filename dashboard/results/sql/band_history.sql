-- Accounts per health band on each day of $days (month ends and the as-of day).
WITH {scope} h AS ({include:_health}),
s AS (
    SELECT day, account_id, sum(contribution) AS score FROM h WHERE {in_scope:account_id} GROUP BY ALL
),
grid AS (SELECT d.day, b.band FROM (SELECT DISTINCT unnest($days::DATE[]) AS day) d
         CROSS JOIN (SELECT unnest(['red', 'yellow', 'green']) AS band) b)
SELECT g.day AS as_of, g.band, count(s.account_id) AS accounts
FROM grid g LEFT JOIN s ON s.day = g.day
     AND g.band = CASE WHEN s.score < $red THEN 'red' WHEN s.score < $green THEN 'yellow' ELSE 'green' END
GROUP BY g.day, g.band
ORDER BY as_of, list_position(['red', 'yellow', 'green'], g.band)
