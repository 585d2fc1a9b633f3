-- Building block: the accounts whose customer spell ended in the $horizon_days days after each of $days
-- (day, account_id): what the health validation counts as churned.
SELECT DISTINCT dd.day, sp.account_id
FROM (SELECT DISTINCT unnest($days::DATE[]) AS day) dd
JOIN spells($as_of) sp ON sp.spell_end > dd.day AND sp.spell_end <= dd.day + $horizon_days::INTEGER
