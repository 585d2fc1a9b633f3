-- The deals open on the as-of day (created by then, not closed by then) per tier, owner and stage, over
-- the accounts in scope. Tier: the account's tier on the as-of day, or on its last day as a customer.
WITH {scope} t AS (SELECT * FROM account_tiers($as_of, $t1, $t2, $manual)),
attrs AS (SELECT account_id, owner FROM account_attrs())
SELECT coalesce(t.tier, 'none') AS tier, coalesce(attrs.owner, '') AS owner, coalesce(o.stage, '') AS stage,
       opp_kind(o.kind) AS kind, sum(o.amount)::DECIMAL(38,4) AS open_amount, count(*) AS open_count
FROM cur_opportunities o
LEFT JOIN t USING (account_id) LEFT JOIN attrs USING (account_id)
WHERE opp_open_on(o.stage, o.created, o.closed, $as_of::DATE) AND {in_scope:o.account_id}
GROUP BY ALL
ORDER BY tier, open_amount DESC, owner, stage
