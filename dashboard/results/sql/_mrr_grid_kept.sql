-- The kept grid of the whole MRR history (see _mrr_grid.sql), cut at the as-of day.
account_month AS (
    SELECT account_id, month, cur, prev, had_before, year_ago, fx
    FROM kept_mrr_grid WHERE month <= $as_of AND {in_scope:account_id}
),
