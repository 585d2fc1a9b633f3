-- Accounts per health band on each day of $days (month ends and the as-of day).
WITH {scope} s AS ({include:_health_scores}),
banded AS (SELECT day, health_band(score, $red, $green) AS band FROM s WHERE {in_scope:account_id}),
grid AS (SELECT d.day, b.band FROM (SELECT DISTINCT unnest($days::DATE[]) AS day) d
         CROSS JOIN (SELECT unnest(['red', 'yellow', 'green']) AS band) b)
SELECT g.day AS as_of, g.band, count(s.band) AS accounts
FROM grid g LEFT JOIN banded s ON s.day = g.day AND s.band = g.band
GROUP BY g.day, g.band
ORDER BY as_of, list_position(['red', 'yellow', 'green'], g.band)
