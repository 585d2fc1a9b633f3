-- D2C cohort revenue per customer: by first-order month, cumulative revenue per customer k months on, for
-- every k from 0 to the as-of month (a month without orders carries the total forward, not a gap).
WITH o AS (SELECT * FROM cur_orders WHERE order_date <= $as_of),
firsts AS (SELECT customer_id, date_trunc('month', min(order_date))::DATE AS cohort FROM o GROUP BY 1),
sizes AS (SELECT cohort, count(*) AS customers FROM firsts GROUP BY 1),
monthly AS (
    SELECT f.cohort, datediff('month', f.cohort, date_trunc('month', o.order_date)) AS k, sum(o.amount) AS revenue
    FROM o JOIN firsts f USING (customer_id) GROUP BY ALL
),
grid AS (
    SELECT cohort, customers, unnest(range(0, datediff('month', cohort, date_trunc('month', $as_of::DATE)) + 1)) AS k
    FROM sizes WHERE cohort >= $from::DATE
)
SELECT g.cohort, g.k, g.customers,
       sum(coalesce(m.revenue, 0)) OVER (PARTITION BY g.cohort ORDER BY g.k) / g.customers
           AS cumulative_revenue_per_customer
FROM grid g LEFT JOIN monthly m ON m.cohort = g.cohort AND m.k = g.k
ORDER BY g.cohort, g.k
