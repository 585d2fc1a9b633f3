-- D2C customers by the channel of their first order: customers, their orders and revenue within the horizon
-- [first purchase, first purchase + horizon days), AOV, repeat rate (2+ orders) and revenue per customer.
WITH o AS (SELECT * FROM cur_orders WHERE order_date <= $as_of),
firsts AS (
    SELECT customer_id, min(order_date) AS first_order,
           arg_min(coalesce(nullif(trim(channel), ''), '(none)'), order_date) AS channel
    FROM o GROUP BY customer_id
),
per_customer AS (
    SELECT f.customer_id, f.channel, count(*) AS orders, sum(o.amount) AS revenue
    FROM firsts f JOIN o ON o.customer_id = f.customer_id AND o.order_date < f.first_order + $horizon_days::INTEGER
    WHERE f.first_order >= $from::DATE
    GROUP BY ALL
)
SELECT channel, count(*) AS customers, sum(orders) AS orders, sum(revenue)::DECIMAL(38,4) AS revenue,
       sum(revenue) / sum(orders) AS aov, count(*) FILTER (WHERE orders >= 2) / count(*) AS repeat_rate,
       sum(revenue) / count(*) AS revenue_per_customer
FROM per_customer
GROUP BY channel
ORDER BY revenue DESC, channel
