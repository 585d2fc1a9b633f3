-- The Overview's cards over the account list: active accounts, their MRR and the red accounts' share of it
-- (no share without health scores or MRR). Reads the account list (result "accounts", over the filters).
SELECT count(*) AS accounts, coalesce(sum(mrr), 0)::DECIMAL(38,4) AS mrr,
       CASE WHEN count(band) > 0 THEN sum(mrr) FILTER (WHERE band = 'red') / nullif(sum(mrr), 0) END AS red_share
FROM accounts
