-- The first and last dates in the loaded data (for default ranges, the as-of date and link checks), and
-- where the time series end (MRR history, usage, orders, touchpoints): after series_last nothing is known,
-- so figures asked for a later day are shown as of it (periods.within_data). An accounts file alone has no
-- end: its state holds until the next export (series_last is NULL).
SELECT least((SELECT min(contract_start) FROM cur_accounts), (SELECT min(month) FROM mrr_history),
             (SELECT min(order_date) FROM cur_orders)) AS first,
       greatest((SELECT max(last_day(month)) FROM mrr_history), (SELECT max(date) FROM cur_usage),
                (SELECT max(order_date) FROM cur_orders), (SELECT max(date) FROM cur_touchpoints),
                (SELECT max(greatest(contract_start, churn_date)) FROM cur_accounts)) AS last,
       greatest((SELECT max(last_day(month)) FROM mrr_history), (SELECT max(date) FROM cur_usage),
                (SELECT max(order_date) FROM cur_orders), (SELECT max(date) FROM cur_touchpoints)) AS series_last
