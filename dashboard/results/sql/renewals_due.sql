-- Active accounts whose renewal date falls in (as_of, as_of + $within_days], soonest first.
WITH {scope} a AS ({include:_account_list})
SELECT account_id, name, tier, mrr, score, band, owner, renewal_date, days_to_renewal
FROM a WHERE renewal_date > $as_of AND renewal_date <= $as_of::DATE + $within_days::INTEGER AND {in_scope:account_id}
ORDER BY renewal_date, mrr DESC, account_id
