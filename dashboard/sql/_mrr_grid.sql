-- The account x month MRR grid of mrr_movements: every month from an account's first paid month to the
-- as-of month with its MRR (cur; 0 without a point), the month before's (prev), whether it paid in any
-- earlier month (had_before) and its MRR twelve months earlier (year_ago). A row depends on its own and
-- earlier months only, so the grid as of a day is a prefix of the whole history's grid: with an MRR history
-- that one is kept (kept_mrr_grid, schema.keep_mrr_grid) and read instead (_mrr_grid_kept.sql) whenever it
-- reaches the as-of month. fx: the part of cur that only the exchange rates moved since the month before.
points AS (SELECT * FROM mrr_points($as_of) WHERE {in_scope:account_id}),
first_month AS (SELECT account_id, min(month) AS first_month FROM points GROUP BY account_id),
months AS (
    SELECT unnest(generate_series((SELECT min(month) FROM points), date_trunc('month', $as_of::DATE),
                                  INTERVAL 1 MONTH))::DATE AS month
),
grid AS (
    SELECT f.account_id, m.month, coalesce(p.mrr, 0) AS cur, coalesce(p.fx, 0) AS fx
    FROM first_month f JOIN months m ON m.month >= f.first_month
    LEFT JOIN points p ON p.account_id = f.account_id AND p.month = m.month
),
account_month AS (
    SELECT *, lag(cur, 1, 0) OVER w AS prev,
           coalesce(bool_or(cur > 0) OVER (PARTITION BY account_id ORDER BY month
                                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), false) AS had_before,
           lag(cur, 12) OVER w AS year_ago
    FROM grid WINDOW w AS (PARTITION BY account_id ORDER BY month)
),
