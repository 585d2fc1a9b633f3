"""How an account's MRR history was derived from billing exports: its subscriptions or invoice lines, what each
gives per month and the rule that applied (sql/base_macros.sql billing_lines, mrr_lines). The Data page's table
"how your MRR was derived" and `python -m dashboard explain-mrr` show the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dashboard import money
from dashboard.db import Database
from dashboard.i18n import t

# Per billing interval: (the words for its amount, what one amount is divided by to make a month's, multiplied by)
_PER = {"day": ("per_day", 12, 365), "week": ("per_week", 12, 52), "month": ("per_month", 1, 1),
        "quarter": ("per_quarter", 3, 1), "half_year": ("per_half_year", 6, 1), "year": ("per_year", 12, 1)}


def source_of(db: Database, account_id: str) -> str | None:
    """Where the account's MRR history comes from: the imported history wins, then invoice lines, then
    subscriptions (the order of sql/base_macros.sql billing_lines and schema.derive_mrr); None: nowhere."""
    def read(con) -> str | None:
        for dataset in ("mrr", "invoice_lines", "subscriptions"):
            if con.execute(f'SELECT count(*) FROM "cur_{dataset}" WHERE account_id = ?',  # noqa: S608 (our names)
                           [account_id]).fetchone()[0]:
                return dataset
        return None
    return db.read(read)


def rule(line: dict[str, Any], lang: str | None = None) -> str:
    """The rule that made one line's monthly amount, in words."""
    basis, count = line["basis"], line["basis_count"] or 1
    if line["source"] == "invoice_lines":
        text = t("rule_months" if basis == "months" else "rule_days", lang, n=f"{count:g}")
    else:
        words, divide, multiply = _PER.get(basis, _PER["month"])
        divide = divide * count
        text = t(words, lang) + (t("rule_every", lang, n=f"{count:g}") if count != 1 else "")
        text += t("rule_quantity", lang, n=f"{line['units']:g}") if line.get("units") not in (None, 1) else ""
        text += (f" × {multiply}" if multiply != 1 else "") + (f" ÷ {divide:g}" if divide != 1 else "")
    if line["taxed"]:
        text += t("rule_tax", lang)
    return text


def why_not(line: dict[str, Any], lang: str | None = None) -> str | None:
    """Why a line counts no MRR (None: it counts)."""
    if line["kind"] != "recurring":
        return t(f"line_{line['kind']}", lang)
    if line["source"] == "subscriptions" and str(line.get("status") or "").lower() in ("incomplete", "incomplete_expired"):
        return t("line_incomplete", lang)
    if line["paid_until"] is not None and line["paid_from"] is not None and line["paid_until"] <= line["paid_from"]:
        return t("line_never_paid", lang)
    return None


def explain(db: Database, account_id: str, month: dt.date | None = None, lang: str | None = None) -> dict[str, Any]:
    """The account's billing lines (each with its monthly amount and rule, or why it counts nothing) and, per
    month, what each line gave at the month's end (the exports' last day, for their last month) and the
    month's MRR in the history every figure reads."""
    source = source_of(db, account_id)
    out: dict[str, Any] = {"account_id": account_id, "source": source, "lines": [], "months": []}
    if source is None:
        return out
    if source in ("invoice_lines", "subscriptions"):
        lines = db.query("SELECT * FROM billing_lines() WHERE account_id = ? ORDER BY paid_from, ref", [account_id])
        for line in lines.to_dict("records"):
            line = {k: (None if v is None or v != v else v) for k, v in line.items()}  # NaN/NaT: none
            out["lines"].append({
                "source": line["source"], "ref": line["ref"], "plan": line["plan"], "kind": line["kind"],
                "currency": line["currency"], "from": _day(line["paid_from"]),
                "until": _day(line["paid_until"] - dt.timedelta(days=1)) if line["paid_until"] is not None else None,
                "monthly": _money(line["monthly"]), "rule": rule(line, lang), "not_mrr": why_not(line, lang)})
        per_line = db.query(
            "SELECT month, ref, plan, currency, rate, native, mrr, fx, counted FROM mrr_lines() "
            "WHERE account_id = $account AND ($month IS NULL OR month = $month) ORDER BY month, ref",
            {"account": account_id, "month": month})
    else:
        per_line = None
    totals = db.query("SELECT month, mrr, fx, plan FROM mrr_history WHERE account_id = $account "
                      "AND ($month IS NULL OR month = $month) ORDER BY month", {"account": account_id, "month": month})
    for row in totals.itertuples():
        entry = {"month": row.month.strftime("%Y-%m"), "mrr": _money(row.mrr), "fx": _money(row.fx), "plan": row.plan}
        if per_line is not None:
            here = per_line[per_line["month"] == row.month]
            entry["lines"] = [{"ref": r.ref, "currency": r.currency, "native": _money(r.native),
                               "rate": None if r.rate != r.rate else float(r.rate), "mrr": _money(r.mrr),
                               "counted": bool(r.counted)} for r in here.itertuples()]
        out["months"].append(entry)
    return out


def _money(value: object) -> Decimal | None:
    if value is None or value != value:  # noqa: PLR0124 - NaN
        return None
    return Decimal(str(value)).quantize(Decimal("0.0001")).normalize() if not isinstance(value, Decimal) else value


def _day(value: object) -> str | None:
    if value is None or value != value:  # noqa: PLR0124 - NaT
        return None
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)


def month_table(explained: dict[str, Any], lang: str | None = None) -> list[dict[str, Any]]:
    """One row per month and line, for the Data page: the month, the line, what it gave, the month's MRR."""
    rows = []
    for entry in explained["months"]:
        for line in entry.get("lines") or [{"ref": "", "native": entry["mrr"], "currency": None, "rate": None,
                                           "mrr": entry["mrr"], "counted": True}]:
            rows.append({"month": entry["month"], "ref": line["ref"], "native": line["native"],
                         "currency": line["currency"] or money.current().code, "rate": line["rate"],
                         "mrr_line": line["mrr"] if line["counted"] else None, "mrr": entry["mrr"], "fx": entry["fx"]})
    return rows
