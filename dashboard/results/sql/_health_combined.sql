-- Building block (health_store keeps its rows): each account's score on each of $days, the parts kept for this
-- data and as-of day combined under the configuration's weights in one grouping: the same numbers as adding up
-- _health_kept's contributions, without its window over every measure row.
SELECT day, account_id, health_score_of(weighted, total) AS score
FROM (
    SELECT p.day, p.account_id, list(p.has_data * w.weight * p.measure_score) AS weighted,
           sum(p.has_data * w.weight) AS total
    FROM kept_health_parts p
    JOIN (SELECT unnest($names::VARCHAR[]) AS measure, unnest($weights::DOUBLE[]) AS weight) w USING (measure)
    WHERE list_contains($health_parts::VARCHAR[], p.part_key) AND p.as_of = $as_of::DATE
      AND p.day IN (SELECT unnest($days::DATE[]))
    GROUP BY p.day, p.account_id
)
