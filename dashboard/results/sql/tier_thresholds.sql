-- Default tier thresholds on the as-of day: round figures near the 80th (T1) and 50th (T2) percentile of
-- the positive MRR of all active accounts (never filtered: a filter must not move the brackets).
SELECT round_figure(quantile_cont(mrr, 0.8) FILTER (WHERE mrr > 0))::DOUBLE AS t1,
       round_figure(quantile_cont(mrr, 0.5) FILTER (WHERE mrr > 0))::DOUBLE AS t2,
       count(*) FILTER (WHERE tier_label(tier_column) IS NOT NULL) AS manual_accounts
FROM accounts_on_day($as_of, $as_of)
