-- Building block (included instead of _health when the scores are kept, results/health_store.py): the same
-- rows as _health for $days, combined here from the parts kept for this data and as-of day (each measure's
-- raw value, measure score and whether it has data) under this configuration's weights: a measure's
-- contribution is its weight's share of the weights of the measures with data, times its measure score.
SELECT p.day, p.account_id, p.measure, p.source, p.raw, p.measure_score, p.has_data * w.weight AS weight,
       p.has_data * w.weight * p.measure_score
           / nullif(sum(p.has_data * w.weight) OVER (PARTITION BY p.day, p.account_id), 0) AS contribution
FROM kept_health_parts p
JOIN (SELECT unnest($names::VARCHAR[]) AS measure, unnest($weights::DOUBLE[]) AS weight) w USING (measure)
WHERE list_contains($health_parts::VARCHAR[], p.part_key) AND p.as_of = $as_of::DATE
  AND p.day IN (SELECT unnest($days::DATE[]))
