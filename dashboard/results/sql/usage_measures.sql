-- The measures of the loaded usage (one per imported usage column).
SELECT DISTINCT measure FROM cur_usage ORDER BY measure
