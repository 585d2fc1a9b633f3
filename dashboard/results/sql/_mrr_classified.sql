-- Each account-month of the MRR grid (_mrr_grid.sql) classified in exactly one movement (METRICS.md), with its
-- amount and the part the exchange rate alone moved: what the movements sum (mrr_movements.sql) and what the
-- account page lists (account_mrr.sql), from one CASE.
classified AS (
    SELECT *,
        CASE WHEN prev = 0 AND cur > 0 AND NOT had_before THEN 'new'
             WHEN prev = 0 AND cur > 0 THEN 'reactivation'
             WHEN prev > 0 AND cur > 0 AND cur - fx > prev THEN 'expansion'
             WHEN prev > 0 AND cur > 0 AND cur - fx < prev THEN 'contraction'
             WHEN prev > 0 AND cur = 0 THEN 'churn'
        END AS movement,
        CASE WHEN prev > 0 AND cur > 0 THEN abs(cur - fx - prev) ELSE abs(cur - prev) END AS amount,
        CASE WHEN prev > 0 AND cur > 0 THEN fx ELSE 0 END AS fx_amount
    FROM account_month
),
