-- Shared building blocks, created with the schema as DuckDB table macros so every metric reads
-- from the same definitions (METRICS.md "Time" and "Revenue (MRR) churn").

-- Monthly MRR points, positive only. From the MRR history when one is loaded; else the account's
-- `mrr` in every month whose last day (or the as-of day, for the current month) the account is active
-- on: "active on day d" = contract_start <= d and (churn_date empty or d < churn_date).
CREATE OR REPLACE MACRO mrr_points(as_of) AS TABLE
    SELECT account_id, month, mrr
    FROM cur_mrr
    WHERE mrr > 0 AND month <= as_of
    UNION ALL
    SELECT a.account_id, m.month, a.mrr
    FROM cur_accounts a
    JOIN (
        SELECT unnest(generate_series(
            (SELECT date_trunc('month', min(contract_start)) FROM cur_accounts),
            date_trunc('month', as_of::DATE), INTERVAL 1 MONTH))::DATE AS month
    ) m ON a.contract_start <= least(last_day(m.month), as_of::DATE)
       AND (a.churn_date IS NULL OR least(last_day(m.month), as_of::DATE) < a.churn_date)
    WHERE a.mrr > 0 AND NOT EXISTS (SELECT 1 FROM cur_mrr);

-- Customer spells: the intervals [spell_start, spell_end) an account is a customer.
-- Accounts only: [contract_start, churn_date). With an MRR history: each run of consecutive months
-- with MRR > 0 (paid -> free or a missing month is churn, seed 001); a run still going in the last
-- month of the history is open. Day-precise dates from the accounts file refine the month edges.
CREATE OR REPLACE MACRO spells(as_of) AS TABLE
    WITH hist AS (
        SELECT account_id, month,
               (year(month) * 12 + month(month))
                 - row_number() OVER (PARTITION BY account_id ORDER BY month) AS run
        FROM cur_mrr WHERE mrr > 0 AND month <= as_of
    ),
    horizon AS (SELECT max(month) AS last_month FROM cur_mrr WHERE month <= as_of),
    runs AS (
        SELECT account_id, min(month) AS first_month, max(month) AS last_month
        FROM hist GROUP BY account_id, run
    )
    SELECT r.account_id,
           CASE WHEN a.contract_start >= r.first_month AND a.contract_start < r.first_month + INTERVAL 1 MONTH
                THEN a.contract_start ELSE r.first_month END::DATE AS spell_start,
           CASE WHEN r.last_month = h.last_month
                     THEN CASE WHEN a.churn_date > r.last_month THEN a.churn_date END
                WHEN a.churn_date > r.last_month AND a.churn_date <= r.last_month + INTERVAL 1 MONTH
                     THEN a.churn_date
                ELSE r.last_month + INTERVAL 1 MONTH END::DATE AS spell_end
    FROM runs r CROSS JOIN horizon h
    LEFT JOIN cur_accounts a USING (account_id)
    UNION ALL
    SELECT account_id, contract_start, churn_date
    FROM cur_accounts
    WHERE contract_start IS NOT NULL AND contract_start <= as_of
      AND (churn_date IS NULL OR churn_date > contract_start)
      AND NOT EXISTS (SELECT 1 FROM cur_mrr);

-- One row per account with its attributes (from the accounts file, else implied by the MRR history).
CREATE OR REPLACE MACRO account_attrs() AS TABLE
    SELECT account_id, name, owner, plan, industry, segment, tier, acquisition_channel, status,
           acquisition_cost, renewal_date, contract_start, churn_date, mrr
    FROM cur_accounts
    UNION ALL
    SELECT account_id, NULL, NULL, arg_max(plan, month), NULL, NULL, NULL, NULL, NULL,
           NULL::DECIMAL(18,4), NULL::DATE, min(month) FILTER (WHERE mrr > 0), NULL::DATE, arg_max(mrr, month)
    FROM cur_mrr
    WHERE account_id NOT IN (SELECT account_id FROM cur_accounts)
    GROUP BY account_id;
