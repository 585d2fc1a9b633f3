-- The accounts behind the health distribution (the drill-down of health_histogram.sql, the same bins): each
-- scored account with its tier and its 5-point bin (a score of 100 in the last one). Reads the account list.
SELECT name, tier, owner, mrr, score, band, (least(floor(score / 5), 19) * 5)::INTEGER AS bin_from, account_id
FROM accounts
WHERE score IS NOT NULL AND tier IS NOT NULL
ORDER BY score, account_id
