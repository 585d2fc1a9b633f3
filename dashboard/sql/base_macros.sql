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
    SELECT h.account_id, h.month, h.mrr, h.fx
    FROM mrr_history h
    WHERE h.mrr > 0 AND h.month <= as_of
      AND NOT EXISTS (SELECT 1 FROM kept_mrr_runs r JOIN cur_accounts a USING (account_id)
                      WHERE r.account_id = h.account_id AND r.last_month = h.month
                        AND a.churn_date > h.month AND a.churn_date < h.month + INTERVAL 1 MONTH
                        AND a.churn_date <= as_of)
    UNION ALL
    SELECT a.account_id, m.month, a.mrr, 0::DECIMAL(18,4)
    FROM cur_accounts a
    JOIN (
        SELECT unnest(generate_series(
            (SELECT date_trunc('month', min(contract_start)) FROM cur_accounts),
            date_trunc('month', as_of::DATE), INTERVAL 1 MONTH))::DATE AS month
    ) m ON a.contract_start <= least(last_day(m.month), as_of::DATE)
       AND (a.churn_date IS NULL OR least(last_day(m.month), as_of::DATE) < a.churn_date)
    WHERE a.mrr > 0 AND NOT EXISTS (SELECT 1 FROM mrr_history);

-- Customer spells: the intervals [spell_start, spell_end) an account is a customer.
-- Accounts only: [contract_start, churn_date). With an MRR history: each run of consecutive months
-- with MRR > 0 (paid -> free or a missing month is churn, seed 001); a run still going in the last
-- month of the history is open. Day-precise dates refine the month edges: the accounts file's churn date,
-- else, for a history derived from billing exports, the days the run's service began and stopped
-- (kept_mrr_runs.started_on, ended_on; a stop after the as-of day is not known then).
-- The runs of the whole history are kept (kept_mrr_runs, schema.refresh_kept); as of a day they are the
-- runs begun by then, cut at that day's month (the months up to a day are a prefix of every run).
CREATE OR REPLACE MACRO spells(as_of) AS TABLE
    WITH horizon AS (SELECT max(month) AS last_month FROM kept_mrr_months WHERE month <= as_of),
    runs AS (
        SELECT account_id, first_month, least(last_month, date_trunc('month', as_of::DATE))::DATE AS last_month,
               CASE WHEN started_on <= as_of THEN started_on END AS started_on,
               -- a stop after the as-of day is not known then: the next month's first day, as the movements say
               CASE WHEN last_month <= date_trunc('month', as_of::DATE) AND ended_on <= as_of THEN ended_on END AS ended_on
        FROM kept_mrr_runs WHERE first_month <= as_of
    )
    SELECT r.account_id,
           CASE WHEN a.contract_start >= r.first_month AND a.contract_start < r.first_month + INTERVAL 1 MONTH
                THEN a.contract_start
                WHEN r.started_on IS NOT NULL THEN r.started_on  -- the day a derived history's service began
                ELSE r.first_month END::DATE AS spell_start,
           CASE WHEN r.last_month = h.last_month
                     THEN CASE WHEN a.churn_date > r.last_month THEN a.churn_date END
                WHEN a.churn_date > r.last_month AND a.churn_date <= r.last_month + INTERVAL 1 MONTH
                     THEN a.churn_date
                WHEN r.ended_on IS NOT NULL THEN r.ended_on  -- the day a derived history's service stopped
                ELSE r.last_month + INTERVAL 1 MONTH END::DATE AS spell_end
    FROM runs r CROSS JOIN horizon h
    LEFT JOIN cur_accounts a USING (account_id)
    UNION ALL
    SELECT account_id, contract_start, churn_date
    FROM cur_accounts
    WHERE contract_start IS NOT NULL AND contract_start <= as_of
      AND (churn_date IS NULL OR churn_date > contract_start)
      AND NOT EXISTS (SELECT 1 FROM mrr_history);

-- One row per account with its attributes (from the accounts file, else implied by the MRR history: its
-- latest plan and MRR and first paid month, kept per history in kept_mrr_accounts by schema.refresh_kept).
CREATE OR REPLACE MACRO account_attrs() AS TABLE
    SELECT account_id, name, owner, plan, industry, segment, tier, acquisition_channel, status,
           acquisition_cost, renewal_date, contract_start, churn_date, mrr
    FROM cur_accounts
    UNION ALL
    SELECT account_id, NULL, NULL, plan, NULL, NULL, NULL, NULL, NULL,
           NULL::DECIMAL(18,4), NULL::DATE, first_paid, NULL::DATE, mrr
    FROM kept_mrr_accounts k
    WHERE NOT EXISTS (SELECT 1 FROM cur_accounts c WHERE c.account_id = k.account_id);

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
-- The same score from an account's weighted measure scores (has_data * weight * measure score, in a list) and the
-- sum of the weights with data: each divided by that sum, as a contribution is, then added up.
CREATE OR REPLACE MACRO health_score_of(weighted, total) AS
    round(list_sum(list_transform(weighted, lambda x: x / nullif(total, 0))), 9);

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

-- A currency as its ISO code: 円, ¥ and YEN are JPY, $ and 米ドル USD, € EUR, £ GBP, ₩ KRW; other text as written,
-- upper-cased (SGD); blank: none (the workspace's).
CREATE OR REPLACE MACRO currency_code(c) AS CASE WHEN c IS NULL OR trim(c) = '' THEN NULL ELSE
    CASE upper(trim(c)) WHEN '円' THEN 'JPY' WHEN '¥' THEN 'JPY' WHEN '￥' THEN 'JPY' WHEN 'YEN' THEN 'JPY' WHEN '日本円' THEN 'JPY'
        WHEN '$' THEN 'USD' WHEN 'US$' THEN 'USD' WHEN 'ドル' THEN 'USD' WHEN '米ドル' THEN 'USD' WHEN '€' THEN 'EUR'
        WHEN 'ユーロ' THEN 'EUR' WHEN '£' THEN 'GBP' WHEN 'ポンド' THEN 'GBP' WHEN '₩' THEN 'KRW' WHEN 'ウォン' THEN 'KRW'
        ELSE upper(trim(c)) END END;

-- The lines of the billing exports the MRR history is derived from (METRICS.md "MRR from billing data"), one
-- row each, with what the rules make of it: its monthly amount in its own currency, excluding tax
-- (`monthly`), from when to when it is in force (`paid_from` inclusive, `paid_until` exclusive), and the rule
-- that applied. An account's recurring invoice lines win over its subscriptions (what was billed, not what
-- was planned).
--   subscriptions: price per interval × quantity, less a recurring discount, per month: a year ÷ 12, a
--     quarter ÷ 3, a half-year ÷ 6, a week × 52 ÷ 12, a day × 365 ÷ 12, ÷ interval_count; a tax-inclusive
--     price ÷ (1 + rate) (10% when the rate is not given and the line is in yen). In force from the later of
--     start and trial end until service stops: ended_at, else current_period_end when it is cancelled at
--     period end, else canceled_at. Incomplete subscriptions (never paid) are not MRR.
--   invoice lines: recurring lines only (one-time, usage and credit lines are listed, never MRR; without a
--     kind column the item's words say it: 初期費用 is one-time, 月額利用料（割引適用）recurring), their net
--     amount spread over the service period: a period of k whole months (15 April–14 May is one; so is
--     Stripe's 1 April–1 May, whose end is the next period's start) ÷ k, another length by its days
--     (× 365 ÷ 12 ÷ days). In force on the days of the period, both ends included; a line without a period
--     serves the month of its invoice date (the import warns: an annual invoice needs its period).
CREATE OR REPLACE MACRO billing_lines() AS TABLE
    WITH ws AS (
        SELECT coalesce((SELECT json_extract_string(value, '$') FROM settings WHERE key = 'currency'), 'JPY') AS code
    ),
    inv AS (
        SELECT l.*,
               coalesce(l.kind, CASE
                   WHEN regexp_matches(lower(coalesce(l.item, '')), '初期費用|導入|セットアップ|初期設定|setup|onboarding|one-time|one time') THEN 'one_time'
                   WHEN regexp_matches(lower(coalesce(l.item, '')), '従量|超過|usage|overage') THEN 'usage'
                   WHEN regexp_matches(lower(coalesce(l.item, '')), '利用料|月額|年額|基本料|定額|ライセンス|license|subscription') THEN 'recurring'
                   WHEN regexp_matches(lower(coalesce(l.item, '')), '値引|割引|返金|credit|refund|discount') THEN 'credit'
                   ELSE 'recurring' END) AS line_kind,
               coalesce(l.service_start, split_part(l.service_period, '/', 1)::DATE,
                        date_trunc('month', l.invoice_date)::DATE) AS first_day,
               coalesce(l.service_end, split_part(l.service_period, '/', 2)::DATE,
                        CASE WHEN l.service_start IS NOT NULL THEN (l.service_start + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE END,
                        last_day(l.invoice_date)) AS end_given,
               CASE WHEN l.tax_included THEN CASE WHEN l.tax_amount IS NOT NULL THEN l.amount - l.tax_amount
                    ELSE l.amount / (1 + coalesce(l.tax_rate, CASE WHEN coalesce(currency_code(l.currency), (SELECT code FROM ws)) = 'JPY'
                                                                   THEN 0.1 ELSE 0 END)) END
                    ELSE l.amount END AS net
        FROM cur_invoice_lines l
    ),
    inv_months AS (
        SELECT *, CASE WHEN NOT inclusive AND exclusive THEN end_given - 1 ELSE end_given END AS last_day_served,
               CASE WHEN inclusive THEN k_incl WHEN exclusive THEN k_excl END AS k
        FROM (SELECT *, k_incl >= 1 AND first_day + to_months(k_incl) = end_given + 1 AS inclusive,
                        k_excl >= 1 AND first_day + to_months(k_excl) = end_given AS exclusive
              FROM (SELECT *, date_diff('month', first_day, end_given + 1) AS k_incl,
                              date_diff('month', first_day, end_given) AS k_excl FROM inv))
    ),
    inv_lines AS (SELECT *, date_diff('day', first_day, last_day_served + 1) AS days FROM inv_months),
    sub AS (
        SELECT s.*, coalesce(s.interval, 'month') AS every, coalesce(s.interval_count, 1) AS times,
               -- a month's share of one interval's amount, as multiply / divide (exact for month, quarter, year)
               CASE coalesce(s.interval, 'month') WHEN 'day' THEN 365 WHEN 'week' THEN 52 ELSE 1 END AS per_multiply,
               CASE coalesce(s.interval, 'month') WHEN 'day' THEN 12 WHEN 'week' THEN 12 WHEN 'month' THEN 1
                    WHEN 'quarter' THEN 3 WHEN 'half_year' THEN 6 WHEN 'year' THEN 12 END
                 * CASE WHEN coalesce(s.interval_count, 1) > 0 THEN coalesce(s.interval_count, 1) ELSE 1 END AS per_divide,
               greatest(s.start_date, s.trial_end) AS paid_from,
               coalesce(s.ended_at, CASE WHEN s.cancel_at_period_end THEN s.current_period_end END, s.canceled_at) AS paid_until,
               CASE WHEN s.tax_included THEN 1 + coalesce(s.tax_rate, CASE WHEN coalesce(currency_code(s.currency), (SELECT code FROM ws)) = 'JPY'
                                                                          THEN 0.1 ELSE 0 END) ELSE 1 END AS tax_div
        FROM cur_subscriptions s
        WHERE NOT EXISTS (SELECT 1 FROM inv WHERE inv.line_kind = 'recurring' AND inv.account_id = s.account_id)
    )
    SELECT 'subscriptions' AS source, account_id, coalesce(subscription_id, '') AS ref, plan, 'recurring' AS kind,
           currency_code(currency) AS currency, paid_from, paid_until,
           amount * coalesce(quantity, 1) * per_multiply / per_divide / tax_div AS monthly,
           -- a recurring discount, as a share of the price and as an amount per interval, for its months
           coalesce(discount_percent, 0) AS discount_share,
           coalesce(discount_amount, 0) * per_multiply / per_divide / tax_div AS discount_monthly,
           CASE WHEN discount_duration = 'once' THEN 0 WHEN discount_duration = 'forever' THEN NULL
                WHEN discount_duration IS NULL OR discount_duration = 'repeating'
                     THEN CASE WHEN sub.discount_months BETWEEN 0 AND 1200 THEN round(sub.discount_months)::INT END
                ELSE discount_duration::INT END AS discount_months,
           -- how the monthly amount was reached: per interval (its count), or a service period of so many
           -- whole months or days; and whether tax was taken out
           every AS basis, times::DOUBLE AS basis_count, coalesce(tax_included, false) AS taxed, status,
           coalesce(quantity, 1) AS units,
           lower(coalesce(status, '')) NOT IN ('incomplete', 'incomplete_expired') AND paid_from IS NOT NULL
             AND (paid_until IS NULL OR paid_until > paid_from) AND times > 0 AS counted,
           (SELECT code FROM ws) AS workspace_currency, true AS period_given
    FROM sub
    UNION ALL
    SELECT 'invoice_lines', account_id, concat_ws(' ', invoice_id, item), coalesce(plan, item), line_kind,
           currency_code(currency), first_day, (last_day_served + 1)::DATE,
           CASE WHEN k IS NOT NULL THEN net / k WHEN days > 0 THEN net * 365 / (12 * days) END,
           0, 0, NULL,
           CASE WHEN k IS NOT NULL THEN 'months' ELSE 'days' END,
           coalesce(k, days)::DOUBLE,
           coalesce(tax_included, false), NULL, NULL,
           line_kind = 'recurring' AND days > 0,
           (SELECT code FROM ws),
           service_start IS NOT NULL OR service_end IS NOT NULL OR service_period IS NOT NULL
    FROM inv_lines;

-- The MRR each billing line gives each month it is in force at the month's end (the MRR in force at a month's
-- end is the month's MRR: partial months are not averaged; the history's last month is read on the last day
-- the exports know, their as-of day, so a cancellation at period end later that month is no churn yet: the
-- next export, knowing the month's end, shows it), in the workspace currency: a line in another
-- currency × that month's rate (fx_rates; a month without a rate: `rate` is NULL and the line counts nothing,
-- named by the import's warnings). Rounded to 1/10,000 of the currency unit once, per line and month. `fx`:
-- the part of a line's MRR that only the rate moved — its amount this month at this month's rate less at the
-- month before's (constant-currency, whether the line is new this month or not) — which the movements report
-- apart for an account paying in both months (METRICS.md). The history runs to the month of the latest date
-- the exports know to have passed (a start, a cancellation, an end, a period begun, an invoice's service
-- start or date; a date ahead of today, such as a contract end written ahead, is not known to have passed).
CREATE OR REPLACE MACRO mrr_lines() AS TABLE
    WITH lines AS (
        -- `alone`: the line overlaps no other counted line of its account, so in each of its months it is the
        -- account's only line and its MRR is the account's (schema.derive_mrr sums only the other accounts')
        SELECT *, counted
            AND coalesce(paid_from >= max(coalesce(paid_until, DATE '9999-12-31')) OVER (PARTITION BY account_id, counted
                ORDER BY paid_from, paid_until, ref ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), true)
            AND coalesce(lead(paid_from) OVER (PARTITION BY account_id, counted ORDER BY paid_from, paid_until, ref)
                >= coalesce(paid_until, DATE '9999-12-31'), true) AS alone
        FROM billing_lines()),
    rates AS (SELECT month, currency_code(currency) AS currency, rate FROM cur_fx_rates),
    known AS (  -- the last day the exports know to have passed: their latest date that is not ahead of today
        SELECT max(d) AS last_day FROM (
            SELECT unnest([start_date, current_period_start, canceled_at, ended_at]) AS d FROM cur_subscriptions
            UNION ALL
            SELECT unnest([service_start, split_part(service_period, '/', 1)::DATE, invoice_date]) FROM cur_invoice_lines
        ) WHERE d <= current_date
    ),
    horizon AS (SELECT last_day AS last_known, date_trunc('month', last_day)::DATE AS last_month FROM known),
    months AS (
        -- the months from the first paid day's to the last paid day's (or the horizon): an annual line has 12
        SELECT l.*, unnest(generate_series(date_trunc('month', l.paid_from),
                                           least((SELECT last_month FROM horizon),
                                                 coalesce(date_trunc('month', l.paid_until - 1), (SELECT last_month FROM horizon))),
                                           INTERVAL 1 MONTH))::DATE AS month
        FROM lines l WHERE l.paid_from IS NOT NULL AND l.paid_from <= (SELECT last_month FROM horizon) + INTERVAL 1 MONTH
    ),
    in_force AS (
        SELECT m.*, least(last_day(m.month), (SELECT last_known FROM horizon)) AS month_end,
               m.currency IS NOT NULL AND m.currency <> m.workspace_currency AS foreign_currency,
               CASE WHEN NOT foreign_currency THEN 1 ELSE now_rate.rate END AS rate,
               CASE WHEN foreign_currency THEN before_rate.rate END AS rate_before
        FROM months m
        LEFT JOIN rates now_rate ON now_rate.month = m.month AND now_rate.currency = m.currency
        LEFT JOIN rates before_rate ON before_rate.month = (m.month - INTERVAL 1 MONTH)::DATE AND before_rate.currency = m.currency
        WHERE m.paid_from <= month_end AND (m.paid_until IS NULL OR month_end < m.paid_until)
    )
    SELECT source, account_id, ref, plan, kind, paid_from, paid_until, month, currency, rate, basis, basis_count, taxed,
           alone,
           CASE WHEN monthly < 0 THEN monthly  -- a credit for unused time nets against the account's other lines
                ELSE greatest(monthly * CASE WHEN discount_months IS NULL OR month_end < paid_from + to_months(discount_months)
                                             THEN 1 - discount_share ELSE 1 END
                              - CASE WHEN discount_months IS NULL OR month_end < paid_from + to_months(discount_months)
                                     THEN discount_monthly ELSE 0 END, 0) END AS native,
           round(native * rate, 4)::DECIMAL(18,4) AS mrr,
           coalesce(mrr - round(native * rate_before, 4)::DECIMAL(18,4), 0) AS fx,
           counted AND rate IS NOT NULL AS counted
    FROM in_force;
