-- Building block (included, not a result): the health score of every account active on each of $days
-- (METRICS.md, seed 002). Each measure over the trailing window (day - window, day], scored 0-100 by
-- percentile among the accounts active that day with data for it or linearly between a floor and a target,
-- and combined as score = sum(w_i * s_i) / sum(w_i) over the measures the account has data for.
-- Silence and no data (docs/metrics.md): an active account with no value of any higher-is-better usage
-- measure in the window has gone silent and scores 0 on each of them (silence is a risk, not a gap). A usage
-- measure an account has no value of otherwise (lower-is-better: always; higher-is-better: while it has
-- values of another) is no data: left out of its score (weight 0, the other weights renormalised; no value,
-- no measure score) and of that measure's percentile. Never contacted scores 0 on days since contact.
-- No measure with data: no score. Scores are computed over all active accounts: a filter selects
-- accounts, it never re-ranks them.
SELECT * FROM (
    WITH m AS (
        SELECT unnest($names::VARCHAR[]) AS name, unnest($sources::VARCHAR[]) AS source,
               unnest($aggs::VARCHAR[]) AS agg, unnest($weights::DOUBLE[]) AS weight,
               unnest($higher::BOOLEAN[]) AS higher, unnest($methods::VARCHAR[]) AS method,
               unnest($floors::DOUBLE[]) AS floor, unnest($targets::DOUBLE[]) AS target
    ),
    days AS (SELECT DISTINCT unnest($days::DATE[]) AS day),
    active AS (
        SELECT d.day, s.account_id
        FROM days d JOIN spells($as_of) s ON s.spell_start <= d.day AND (s.spell_end IS NULL OR d.day < s.spell_end)
    ),
    -- Usage over each day's window (day - window, day], in one pass over the usage table however many
    -- days: the days and their window starts cut the calendar into segments, usage is summed per account,
    -- measure and segment, and a day's window is the sum of the segments inside it. count(*) is the
    -- number of days with a value: usage holds one row per account, day and measure (its unique key).
    edges AS (
        SELECT DISTINCT x FROM (SELECT day AS x FROM days UNION ALL SELECT day - $window_days::INTEGER FROM days)
    ),
    segments AS (
        SELECT x AS lo, lead(x) OVER (ORDER BY x) AS hi, row_number() OVER (ORDER BY x)::USMALLINT AS seg
        FROM edges
    ),
    calendar AS (
        SELECT unnest(generate_series(lo + 1, hi, INTERVAL 1 DAY))::DATE AS date, seg
        FROM segments WHERE hi IS NOT NULL
    ),
    usage_seg AS (
        SELECT u.account_id, u.measure, c.seg, sum(u.value) AS total, count(*) AS n
        FROM cur_usage u JOIN calendar c USING (date)
        WHERE u.measure IN (SELECT name FROM m WHERE source = 'usage')
        GROUP BY ALL
    ),
    usage_w AS (
        SELECT d.day, s.account_id, s.measure, sum(s.total) AS total, sum(s.total) / sum(s.n) AS mean
        FROM days d JOIN segments g ON g.lo >= d.day - $window_days::INTEGER AND g.hi <= d.day
        JOIN usage_seg s ON s.seg = g.seg
        GROUP BY ALL
    ),
    contact AS (
        SELECT d.day, t.account_id, datediff('day', max(t.date), d.day) AS days
        FROM days d JOIN cur_touchpoints t ON t.date <= d.day
        WHERE EXISTS (SELECT 1 FROM m WHERE source = 'touchpoints')
        GROUP BY d.day, t.account_id
    ),
    -- the accounts with a value of a higher-is-better usage measure in each day's window (the others are silent)
    engaged AS (
        SELECT DISTINCT day, account_id FROM usage_w
        WHERE measure IN (SELECT name FROM m WHERE source = 'usage' AND higher)
    ),
    raw AS (
        SELECT a.day, a.account_id, m.*,
               m.source = 'usage' AND u.account_id IS NULL AND NOT (m.higher AND e.account_id IS NULL) AS no_data,
               CASE WHEN m.source = 'touchpoints' THEN c.days
                    WHEN u.account_id IS NULL THEN CASE WHEN m.higher AND e.account_id IS NULL THEN 0 END  -- silent: 0
                    WHEN m.agg = 'avg' THEN u.mean ELSE u.total END::DOUBLE AS raw
        FROM active a CROSS JOIN m
        LEFT JOIN usage_w u ON u.day = a.day AND u.account_id = a.account_id AND u.measure = m.name AND m.source = 'usage'
        LEFT JOIN contact c ON c.day = a.day AND c.account_id = a.account_id AND m.source = 'touchpoints'
        LEFT JOIN engaged e ON e.day = a.day AND e.account_id = a.account_id
    ),
    -- no data: no measure score and weight 0; ranked apart, so a percentile is among the accounts with data
    scored AS (
        SELECT *,
            CASE WHEN no_data THEN NULL
                 WHEN raw IS NULL THEN 0
                 WHEN higher AND raw <= 0 THEN 0
                 WHEN method = 'linear' AND target IS NOT NULL AND target <> floor
                      THEN 100 * greatest(0, least(1, (raw - floor) / (target - floor)))
                 -- one ranking for both directions: a lower-is-better measure ranks by -raw (higher is fixed per name)
                 ELSE 100 * percent_rank() OVER (PARTITION BY day, name, no_data
                                                 ORDER BY CASE WHEN higher THEN raw ELSE -raw END ASC NULLS FIRST)
            END AS measure_score,
            CASE WHEN no_data THEN 0 ELSE weight END AS weight_used
        FROM raw
    )
    SELECT day, account_id, name AS measure, source, raw, measure_score, weight_used AS weight,
           weight_used * measure_score / nullif(sum(weight_used) OVER (PARTITION BY day, account_id), 0) AS contribution
    FROM scored
)
