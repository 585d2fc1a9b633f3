-- Scored accounts per tier in 5-point score bins: 0–5, 5–10, …, 95–100 (a score of 100 counts in the
-- last bin). What the health distribution draws: 60 rows at most, whatever the number of accounts.
-- Reads the account list (result "accounts", already over the filters).
SELECT tier, (least(floor(score / 5), 19) * 5)::INTEGER AS bin_from, count(*) AS accounts
FROM accounts
WHERE score IS NOT NULL AND tier IS NOT NULL
GROUP BY tier, bin_from
ORDER BY tier, bin_from
