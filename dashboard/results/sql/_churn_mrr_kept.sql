-- _churn_mrr.sql's lookups from the kept MRR grid: its row for the month of the day carries the latest
-- paid month by then and its MRR, the point the ASOF join finds (a month missing from the history too).
-- No row (before the account's first paid month): no point, as there. The days are before the as-of day
-- (periods end by it); the least() keeps the lookup within the points as of that day regardless.
start_mrr AS (
    SELECT x.*, CASE WHEN g.paid_month >= date_trunc('month', x.spell_start) THEN g.paid_mrr ELSE 0 END AS mrr_start
    FROM at_start x LEFT JOIN kept_mrr_grid g
      ON g.account_id = x.account_id AND g.month = least(date_trunc('month', x.day), date_trunc('month', $as_of::DATE))::DATE
),
churned AS (
    SELECT x.s, x.account_id,
           CASE WHEN g.paid_month >= date_trunc('month', x.spell_start) THEN g.paid_mrr ELSE 0 END AS mrr_last
    FROM (SELECT *, (spell_end - 1)::DATE AS last_day_active FROM at_start WHERE spell_end < e) x
    LEFT JOIN kept_mrr_grid g
      ON g.account_id = x.account_id
     AND g.month = least(date_trunc('month', x.last_day_active), date_trunc('month', $as_of::DATE))::DATE
),
