-- The 30 lowest-scoring active accounts, each with the measure that pulls its score down most
-- (largest weight x (100 - measure score)) and that measure's value.
WITH {scope} a AS ({include:_account_list}),
h AS ({include:_health}),
weakest AS (
    SELECT account_id, arg_max(measure, weight * (100 - measure_score)) AS measure,
           arg_max(raw, weight * (100 - measure_score)) AS raw
    FROM h WHERE day = $as_of GROUP BY account_id
)
SELECT a.account_id, a.name, a.tier, a.mrr, a.score, a.band, a.change, w.measure AS reason_measure,
       w.raw AS reason_value, a.owner
FROM a LEFT JOIN weakest w USING (account_id)
WHERE a.score IS NOT NULL AND {in_scope:a.account_id}
ORDER BY a.score, a.mrr DESC, a.account_id
LIMIT 30
