-- One account's MRR at each month's end and that month's movement: its rows of the movements (the same grid,
-- the same CASE: _mrr_grid.sql, _mrr_classified.sql), for the account page's MRR timeline.
WITH {include:_mrr_grid}
{include:_mrr_classified}
picked AS (SELECT * FROM classified WHERE account_id = $account_id AND (cur > 0 OR prev > 0))
SELECT month, cur AS mrr, movement, amount, fx_amount AS fx
FROM picked
ORDER BY month
