-- D2C cohort revenue per customer: by first-order month, cumulative revenue per customer k months on.
WITH o AS (SELECT * FROM cur_orders WHERE order_date <= $as_of),
firsts AS (SELECT customer_id, date_trunc('month', min(order_date))::DATE AS cohort FROM o GROUP BY 1),
sizes AS (SELECT cohort, count(*) AS customers FROM firsts GROUP BY 1),
monthly AS (
    SELECT f.cohort, datediff('month', f.cohort, date_trunc('month', o.order_date)) AS k, sum(o.amount) AS revenue
    FROM o JOIN firsts f USING (customer_id) GROUP BY ALL
)
SELECT m.cohort, m.k, s.customers,
       sum(m.revenue) OVER (PARTITION BY m.cohort ORDER BY m.k) / s.customers AS cumulative_revenue_per_customer
FROM monthly m JOIN sizes s USING (cohort)
WHERE m.cohort >= $from::DATE
ORDER BY m.cohort, m.k
