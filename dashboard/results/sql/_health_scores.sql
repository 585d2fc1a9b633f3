-- Building block (included, not a result): each active account's health score on each of $days, the sum of
-- its measures' contributions (_health). Kept next to the measure rows (kept_health_scores, a quarter of
-- their rows) and read from there when they are (_health_scores_kept.sql, results/health_store.py).
SELECT day, account_id, health_score(contribution) AS score FROM ({include:_health}) h GROUP BY day, account_id
