"""How amounts and series are shown: compact yen, KPI cards, colours and date ticks."""

from __future__ import annotations

from dashboard import money


def test_compact_yen_tells_apart_amounts_below_a_million():
    """D2C cohort cells from ¥10,000 to ¥14,000 all read '¥1万'."""
    money.use("JPY")
    assert [money.compact(v, "ja") for v in (10_000, 12_500, 14_000, 874_000, 999_999, 1_000_000, 39_895_000)] == [
        "¥1万", "¥1.2万", "¥1.4万", "¥87.4万", "¥100万", "¥100万", "¥3,990万"]


def test_a_card_and_its_change_share_one_form():
    """'¥874,000' on a card over a change of '¥87万' read as two different scales."""
    money.use("JPY")
    assert money.card_with_delta(874_000, 120_000, "ja") == ("¥874,000", "¥120,000")
    assert money.card_with_delta(39_895_000, -874_000, "ja") == ("¥3,990万", "-¥87.4万")
    assert money.card_with_delta(39_895_000, 25_000_000, "en") == ("¥39.9M", "¥25.0M")


def test_no_series_is_drawn_in_a_band_colour_unless_it_is_a_band():
    """Tier3's churn line was drawn red (Plotly's default second colour) next to the red health band."""
    import datetime as dt

    import pandas as pd

    from dashboard import figures

    frame = pd.DataFrame({"segment": ["Tier1", "Tier2", "Tier3", "Partner"] * 2,
                          "period_start": [dt.date(2026, 9, 1)] * 4 + [dt.date(2026, 10, 1)] * 4,
                          "customer_churn_rate": [0.01, 0.02, 0.03, 0.04] * 2})
    fig = figures.segment_rates(frame, "Churn by tier")
    colors = {trace.name: trace.line.color for trace in fig.data}
    assert colors["Tier1"] == figures.TIER_COLORS["Tier1"] and colors["Tier3"] == figures.TIER_COLORS["Tier3"]
    assert not set(fig.layout.colorway) & set(figures.BAND_COLORS.values())


def test_a_month_end_score_sits_on_its_own_date_tick():
    """A score dated 10/31 sat on the 2026/11 tick."""
    import datetime as dt

    import pandas as pd

    from dashboard import figures

    days = [dt.date(2026, 8, 31), dt.date(2026, 9, 30), dt.date(2026, 10, 31)]
    fig = figures.score_history(pd.DataFrame({"day": days, "score": [40.0, 55.5, 61.0]}), [30, 60], "Score")
    assert list(fig.layout.xaxis.tickvals) == days and fig.layout.xaxis.tickformat == "%Y/%m/%d"


def test_a_download_reads_in_the_users_language():
    """Downloaded CSVs had English code headers (account_id, mrr) and bands 'red' in the Japanese UI."""
    import pandas as pd

    from dashboard import export

    frame = pd.DataFrame({"account_id": ["C1", "C2"], "mrr": [120000.0, 80000.0], "band": ["red", None],
                          "note": ["=cmd", "ok"]})
    shown = export.for_people(frame, {"account_id": "ID", "mrr": "MRR（月額）", "band": "区分"},
                              {"band": {"red": "赤（要注意）"}})
    text = export.to_csv_bytes(shown).decode("utf-8-sig")
    assert text.splitlines()[0] == "ID,MRR（月額）,区分,note"
    assert text.splitlines()[1] == "C1,120000.0,赤（要注意）,'=cmd"  # still neutralised for Excel


def test_the_as_of_day_is_cut_to_the_data_only_past_its_last_month():
    import datetime as dt

    from dashboard.periods import within_data

    end = dt.date(2026, 10, 13)
    assert within_data(dt.date(2026, 10, 31), end) == dt.date(2026, 10, 31)  # the data's own month
    assert within_data(dt.date(2026, 11, 1), end) == end
    assert within_data(dt.date(2026, 9, 30), end) == dt.date(2026, 9, 30)
    assert within_data(dt.date(2026, 12, 6), None) == dt.date(2026, 12, 6)  # an accounts file has no end


def test_an_amount_axis_reads_like_the_cards():
    """The MRR trend's axis read 40,000,000 under a sideways '¥' while the card above said ¥3,990万; an
    axis then read '¥5,000' beside '¥1万': one unit per axis, chosen by its largest tick."""
    import datetime as dt

    import pandas as pd

    from dashboard import figures

    money.use("JPY")
    assert money.ticks(35_500_000, 52_000_000, "ja") == (
        [35_000_000, 40_000_000, 45_000_000, 50_000_000, 55_000_000],
        ["¥3,500万", "¥4,000万", "¥4,500万", "¥5,000万", "¥5,500万"])
    assert money.ticks(0, 479_000_000, "ja")[1] == ["¥0", "¥1億", "¥2億", "¥3億", "¥4億", "¥5億"]
    assert money.ticks(0, 14_000, "ja")[1] == ["¥0", "¥5,000", "¥10,000", "¥15,000"]
    assert money.ticks(0, 14_000, "en")[1] == ["¥0", "¥5K", "¥10K", "¥15K"]
    assert money.ticks(-860_000, 1_490_000, "ja")[1] == ["-¥100万", "-¥50万", "¥0", "¥50万", "¥100万", "¥150万"]
    assert money.axis_labels([0, 5_000, 10_000, 15_000, 200_000], "ja") == ["¥0", "¥0.5万", "¥1.0万", "¥1.5万", "¥20.0万"]
    months = [dt.date(2026, m, 1) for m in (8, 9, 10)]
    movements = pd.DataFrame({"month": months, "start": [38e6, 39e6, 39_453_000], "end": [39e6, 39_453_000, 40_035_000],
                              "new": [1.2e6, 1.0e6, 1.23e6], "reactivation": [0.0, 0.0, 0.0],
                              "expansion": [0.3e6, 0.2e6, 0.26e6], "contraction": [0.1e6, 0.05e6, 0.048e6],
                              "churn": [0.4e6, 0.7e6, 0.86e6]})
    trend = figures.mrr_trend(movements, "MRR推移", "ja")
    assert list(trend.layout.yaxis.ticktext) == ["¥0", "¥1,000万", "¥2,000万", "¥3,000万", "¥4,000万", "¥5,000万"]
    assert list(trend.layout.yaxis.tickvals) == [0, 10_000_000, 20_000_000, 30_000_000, 40_000_000, 50_000_000]
    assert not trend.layout.yaxis.title.text  # the ticks carry the currency: no sideways '¥'
    fall = figures.waterfall(movements.iloc[-1], "MRRの増減内訳", "ja")
    assert "¥4,000万" in fall.layout.yaxis.ticktext and fall.data[0].text[1] == "¥123万"
    bars = figures.movements_bars(movements, "増減", "ja")
    assert list(bars.layout.yaxis.ticktext) == ["-¥100万", "-¥50万", "¥0", "¥50万", "¥100万", "¥150万"]


def test_few_churned_accounts_are_not_slivers_beside_the_accounts_at_start():
    """Two or three churned accounts a month were drawn on the axis of 250 accounts at start."""
    import datetime as dt

    import pandas as pd

    from dashboard import figures

    frame = pd.DataFrame({"period_start": [dt.date(2026, m, 1) for m in (8, 9, 10)],
                          "customers_at_start": [270, 275, 281], "customers_churned": [2, 3, 3]})
    fig = figures.churn_counts(frame, "期首顧客数と解約数", "ja")
    churned, at_start = fig.data
    assert list(churned.y) == [2, 3, 3] and churned.yaxis in (None, "y") and at_start.yaxis == "y2"
    assert list(fig.layout.yaxis.tickvals) == [0, 1, 2, 3] and fig.layout.yaxis.range[1] > 3  # room above the bars


def test_a_rate_changes_by_points_not_percent():
    """NRR going from 100.4% to 102.4% read '2.0%' on its card: a change of a rate is in points."""
    from dashboard.i18n import points

    assert (points(0.02), points(-0.0002, 2), points(None)) == ("+2.0pt", "-0.02pt", "—")


def test_a_table_s_amount_column_groups_thousands_in_every_currency():
    """Streamlit has presets for yen, dollars and euros; pounds and won read £1234567.50 and ₩1234567 until
    the format asked for separators (its sprintf's "," flag)."""
    try:
        assert [money.use(c) and money.column_format() for c in ("JPY", "USD", "EUR", "GBP", "KRW")] == [
            "yen", "dollar", "euro", "£%,.2f", "₩%,.0f"]
    finally:
        money.use("JPY")
