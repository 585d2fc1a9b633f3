-- Shared building blocks, created with the schema as DuckDB table macros so every metric reads
-- from the same definitions (METRICS.md "Time" and "Revenue (MRR) churn").

-- Monthly MRR points, positive only: a month's MRR is the MRR in force at the month's end (one MRR
-- timeline for every revenue figure, METRICS.md). From the MRR history when one is loaded: its month's
-- row, except the last month of a run of paid months when the accounts file's churn_date falls inside it
-- (after its first day, by the as-of day): at that month's end the account is no customer, whatever the
-- month was billed — the day spells() ends its customer days on — so the movements date that churn in the
-- month the churn table does, with the MRR of the month end before. A history going on after that month
-- (billed in arrears, or a return) wins over the date, as in spells(). Else the account's `mrr` in every
-- month whose last day (or the as-of day, for the current month) the account is active on: "active on
-- day d" = contract_start <= d and (churn_date empty or d < churn_date).
CREATE OR REPLACE MACRO mrr_points(as_of) AS TABLE
    SELECT h.account_id, h.month, h.mrr
    FROM cur_mrr h
    WHERE h.mrr > 0 AND h.month <= as_of
      AND NOT EXISTS (SELECT 1 FROM kept_mrr_runs r JOIN cur_accounts a USING (account_id)
                      WHERE r.account_id = h.account_id AND r.last_month = h.month
                        AND a.churn_date > h.month AND a.churn_date < h.month + INTERVAL 1 MONTH
                        AND a.churn_date <= as_of)
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
-- The runs of the whole history are kept (kept_mrr_runs, schema.refresh_kept); as of a day they are the
-- runs begun by then, cut at that day's month (the months up to a day are a prefix of every run).
CREATE OR REPLACE MACRO spells(as_of) AS TABLE
    WITH horizon AS (SELECT max(month) AS last_month FROM kept_mrr_months WHERE month <= as_of),
    runs AS (
        SELECT account_id, first_month, least(last_month, date_trunc('month', as_of::DATE))::DATE AS last_month
        FROM kept_mrr_runs WHERE first_month <= as_of
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

-- One row per account with its attributes (from the accounts file, else implied by the MRR history: its
-- latest plan and MRR and first paid month, kept per history in kept_mrr_accounts by schema.refresh_kept).
CREATE OR REPLACE MACRO account_attrs() AS TABLE
    SELECT account_id, name, owner, plan, industry, segment, tier, acquisition_channel, status,
           acquisition_cost, renewal_date, contract_start, churn_date, mrr
    FROM cur_accounts
    UNION ALL
    SELECT account_id, NULL, NULL, plan, NULL, NULL, NULL, NULL, NULL,
           NULL::DECIMAL(18,4), NULL::DATE, first_paid, NULL::DATE, mrr
    FROM kept_mrr_accounts
    WHERE account_id NOT IN (SELECT account_id FROM cur_accounts);

-- "Active on day" and "MRR on day", once: the accounts that are customers on `day` (a spell covers it)
-- with their MRR then (the latest positive monthly MRR of that spell) and their attributes.
CREATE OR REPLACE MACRO accounts_on_day(day, as_of) AS TABLE
    WITH active AS (
        SELECT account_id, spell_start, day::DATE AS day
        FROM spells(as_of) WHERE spell_start <= day AND (spell_end IS NULL OR day < spell_end)
    ),
    -- MRR on the day: the latest monthly point by then (one day for every account: a grouped lookup, not
    -- an ASOF join over the whole history), counted only if it lies in the current spell.
    latest AS (
        SELECT account_id, max(month) AS month, arg_max(mrr, month) AS mrr
        FROM mrr_points(as_of) WHERE month <= day GROUP BY account_id
    ),
    with_mrr AS (
        SELECT a.account_id, a.spell_start,
               CASE WHEN pt.month >= date_trunc('month', a.spell_start) THEN pt.mrr ELSE 0 END AS mrr
        FROM active a LEFT JOIN latest pt ON pt.account_id = a.account_id
    )
    SELECT w.account_id, w.spell_start, coalesce(w.mrr, 0)::DECIMAL(18,4) AS mrr,
           attrs.name, attrs.owner, attrs.plan, attrs.industry, attrs.segment, attrs.tier AS tier_column,
           attrs.acquisition_channel, attrs.status, attrs.renewal_date
    FROM with_mrr w LEFT JOIN account_attrs() attrs USING (account_id);

-- The tier rule, once (METRICS.md "Tiers"). A manual tier label read from the export's tier column:
-- the first of 1, 2, 3 it contains (full-width too), or A/B/C; anything else is no label.
CREATE OR REPLACE MACRO tier_label(v) AS
    CASE WHEN v IS NULL THEN NULL
         WHEN contains(translate(v, '１２３', '123'), '1') THEN 'Tier1'
         WHEN contains(translate(v, '１２３', '123'), '2') THEN 'Tier2'
         WHEN contains(translate(v, '１２３', '123'), '3') THEN 'Tier3'
         WHEN upper(trim(translate(v, 'ＡＢＣａｂｃ', 'ABCabc'))) = 'A' THEN 'Tier1'
         WHEN upper(trim(translate(v, 'ＡＢＣａｂｃ', 'ABCabc'))) = 'B' THEN 'Tier2'
         WHEN upper(trim(translate(v, 'ＡＢＣａｂｃ', 'ABCabc'))) = 'C' THEN 'Tier3'
    END;

-- MRR brackets (Tier1 = MRR >= t1, Tier2 = MRR >= t2, else Tier3); with the manual rule an account's own
-- label wins and the brackets are the fallback.
CREATE OR REPLACE MACRO tier_of(mrr, tier_column, t1, t2, manual) AS
    CASE WHEN manual AND tier_label(tier_column) IS NOT NULL THEN tier_label(tier_column)
         WHEN mrr >= t1 THEN 'Tier1' WHEN mrr >= t2 THEN 'Tier2' ELSE 'Tier3' END;

-- The health band of a score (METRICS.md "Health score"): red below the red line, yellow below the green
-- line, else green; no score, no band.
CREATE OR REPLACE MACRO health_band(score, red, green) AS
    CASE WHEN score < red THEN 'red' WHEN score < green THEN 'yellow' WHEN score IS NOT NULL THEN 'green' END;

-- An account's health score on a day: the sum of its measures' contributions (an aggregate), rounded to
-- 9 decimals. A sum of doubles depends on the order the threads add them in (the last of 16 digits):
-- rounded, the same data gives the same score on every run and every engine, and ties stay ties.
CREATE OR REPLACE MACRO health_score(contribution) AS round(sum(contribution), 9);

-- A round figure near x: two significant digits, halves to even (187,300 -> 190,000; 52,345 -> 52,000).
CREATE OR REPLACE MACRO round_figure(x) AS
    CASE WHEN x IS NULL OR x <= 0 THEN 0
         ELSE round_even(x / pow(10, greatest(floor(log10(x)) - 1, 0)), 0) * pow(10, greatest(floor(log10(x)) - 1, 0))
    END;

-- Every account that has been a customer by as_of, with its tier on its last active day up to as_of:
-- the tier today for customers, the tier when they left for former customers. This is the tier the
-- tier filter selects on.
CREATE OR REPLACE MACRO account_tiers(as_of, t1, t2, manual) AS TABLE
    WITH last_spell AS (
        SELECT account_id, max(spell_start) AS spell_start,
               nullif(arg_max(coalesce(spell_end, DATE '9999-12-31'), spell_start), DATE '9999-12-31') AS spell_end
        FROM spells(as_of) WHERE spell_start <= as_of GROUP BY account_id
    ),
    last_day AS (
        SELECT account_id, spell_start,
               CASE WHEN spell_end IS NULL OR spell_end > as_of THEN as_of ELSE spell_end - 1 END::DATE AS day
        FROM last_spell
    ),
    -- the latest monthly point by that day: a grouped lookup (twice as fast at 100k accounts as an ASOF
    -- join over the whole history, the same rows)
    latest AS (
        SELECT d.account_id, max(p.month) AS month, arg_max(p.mrr, p.month) AS mrr
        FROM last_day d JOIN mrr_points(as_of) p ON p.account_id = d.account_id AND p.month <= d.day
        GROUP BY d.account_id
    ),
    with_mrr AS (
        SELECT l.account_id,
               CASE WHEN pt.month >= date_trunc('month', l.spell_start) THEN pt.mrr ELSE 0 END AS mrr
        FROM last_day l LEFT JOIN latest pt USING (account_id)
    )
    SELECT w.account_id, tier_of(coalesce(w.mrr, 0), attrs.tier, t1, t2, manual) AS tier
    FROM with_mrr w LEFT JOIN account_attrs() attrs USING (account_id);

-- An opportunity's stage and kind in canonical words (exports say 受注 / won / 成約, アップセル / upsell):
-- won, lost, open (an open stage name, or any other stage without a close date), else 'other'.
CREATE OR REPLACE MACRO opp_stage(stage, closed) AS
    CASE WHEN lower(trim(coalesce(stage, ''))) IN ('won', 'closed won', 'closed-won', '受注', '成約', '受注済', '受注済み')
              THEN 'won'
         WHEN lower(trim(coalesce(stage, ''))) IN ('lost', 'closed lost', 'closed-lost', '失注', '見送り')
              THEN 'lost'
         WHEN lower(trim(coalesce(stage, ''))) IN ('open', '商談中', '提案中', '進行中', '交渉中') OR closed IS NULL
              THEN 'open'
         ELSE 'other' END;

CREATE OR REPLACE MACRO opp_kind(kind) AS
    CASE WHEN lower(replace(replace(trim(coalesce(kind, '')), '-', ''), ' ', '')) IN ('upsell', 'アップセル') THEN 'upsell'
         WHEN lower(replace(replace(replace(trim(coalesce(kind, '')), '-', ''), ' ', ''), '_', ''))
              IN ('crosssell', 'クロスセル') THEN 'cross_sell'
         ELSE 'other' END;

-- Open on day d: created by d and not closed by then (a deal with no close date is open while its stage is).
CREATE OR REPLACE MACRO opp_open_on(stage, created, closed, d) AS
    CASE WHEN created > d THEN false
         WHEN closed IS NOT NULL THEN closed > d
         ELSE opp_stage(stage, closed) = 'open' END;
