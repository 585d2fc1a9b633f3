-- The values each account filter can take (owners, plans, segments, industries, channels), most used first.
-- (One SELECT per column rather than DuckDB's UNPIVOT: the Spark engine runs the same SQL.)
WITH attrs AS (SELECT * FROM account_attrs()),
pairs AS (
    SELECT 'owner' AS column_name, owner AS value FROM attrs
    UNION ALL SELECT 'plan', plan FROM attrs
    UNION ALL SELECT 'segment', segment FROM attrs
    UNION ALL SELECT 'industry', industry FROM attrs
    UNION ALL SELECT 'acquisition_channel', acquisition_channel FROM attrs
)
SELECT column_name, value, count(*) AS accounts
FROM pairs
WHERE value IS NOT NULL
GROUP BY ALL ORDER BY column_name, accounts DESC, value
