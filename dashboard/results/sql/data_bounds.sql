-- The first and last dates in the loaded data (for default ranges, the as-of date and link checks).
SELECT least((SELECT min(contract_start) FROM cur_accounts), (SELECT min(month) FROM cur_mrr),
             (SELECT min(order_date) FROM cur_orders)) AS first,
       greatest((SELECT max(last_day(month)) FROM cur_mrr), (SELECT max(date) FROM cur_usage),
                (SELECT max(order_date) FROM cur_orders), (SELECT max(date) FROM cur_touchpoints),
                (SELECT max(greatest(contract_start, churn_date)) FROM cur_accounts)) AS last
