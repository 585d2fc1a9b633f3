-- The calls to make: active accounts with a health score in the bands asked for ($bands, red by
-- default), ranked by risk: red before yellow before green, then the most MRR at stake, then the lowest
-- score. $within_days (optional) keeps accounts renewing in (as_of, as_of + within_days].
-- Reads the account list (result "accounts", already over the filters).
SELECT account_id, name, tier, owner, mrr, score, band, change, renewal_date, days_to_renewal,
       last_contact, days_since_contact, usage_measure, usage_value, usage_score,
       datediff('day', spell_start, $as_of::DATE) AS account_age_days, plan
FROM accounts
WHERE score IS NOT NULL
  AND band IN (SELECT unnest($bands::VARCHAR[]))
  AND ($within_days::INTEGER IS NULL OR (days_to_renewal > 0 AND days_to_renewal <= $within_days::INTEGER))
ORDER BY list_position(['red', 'yellow', 'green'], band), mrr DESC, score, account_id
