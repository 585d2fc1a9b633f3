-- Seed 002's finding, side by side: contacts per account in the 180 days before churn, for accounts that
-- churned in the 12 months to the as-of day (churn date in (as_of - 12 months, as_of], not a customer on
-- the as-of day), against contacts per account in the 180 days to the as-of day, for accounts active on
-- it and for at least 180 days. Windows: [churn - 180, churn) and (as_of - 180, as_of].
WITH {scope} sp AS (SELECT * FROM spells($as_of) WHERE {in_scope:account_id}),
active AS (
    SELECT account_id, min(spell_start) AS since FROM sp
    WHERE spell_start <= $as_of AND (spell_end IS NULL OR $as_of < spell_end) GROUP BY ALL
),
churned AS (
    SELECT account_id, max(spell_end) AS churn_date FROM sp
    WHERE spell_end <= $as_of AND spell_end > $as_of::DATE - INTERVAL 12 MONTH
      AND NOT EXISTS (SELECT 1 FROM active a WHERE a.account_id = sp.account_id)
    GROUP BY ALL
),
retained AS (  -- a customer through the whole window (as_of - 180, as_of]
    SELECT account_id FROM active WHERE since <= $as_of::DATE - 179
),
groups AS (
    SELECT 'churned' AS "group", c.account_id, (c.churn_date - 180)::DATE AS lo, c.churn_date AS hi_excl
    FROM churned c
    UNION ALL
    SELECT 'retained', r.account_id, ($as_of::DATE - 179)::DATE, ($as_of::DATE + 1)::DATE FROM retained r
),
counts AS (
    SELECT g."group", g.account_id, count(t.account_id) AS contacts
    FROM groups g LEFT JOIN cur_touchpoints t ON t.account_id = g.account_id AND t.date >= g.lo AND t.date < g.hi_excl
    GROUP BY ALL
)
SELECT k."group", count(c.account_id) AS accounts, avg(c.contacts) AS contacts_per_account,
       count(c.account_id) FILTER (WHERE c.contacts = 0) AS accounts_without_contact
FROM (SELECT unnest(['churned', 'retained']) AS "group") k LEFT JOIN counts c USING ("group")
GROUP BY ALL ORDER BY k."group"
