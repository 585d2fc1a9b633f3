-- D2C repeat purchase (METRICS.md, seed 002): per customer, orders and revenue within the horizon
-- [first purchase, first purchase + horizon days), counting only orders up to the as-of date.
WITH o AS (SELECT * FROM cur_orders WHERE order_date <= $as_of),
firsts AS (SELECT customer_id, min(order_date) AS first_order FROM o GROUP BY customer_id)
SELECT f.customer_id, f.first_order, count(*) AS orders, sum(o.amount)::DECIMAL(38,4) AS revenue,
       f.first_order + $horizon_days::INTEGER <= $as_of::DATE + 1 AS horizon_complete
FROM firsts f JOIN o ON o.customer_id = f.customer_id
     AND o.order_date < f.first_order + $horizon_days::INTEGER
WHERE f.first_order >= $from::DATE
GROUP BY ALL
ORDER BY f.customer_id
