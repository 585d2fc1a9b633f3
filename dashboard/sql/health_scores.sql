-- Health score (METRICS.md, seed 002): each measure over the trailing window (as_of - window, as_of],
-- scored 0-100 by percentile among active accounts or linearly between a floor and a target, and
-- combined as score = sum(w_i * s_i) / sum(w_i). An active account with no usage in the window scores
-- 0 on that measure (silence is a risk, not a gap); never contacted scores 0 on days since contact.
WITH m AS (
    SELECT unnest($names::VARCHAR[]) AS name, unnest($sources::VARCHAR[]) AS source,
           unnest($aggs::VARCHAR[]) AS agg, unnest($weights::DOUBLE[]) AS weight,
           unnest($higher::BOOLEAN[]) AS higher, unnest($methods::VARCHAR[]) AS method,
           unnest($floors::DOUBLE[]) AS floor, unnest($targets::DOUBLE[]) AS target
),
active AS (
    SELECT account_id FROM spells($as_of)
    WHERE spell_start <= $as_of AND (spell_end IS NULL OR $as_of < spell_end)
),
usage_w AS (
    SELECT account_id, measure, sum(value) AS total, sum(value) / count(DISTINCT date) AS mean
    FROM cur_usage
    WHERE date > $as_of::DATE - $window_days::INTEGER AND date <= $as_of
    GROUP BY ALL
),
contact AS (
    SELECT account_id, datediff('day', max(date), $as_of::DATE) AS days
    FROM cur_touchpoints WHERE date <= $as_of GROUP BY account_id
),
raw AS (
    SELECT a.account_id, m.*,
           CASE WHEN m.source = 'touchpoints' THEN c.days
                WHEN m.agg = 'avg' THEN coalesce(u.mean, 0) ELSE coalesce(u.total, 0) END::DOUBLE AS raw
    FROM active a CROSS JOIN m
    LEFT JOIN usage_w u ON u.account_id = a.account_id AND u.measure = m.name AND m.source = 'usage'
    LEFT JOIN contact c ON c.account_id = a.account_id AND m.source = 'touchpoints'
),
scored AS (
    SELECT *,
        CASE WHEN raw IS NULL THEN 0
             WHEN higher AND raw <= 0 THEN 0
             WHEN method = 'linear' AND target IS NOT NULL AND target <> floor
                  THEN 100 * greatest(0, least(1, (raw - floor) / (target - floor)))
             WHEN higher THEN 100 * percent_rank() OVER (PARTITION BY name ORDER BY raw ASC NULLS FIRST)
             ELSE 100 * percent_rank() OVER (PARTITION BY name ORDER BY raw DESC NULLS FIRST)
        END AS measure_score
    FROM raw
)
SELECT account_id, name AS measure, raw, measure_score, weight,
       weight * measure_score / sum(weight) OVER (PARTITION BY account_id) AS contribution
FROM scored
ORDER BY account_id, name
