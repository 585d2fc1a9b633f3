"""The weekly digest: one page a CS lead reads on Monday morning — the KPIs against a week before, the accounts
that turned red, renewals within 30 days and overdue tasks — for everyone or one owner's accounts. As HTML
that opens well in a mail client (tables and inline styles only, every value escaped) and as JSON for a
webhook (`python -m dashboard digest`).

``q(name, **params)`` runs results over the owner's accounts (views.caller with a scope); ``work`` is the
call list's work (worklog.state)."""

from __future__ import annotations

import datetime as dt
import html
import json
import urllib.request
from typing import Any

import pandas as pd

from dashboard import money
from dashboard.i18n import integer, pct, t

RENEWAL_DAYS = 30


def _owned(frame: pd.DataFrame, work: pd.DataFrame) -> pd.DataFrame:
    """The accounts with the owner they are assigned to now (worklog), else the export's owner."""
    if len(work) and "assigned_owner" in work:
        assigned = work[["account_id", "assigned_owner"]].dropna()
        frame = frame.merge(assigned, on="account_id", how="left")
        frame["owner"] = frame["assigned_owner"].where(frame["assigned_owner"].notna(), frame["owner"])
        frame = frame.drop(columns=["assigned_owner"])
    return frame


def build(q, work: pd.DataFrame, as_of: dt.date, today: dt.date, lang: str, owner: str | None = None) -> dict[str, Any]:
    """The digest's figures: each KPI on the as-of day and a week before, and the three lists (records). An
    owner's digest is the accounts assigned to them now (the call list's assignment, else the export's owner);
    ``q`` runs over the accounts in view (the sidebar's filters), not over an owner."""
    week_before = as_of - dt.timedelta(days=7)
    accounts = _owned(q("accounts", as_of=as_of), work)
    earlier = _owned(q("accounts", as_of=week_before, compare=False), work)
    if owner:
        accounts, earlier = accounts[accounts["owner"] == owner], earlier[earlier["owner"] == owner]
    scored = accounts["band"].notna().any() or earlier["band"].notna().any()  # no health measures: no red figures

    def kpis(frame: pd.DataFrame) -> dict:
        mrr = frame["mrr"].astype(float).sum()
        red = frame[frame["band"] == "red"]
        return {"accounts": len(frame), "mrr": mrr, "red_accounts": len(red) if scored else None,
                "red_share": float(red["mrr"].astype(float).sum() / mrr) if scored and mrr else None}
    now, before = kpis(accounts), kpis(earlier)
    red_now = accounts[accounts["band"] == "red"]
    turned = red_now.merge(earlier[["account_id", "band"]].rename(columns={"band": "band_before"}), on="account_id",
                           how="left", indicator=True)
    turned = turned[turned["band_before"] != "red"].copy()  # not red a week before: another band, no score, or
    turned["band_before"] = turned["band_before"].where(turned["_merge"] == "both", "not_customer")  # no customer
    renewals = accounts[(accounts["days_to_renewal"] > 0) & (accounts["days_to_renewal"] <= RENEWAL_DAYS)]
    open_tasks = work[(work["work_status"] == "open") & work["due"].notna()] if len(work) else work.iloc[0:0]
    overdue = open_tasks[pd.to_datetime(open_tasks["due"]) < pd.Timestamp(today)] if len(open_tasks) else open_tasks
    overdue = overdue.drop(columns=[c for c in ("assigned_owner", "owner") if c in overdue]).merge(
        accounts[["account_id", "name", "owner", "mrr"]], on="account_id", how="inner")  # the accounts in view

    def change(key: str) -> dict:
        a, b = now[key], before[key]
        return {"key": key, "now": a, "week_before": b, "change": None if a is None or b is None else a - b}
    return {
        "as_of": as_of, "week_before": week_before, "today": today, "owner": owner, "lang": lang, "scored": bool(scored),
        "kpis": [change(k) for k in ("accounts", "mrr", "red_accounts", "red_share")],
        "turned_red": _records(turned.sort_values(["mrr", "account_id"], ascending=[False, True]),
                               ["account_id", "name", "owner", "mrr", "score", "band_before"]),
        "renewals": _records(renewals.sort_values(["renewal_date", "account_id"]),
                             ["account_id", "name", "owner", "mrr", "renewal_date", "days_to_renewal", "band"]),
        "overdue_tasks": _records(overdue.sort_values(["due", "account_id"]),
                                  ["account_id", "name", "owner", "task", "due", "last_note"]),
    }


def summary_text(d: dict[str, Any], lang: str) -> str:
    """One line for a chat webhook (Slack, Teams read ``text``)."""
    return t("digest_text", lang, date=f"{d['as_of']:%Y/%m/%d}", red=integer(len(d["turned_red"])),
             renewals=integer(len(d["renewals"])), overdue=integer(len(d["overdue_tasks"])))


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    out = []
    for row in frame[[c for c in columns if c in frame]].itertuples(index=False):
        out.append({k: (None if not isinstance(v, (list, str)) and pd.isna(v) else
                        v.date() if isinstance(v, pd.Timestamp) else v.item() if hasattr(v, "item") else v)
                    for k, v in zip(row._fields, row, strict=True)})
    return out


def _value(key: str, value, lang: str) -> str:
    if value is None:
        return "—"
    if key == "mrr":
        return money.fmt(value, lang)
    if key == "red_share":
        return pct(value)
    return integer(value)


def _delta(key: str, value, lang: str) -> str:
    if value is None:
        return "—"
    if key == "red_share":
        return f"{value * 100:+.1f}pt".replace("-", "−")
    text = money.fmt(abs(value), lang) if key == "mrr" else integer(abs(value))
    return ("+" if value >= 0 else "−") + text


def _table(headers: list[str], rows: list[list[str]], empty: str) -> str:
    cell = "padding:6px 10px;border-bottom:1px solid #e5e5e5;text-align:left;font-size:14px"
    if not rows:
        return f'<p style="color:#666;font-size:14px;margin:4px 0 16px">{html.escape(empty)}</p>'
    head = "".join(f'<th style="{cell};background:#f4f6f8;font-weight:600">{html.escape(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f'<td style="{cell}">{html.escape(v)}</td>' for v in row) + "</tr>" for row in rows)
    return (f'<table role="presentation" cellspacing="0" cellpadding="0" style="border-collapse:collapse;width:100%;'
            f'margin:4px 0 16px"><tr>{head}</tr>{body}</table>')


def to_html(d: dict[str, Any], lang: str) -> str:
    """The digest as one HTML page for a mail client: tables, inline styles, escaped values, no script."""
    def day(value) -> str:
        return "—" if value is None else f"{value:%Y/%m/%d}"
    title = t("digest_title", lang, date=day(d["as_of"]))
    who = t("digest_owner", lang, owner=d["owner"]) if d["owner"] else t("all_accounts", lang)
    kpis = _table([t("digest_kpi", lang), t("digest_now", lang), t("digest_week_before", lang), t("digest_change", lang)],
                  [[t(f"digest_kpi_{k['key']}", lang), _value(k["key"], k["now"], lang),
                    _value(k["key"], k["week_before"], lang), _delta(k["key"], k["change"], lang)] for k in d["kpis"]], "")
    band = {"red": t("red", lang), "yellow": t("yellow", lang), "green": t("green", lang)}
    turned = _table([t("digest_account", lang), t("owner", lang), "MRR", t("score", lang), t("digest_band_before", lang)],
                    [[f"{r['name'] or r['account_id']}（{r['account_id']}）" if lang == "ja" else f"{r['name'] or r['account_id']} ({r['account_id']})",
                      r["owner"] or "—", money.fmt(r["mrr"], lang), "—" if r["score"] is None else f"{r['score']:.0f}",
                      band.get(r["band_before"], t("digest_not_customer", lang) if r["band_before"] == "not_customer"
                               else t("none_band", lang))]
                     for r in d["turned_red"]], t("digest_none", lang))
    renewals = _table([t("digest_account", lang), t("owner", lang), "MRR", t("renewal", lang), t("band", lang)],
                      [[r["name"] or r["account_id"], r["owner"] or "—", money.fmt(r["mrr"], lang),
                        f"{day(r['renewal_date'])}（{t('days_left', lang, n=r['days_to_renewal'])}）",
                        band.get(r["band"], t("none_band", lang))] for r in d["renewals"]], t("digest_none", lang))
    overdue = _table([t("digest_account", lang), t("owner", lang), t("work_task_kind", lang), t("work_due", lang),
                      t("work_note_text", lang)],
                     [[r["name"] or r["account_id"], r["owner"] or "—", r["task"] or "—", day(r["due"]), r["last_note"] or ""]
                      for r in d["overdue_tasks"]], t("digest_none", lang))

    def section(key: str, n: int, body: str) -> str:
        return (f'<h2 style="font-size:16px;margin:20px 0 4px;color:#1f4e79">{html.escape(t(key, lang, n=integer(n)))}</h2>'
                + body)
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        '<body style="margin:0;padding:0;background:#ffffff">'
        '<div style="max-width:720px;margin:0 auto;padding:16px;font-family:\'Noto Sans JP\',\'Hiragino Sans\','
        'Meiryo,Arial,sans-serif;color:#222">'
        f'<h1 style="font-size:20px;margin:0 0 4px">{html.escape(title)}</h1>'
        f'<p style="color:#666;font-size:13px;margin:0 0 12px">{html.escape(who)} ・ '
        f'{html.escape(t("digest_compared", lang, date=day(d["week_before"])))} ・ '
        f'{html.escape(t("digest_today", lang, date=day(d["today"])))}</p>'
        + kpis
        + ("" if d["scored"] else f'<p style="color:#666;font-size:13px">{html.escape(t("digest_unscored", lang))}</p>')
        + section("digest_turned_red", len(d["turned_red"]), turned)
        + section("digest_renewals", len(d["renewals"]), renewals)
        + section("digest_overdue", len(d["overdue_tasks"]), overdue)
        + '</div></body></html>')


def post(url: str, d: dict[str, Any], timeout: float = 10.0) -> int:
    """POST the digest as JSON to the webhook; the HTTP status (an error status raises urllib's HTTPError)."""
    from dashboard.report import jsonable

    body = json.dumps(jsonable({"text": summary_text(d, d["lang"]), **d}), ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - an editor's own setting, http(s) only
        return response.status
