-- Renewals due in the next 30, 60 and 90 days (as_of < renewal_date <= as_of + N, active accounts) by
-- health band, with the MRR at stake. Reads the account list (result "accounts", over the filters).
WITH w AS (SELECT unnest([30, 60, 90]) AS within_days),
b AS (SELECT unnest(['red', 'yellow', 'green', 'none']) AS band)
SELECT w.within_days, b.band, count(a.account_id) AS accounts, coalesce(sum(a.mrr), 0)::DECIMAL(38,4) AS mrr
FROM w CROSS JOIN b
LEFT JOIN accounts a ON coalesce(a.band, 'none') = b.band
     AND a.days_to_renewal > 0 AND a.days_to_renewal <= w.within_days
GROUP BY w.within_days, b.band
ORDER BY w.within_days, list_position(['red', 'yellow', 'green', 'none'], b.band)
