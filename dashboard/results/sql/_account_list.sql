-- Building block (included, not a result): the accounts active on $as_of with their tier under the rule
-- in force, their MRR then, their health score and band on $as_of and the change since $before.
SELECT * FROM (
    WITH h AS ({include:_health}),
    score AS (
        SELECT day, account_id, sum(contribution) AS score FROM h GROUP BY ALL
    )
    SELECT a.account_id, a.name, tier_of(a.mrr, a.tier_column, $t1, $t2, $manual) AS tier, a.mrr,
           s.score,
           CASE WHEN s.score < $red THEN 'red' WHEN s.score < $green THEN 'yellow'
                WHEN s.score IS NOT NULL THEN 'green' END AS band,
           s.score - b.score AS change,
           a.owner, a.plan, a.industry, a.segment, a.acquisition_channel, a.renewal_date, a.spell_start,
           datediff('day', $as_of::DATE, a.renewal_date) AS days_to_renewal
    FROM accounts_on_day($as_of, $as_of) a
    LEFT JOIN score s ON s.account_id = a.account_id AND s.day = $as_of
    LEFT JOIN score b ON b.account_id = a.account_id AND b.day = $before
)
