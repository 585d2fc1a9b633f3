-- Accounts per health band on each day of $days (month ends and the as-of day).
-- Reads the scores of those days (result "health_scores", already over the filters).
WITH grid AS (SELECT d.day, b.band FROM (SELECT DISTINCT unnest($days::DATE[]) AS day) d
              CROSS JOIN (SELECT unnest(['red', 'yellow', 'green']) AS band) b)
SELECT g.day AS as_of, g.band, count(s.account_id) AS accounts
FROM grid g LEFT JOIN health_scores s ON s.day = g.day AND s.band = g.band
GROUP BY g.day, g.band
ORDER BY as_of, list_position(['red', 'yellow', 'green'], g.band)
