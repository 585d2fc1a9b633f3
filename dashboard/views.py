"""What the pages show, computed from cached metric calls (``q`` is ui.q in the app, a plain caller in tests)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard import metrics as M
from dashboard import money


def _last_complete_month(as_of: dt.date) -> dt.date:
    """The last month that has fully ended by the as-of day (the as-of month if as_of is its last day)."""
    nxt = as_of + dt.timedelta(days=1)
    return M.P.add_months(nxt.replace(day=1), -1)


def kpis(q, as_of: dt.date) -> dict:
    """KPI cards and their change against the previous period: the end of the month before as_of's month."""
    prev_day = as_of.replace(day=1) - dt.timedelta(days=1)
    accounts, _ = q("tiers_as_of", as_of=as_of)
    prev_accounts, _ = q("tiers_as_of", as_of=prev_day)
    churn_month = _last_complete_month(as_of)
    churn = q("churn", as_of=as_of, grain="month", start=M.P.add_months(churn_month, -1))
    churn = churn[churn["complete"]]
    movements = q("mrr_movements", as_of=as_of, start=M.P.add_months(churn_month, -1))
    movements = movements[movements["month"] <= pd.Timestamp(churn_month)] if len(movements) else movements
    out = {
        "active": len(accounts), "active_delta": len(accounts) - len(prev_accounts),
        "mrr": money.total(accounts["mrr"]), "mrr_delta": money.total(accounts["mrr"]) - money.total(prev_accounts["mrr"]),
        "churn_month": churn_month if len(churn) else None,
        "churn_rate": None, "churn_rate_delta": None, "revenue_churn": None, "revenue_churn_delta": None,
        "nrr": None, "nrr_delta": None, "movement_month": None,
    }
    if len(churn):
        last = churn.iloc[-1]
        out["churn_month"] = last["period_start"].date()
        out["churn_rate"] = _num(last["customer_churn_rate"])
        if len(churn) > 1:
            out["churn_rate_delta"] = _diff(last["customer_churn_rate"], churn.iloc[-2]["customer_churn_rate"])
    if len(movements):
        last = movements.iloc[-1]
        out["movement_month"] = last["month"]
        out["revenue_churn"] = _num(last["gross_revenue_churn_rate"])
        out["nrr"] = _num(last["nrr_12m"])
        if len(movements) > 1:
            before = movements.iloc[-2]
            out["revenue_churn_delta"] = _diff(last["gross_revenue_churn_rate"], before["gross_revenue_churn_rate"])
            out["nrr_delta"] = _diff(last["nrr_12m"], before["nrr_12m"])
    config = q("health_config")
    red_now = _red_share(q, accounts, as_of, config)
    red_before = _red_share(q, prev_accounts, prev_day, config)
    out["red_share"] = red_now
    out["red_share_delta"] = _diff(red_now, red_before)
    renewals = M.renewals_due(accounts, as_of, days=90)
    out["renewals"] = len(renewals)
    out["renewals_mrr"] = money.total(renewals["mrr"]) if len(renewals) else 0
    return out


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _diff(a, b) -> float | None:
    a, b = _num(a), _num(b)
    return None if a is None or b is None else a - b


def _red_share(q, accounts: pd.DataFrame, as_of: dt.date, config: dict) -> float | None:
    if not config["measures"] or accounts.empty or accounts["mrr"].sum() == 0:
        return None
    scores = q("health_scores", as_of=as_of, config=config, with_change=False)
    red = set(scores.loc[scores["band"] == "red", "account_id"])
    return float(accounts.loc[accounts["account_id"].isin(red), "mrr"].sum() / accounts["mrr"].sum())


def tier_summary(q, as_of: dt.date) -> pd.DataFrame:
    accounts, _ = q("tiers_as_of", as_of=as_of)
    return M.tier_summary(accounts)


def accounts_with_health(q, as_of: dt.date) -> pd.DataFrame:
    accounts, _ = q("tiers_as_of", as_of=as_of)
    config = q("health_config")
    if config["measures"]:
        scores = q("health_scores", as_of=as_of, config=config, with_change=True)
        accounts = accounts.merge(scores, on="account_id", how="left")
    else:
        accounts = accounts.assign(score=None, band=None, change=None)
    return accounts


def at_risk(q, as_of: dt.date) -> pd.DataFrame:
    """Red accounts, largest MRR first: the calls to make today."""
    accounts = accounts_with_health(q, as_of)
    red = accounts[accounts["band"] == "red"].sort_values(["mrr", "score"], ascending=[False, True])
    return red[[c for c in ACCOUNT_COLUMNS if c in red]]


ACCOUNT_COLUMNS = ["account_id", "name", "tier", "mrr", "score", "band", "change", "owner", "plan", "renewal_date"]


def account_columns(lang: str) -> dict:
    import streamlit as st

    ja = lang == "ja"
    return {
        "account_id": st.column_config.TextColumn("ID"),
        "name": st.column_config.TextColumn("会社名" if ja else "Company"),
        "tier": st.column_config.TextColumn("ティア" if ja else "Tier"),
        "mrr": st.column_config.NumberColumn("MRR", format="yen"),
        "score": st.column_config.ProgressColumn("スコア" if ja else "Score", min_value=0, max_value=100, format="%.0f"),
        "band": st.column_config.TextColumn("区分" if ja else "Band"),
        "change": st.column_config.NumberColumn("前回比" if ja else "Change", format="%+.1f"),
        "owner": st.column_config.TextColumn("担当CSM" if ja else "Owner"),
        "plan": st.column_config.TextColumn("プラン" if ja else "Plan"),
        "renewal_date": st.column_config.DateColumn("更新日" if ja else "Renewal", format="YYYY/MM/DD"),
    }


# -- Tiers page --------------------------------------------------------------------------------------
WON = ("won", "受注", "closed won", "成約")
OPEN = ("open", "商談中", "提案中", "進行中")


def tier_kpis(q, accounts: pd.DataFrame, start: dt.date, as_of: dt.date) -> pd.DataFrame:
    """Per tier: coverage model and the seed KPIs where the data exists (upsell won, open pipeline)."""
    rows = []
    opps = q("opportunities")
    if len(opps):
        opps = opps.merge(accounts[["account_id", "tier"]], on="account_id", how="inner")
        stage = opps["stage"].fillna("").str.lower()
        closed = pd.to_datetime(opps["closed"])
        won = opps[stage.isin(WON) & closed.between(pd.Timestamp(start), pd.Timestamp(as_of))]
        open_ = opps[stage.isin(OPEN)]
    for tier in M.TIERS:
        part = accounts[accounts["tier"] == tier]
        row = {"tier": tier, "coverage": M.TIER_PLAYBOOK[tier]["coverage"], "accounts": len(part),
               "mrr": money.total(part["mrr"]), "arpa": part["mrr"].mean() if len(part) else None}
        if len(opps):
            row |= {"upsell_won": money.total(won.loc[won["tier"] == tier, "amount"]),
                    "pipeline_amount": money.total(open_.loc[open_["tier"] == tier, "amount"]),
                    "pipeline_count": int((open_["tier"] == tier).sum())}
        rows.append(row)
    return pd.DataFrame(rows)


def health_mix_by_tier(q, as_of: dt.date) -> pd.DataFrame:
    accounts = accounts_with_health(q, as_of)
    accounts = accounts[accounts["band"].notna()]
    return accounts.groupby(["tier", "band"], as_index=False).agg(accounts=("account_id", "count"))


# -- Health page -------------------------------------------------------------------------------------
def band_history(q, as_of: dt.date, start: dt.date, config: dict) -> pd.DataFrame:
    """Band counts at each month end from ``start`` to ``as_of`` (and at as_of itself)."""
    days = []
    month = start.replace(day=1)
    while True:
        end = M.P.add_months(month, 1) - dt.timedelta(days=1)
        if end >= as_of:
            break
        days.append(end)
        month = M.P.add_months(month, 1)
    days.append(as_of)
    rows = []
    for day in days:
        scores = q("health_scores", as_of=day, config=config, with_change=False)
        for band in ("red", "yellow", "green"):
            rows.append({"as_of": day, "band": band, "accounts": int((scores["band"] == band).sum())})
    return pd.DataFrame(rows)


def lowest_with_reasons(q, as_of: dt.date, config: dict, f) -> pd.DataFrame:
    """The lowest-scoring accounts with the measure that pulls each down most."""
    accounts = apply_filters(accounts_with_health(q, as_of), f)
    details = q("health_details", as_of=as_of, config=config)
    weakest = (details.assign(gap=details["weight"] * (100 - details["measure_score"]))
               .sort_values("gap", ascending=False).groupby("account_id").head(1)
               .set_index("account_id"))
    accounts = accounts.sort_values("score").head(30).copy()
    accounts["reason"] = accounts["account_id"].map(
        lambda a: f"{weakest.loc[a, 'measure']} ({weakest.loc[a, 'raw']:,.0f})" if a in weakest.index else "")
    return accounts


def apply_filters(frame: pd.DataFrame, f) -> pd.DataFrame:
    if f is None:
        return frame
    if f.tiers and "tier" in frame:
        frame = frame[frame["tier"].isin(f.tiers)]
    if f.owners and "owner" in frame:
        frame = frame[frame["owner"].isin(f.owners)]
    return frame


def localize_bands(frame: pd.DataFrame, t) -> pd.DataFrame:
    """Band names in the user's language for tables."""
    if "band" in frame:
        frame = frame.assign(band=frame["band"].map(lambda b: t(b) if isinstance(b, str) else b))
    return frame
