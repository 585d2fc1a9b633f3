-- Building block (included, not a result): the accounts active on $as_of with their tier under the rule
-- in force, their MRR then, their health score and band on $as_of and the change since $before; the
-- measure that pulls the score down most (largest weight x (100 - measure score); on a tie the first by
-- name; a measure the account has no data for is none), overall and among the usage measures, with its value and
-- score; the days since the last contact (touchpoints); and the
-- deals open on $as_of (opportunities).
SELECT * FROM (
    WITH h AS ({include:_health}),
    score AS (
        SELECT day, account_id, health_score(contribution) AS score FROM h GROUP BY ALL
    ),
    -- the weakest measure's row as one struct: its value is that measure's value even when it is empty
    -- (arg_min of the value alone would skip a NULL and take the next measure's value)
    weakest AS (
        SELECT account_id, overall.measure AS reason_measure, overall.raw AS reason_value,
               weak_usage.measure AS usage_measure, weak_usage.raw AS usage_value, weak_usage.score AS usage_score
        FROM (
            SELECT account_id,
                   arg_min({'measure': measure, 'raw': raw}, (weight * (measure_score - 100), measure))
                       FILTER (WHERE measure_score IS NOT NULL) AS overall,
                   arg_min({'measure': measure, 'raw': raw, 'score': measure_score},
                           (weight * (measure_score - 100), measure))
                       FILTER (WHERE source = 'usage' AND measure_score IS NOT NULL) AS weak_usage
            FROM h WHERE day = $as_of GROUP BY account_id
        )
    ),
    deals AS (
        SELECT account_id, count(*) AS open_deals, sum(amount)::DECIMAL(38,4) AS open_amount
        FROM cur_opportunities WHERE opp_open_on(stage, created, closed, $as_of::DATE) GROUP BY ALL
    ),
    contact AS (
        SELECT account_id, max(date) AS last_contact FROM cur_touchpoints WHERE date <= $as_of GROUP BY ALL
    )
    SELECT a.account_id, a.name, tier_of(a.mrr, a.tier_column, $t1, $t2, $manual) AS tier, a.mrr,
           s.score,
           health_band(s.score, $red, $green) AS band,
           s.score - b.score AS change,
           a.owner, a.plan, a.industry, a.segment, a.acquisition_channel, a.renewal_date, a.spell_start,
           datediff('day', $as_of::DATE, a.renewal_date) AS days_to_renewal,
           c.last_contact, datediff('day', c.last_contact, $as_of::DATE) AS days_since_contact,
           coalesce(o.open_deals, 0) AS open_deals, coalesce(o.open_amount, 0)::DECIMAL(38,4) AS open_amount,
           w.reason_measure, w.reason_value, w.usage_measure, w.usage_value, w.usage_score
    FROM accounts_on_day($as_of, $as_of) a
    LEFT JOIN score s ON s.account_id = a.account_id AND s.day = $as_of
    LEFT JOIN score b ON b.account_id = a.account_id AND b.day = $before
    LEFT JOIN weakest w ON w.account_id = a.account_id
    LEFT JOIN contact c ON c.account_id = a.account_id
    LEFT JOIN deals o ON o.account_id = a.account_id
)
