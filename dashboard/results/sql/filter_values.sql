-- The values each account filter can take (owners, plans, segments, industries, channels), most used first.
SELECT column_name, value, count(*) AS accounts
FROM (UNPIVOT (SELECT owner, plan, segment, industry, acquisition_channel FROM account_attrs())
      ON owner, plan, segment, industry, acquisition_channel INTO NAME column_name VALUE value)
WHERE value IS NOT NULL
GROUP BY ALL ORDER BY column_name, accounts DESC, value
