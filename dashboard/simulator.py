"""LTV/CPA what-if models (METRICS.md; seeds 002, 003, 004) as pure functions, plus their CLI."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass


def _rate(value: float, name: str, *, allow_zero: bool = True, upper: float = 1.0) -> float:
    if not (0 <= value <= upper) or (not allow_zero and value == 0):
        raise ValueError(f"{name} must be between 0 and {upper:g}{'' if allow_zero else ' (not 0)'}, got {value}")
    return value


# -- D2C repeat purchase (seed 002) ---------------------------------------------------------------------
def parse_purchases(text: str) -> dict[float, float]:
    """'1:0.7,2:0.2,3.5:0.1' -> {1.0: 0.7, 2.0: 0.2, 3.5: 0.1} (purchases: share of customers)."""
    out: dict[float, float] = {}
    for part in text.split(","):
        count, sep, share = part.partition(":")
        if not sep:
            raise ValueError(f"expected count:share, got {part!r}")
        out[float(count)] = float(share)
    return out


def d2c(aov: float, purchases: dict[float, float], gross_margin: float, lead_conversion: float | None = None,
        target_roas: float = 1.0) -> dict:
    """LTV = AOV x purchases per customer; allowable CPA = gross-profit LTV / target return."""
    total_share = sum(purchases.values())
    if total_share <= 0:
        raise ValueError("purchase shares must add up to more than 0")
    if target_roas <= 0:
        raise ValueError("target return must be above 0")
    _rate(gross_margin, "gross margin")
    ppc = sum(count * share for count, share in purchases.items()) / total_share
    ltv = aov * ppc
    gp_ltv = ltv * gross_margin
    cpa = gp_ltv / target_roas
    out = {"purchases_per_customer": ppc, "ltv": ltv, "gross_profit_ltv": gp_ltv, "allowable_cpa": cpa,
           "shares_total": total_share}
    if lead_conversion is not None:
        out["allowable_cost_per_lead"] = cpa * _rate(lead_conversion, "lead conversion")
    return out


# -- SaaS (METRICS.md) ------------------------------------------------------------------------------------
def saas(arpa: float, monthly_churn: float, gross_margin: float, cac: float | None = None) -> dict:
    """LTV = ARPA x gross margin / monthly churn; LTV/CAC; CAC payback months = CAC / (ARPA x margin)."""
    _rate(monthly_churn, "monthly churn", allow_zero=False)
    _rate(gross_margin, "gross margin")
    margin_per_month = arpa * gross_margin
    out = {"ltv": margin_per_month / monthly_churn, "expected_lifetime_months": 1 / monthly_churn}
    if cac is not None:
        out["ltv_to_cac"] = out["ltv"] / cac if cac else None
        out["cac_payback_months"] = cac / margin_per_month if margin_per_month else None
    return out


def saas_from_curve(arpa: float, survival: list[float], gross_margin: float, tail_churn: float | None = None) -> float:
    """LTV from a retention curve: sum of ARPA x margin x S(k) over the observed months, plus a flat
    tail beyond them at ``tail_churn`` (geometric): S_last x (1 - c) / c months more."""
    months = sum(survival)
    if tail_churn and survival:
        months += survival[-1] * (1 - tail_churn) / tail_churn
    return arpa * gross_margin * months


# -- CS investment ROI (seed 003) -----------------------------------------------------------------------
def cs_roi(cost_per_month: float, new_mrr_per_month: float, monthly_churn: float, gross_margin: float = 1.0,
           plan_new_mrr: float | None = None) -> dict:
    """A rep creating new MRR m a month at churn c creates m / c of LTV a month (seed 003's 6.5x)."""
    _rate(monthly_churn, "monthly churn", allow_zero=False)
    ltv = new_mrr_per_month * gross_margin / monthly_churn
    out = {"ltv_created_per_month": ltv, "roi": ltv / cost_per_month if cost_per_month else None}
    if plan_new_mrr is not None and new_mrr_per_month:
        out["reps_needed"] = plan_new_mrr / new_mrr_per_month
    return out


# -- Annual renewal (seed 004) --------------------------------------------------------------------------
def renewal(annual_value: float, renewal_rate: float, gross_margin: float = 1.0) -> dict:
    """Expected contract years = 1 / (1 - r); LTV = annual value x margin / (1 - r)."""
    if not 0 <= renewal_rate < 1:
        raise ValueError(f"renewal rate must be at least 0 and below 1, got {renewal_rate}")
    years = 1 / (1 - renewal_rate)
    return {"expected_years": years, "ltv": annual_value * gross_margin * years}


# -- sensitivity ----------------------------------------------------------------------------------------
@dataclass
class Driver:
    name: str
    value: float
    low: float
    high: float


def tornado(model: Callable[..., dict], output: str, drivers: list[Driver], fixed: dict) -> list[dict]:
    """How far ``output`` moves when each driver goes to its low and high value, widest swing first."""
    base_kwargs = {**fixed, **{d.name: d.value for d in drivers}}
    base = model(**base_kwargs)[output]
    rows = []
    for d in drivers:
        lo = model(**{**base_kwargs, d.name: d.low})[output]
        hi = model(**{**base_kwargs, d.name: d.high})[output]
        rows.append({"driver": d.name, "low_value": d.low, "high_value": d.high, "output_low": lo,
                     "output_high": hi, "base": base, "swing": abs(hi - lo)})
    return sorted(rows, key=lambda r: -r["swing"])


def grid(model: Callable[..., dict], output: str, x: tuple[str, list[float]], y: tuple[str, list[float]],
         fixed: dict) -> list[list[float]]:
    """``output`` over a grid of two drivers (rows follow y, columns follow x)."""
    return [[model(**{**fixed, x[0]: xv, y[0]: yv})[output] for xv in x[1]] for yv in y[1]]


# -- CLI ------------------------------------------------------------------------------------------------
def add_cli(sub) -> None:
    p = sub.add_parser("simulate", help="LTV/CPA what-if models as JSON")
    models = p.add_subparsers(dest="model", required=True)
    m = models.add_parser("d2c")
    m.add_argument("--aov", type=float, required=True)
    m.add_argument("--purchases", required=True, help="count:share,... e.g. 1:0.7,2:0.2,3.5:0.1")
    m.add_argument("--gross-margin", type=float, required=True)
    m.add_argument("--lead-conversion", type=float)
    m.add_argument("--target-roas", type=float, default=1.0)
    m = models.add_parser("saas")
    m.add_argument("--arpa", type=float, required=True)
    m.add_argument("--monthly-churn", type=float, required=True)
    m.add_argument("--gross-margin", type=float, required=True)
    m.add_argument("--cac", type=float)
    m = models.add_parser("cs-roi")
    m.add_argument("--cost-per-month", type=float, required=True)
    m.add_argument("--new-mrr-per-month", type=float, required=True)
    m.add_argument("--monthly-churn", type=float, required=True)
    m.add_argument("--gross-margin", type=float, default=1.0)
    m = models.add_parser("renewal")
    m.add_argument("--annual-value", type=float, required=True)
    m.add_argument("--renewal-rate", type=float, required=True)
    m.add_argument("--gross-margin", type=float, default=1.0)


def run_cli(args: argparse.Namespace) -> dict:
    if args.model == "d2c":
        out = d2c(args.aov, parse_purchases(args.purchases), args.gross_margin, args.lead_conversion,
                  args.target_roas)
        out.pop("shares_total")
        return out
    if args.model == "saas":
        return saas(args.arpa, args.monthly_churn, args.gross_margin, args.cac)
    if args.model == "cs-roi":
        return cs_roi(args.cost_per_month, args.new_mrr_per_month, args.monthly_churn, args.gross_margin)
    return renewal(args.annual_value, args.renewal_rate, args.gross_margin)


# -- what the simulator page shows ----------------------------------------------------------------------
def _scaled_purchases(purchases: dict[float, float], factor: float) -> dict[float, float]:
    """Purchases per customer scaled by ``factor`` (every bucket's count moves together)."""
    return {count * factor: share for count, share in purchases.items()}


def d2c_sensitivity(aov: float, purchases: dict[float, float], gross_margin: float, target_roas: float = 1.0,
                    output: str = "allowable_cpa", swing: float = 0.2) -> list[dict]:
    """Tornado rows for the D2C model: AOV, purchases per customer, gross margin, target return ±swing."""
    def model(aov, repeat, gross_margin, target_roas):
        return d2c(aov, _scaled_purchases(purchases, repeat), min(gross_margin, 1.0), None, target_roas)

    drivers = [Driver("aov", aov, aov * (1 - swing), aov * (1 + swing)),
               Driver("repeat", 1.0, 1 - swing, 1 + swing),
               Driver("gross_margin", gross_margin, gross_margin * (1 - swing), min(1.0, gross_margin * (1 + swing))),
               Driver("target_roas", target_roas, target_roas * (1 - swing), target_roas * (1 + swing))]
    return tornado(model, output, drivers, {})


def saas_sensitivity(arpa: float, monthly_churn: float, gross_margin: float, swing: float = 0.2) -> list[dict]:
    drivers = [Driver("arpa", arpa, arpa * (1 - swing), arpa * (1 + swing)),
               Driver("monthly_churn", monthly_churn, monthly_churn * (1 - swing), min(1.0, monthly_churn * (1 + swing))),
               Driver("gross_margin", gross_margin, gross_margin * (1 - swing), min(1.0, gross_margin * (1 + swing)))]
    return tornado(lambda **kw: saas(**kw), "ltv", drivers, {})


def steps(center: float, n: int = 5, spread: float = 0.4) -> list[float]:
    """``n`` values from center x (1 - spread) to center x (1 + spread)."""
    return [center * (1 - spread + 2 * spread * i / (n - 1)) for i in range(n)]


# -- the page's drivers: defaults, ranges, reading them from a link or a saved scenario --------------------
# Each driver's default and widget range, defined once: the widgets use them, and a shared link or a saved
# scenario is kept inside them. Percentages are in percent (margin 50 = 50%), amounts in the workspace currency.
DRIVER_DEFAULTS: dict[str, float | int | str] = {
    "aov": 8000, "purchases": "1:0.7,2:0.2,3.5:0.1", "margin": 50, "conv": 20, "roas": 1.0,
    "arpa": 100_000, "churn": 2.0, "smargin": 80, "cac": 1_000_000,
    "cost": 1_000_000, "newmrr": 130_000, "cschurn": 2.0, "plan": 650_000,
    "acv": 1_200_000, "renew": 30, "rmargin": 80}
DRIVER_RANGES: dict[str, tuple[float, float]] = {
    "aov": (1000, 50000), "margin": (1, 100), "conv": (1, 100), "roas": (0.5, 5.0), "arpa": (1000, 10_000_000),
    "churn": (0.1, 20.0), "smargin": (1, 100), "cac": (0, 100_000_000), "cost": (0, 10_000_000),
    "newmrr": (0, 10_000_000), "cschurn": (0.1, 20.0), "plan": (0, 100_000_000), "acv": (0, 1_000_000_000),
    "renew": (0, 95), "rmargin": (1, 100)}
# How each driver is named to a user (an i18n key) and shown: money, percent, a multiple, or text.
DRIVER_LABELS = {
    "aov": "sim_driver_aov", "purchases": "sim_driver_purchases", "margin": "sim_driver_margin",
    "conv": "sim_driver_conv", "roas": "sim_driver_roas", "arpa": "sim_driver_arpa", "churn": "sim_driver_churn",
    "smargin": "sim_driver_smargin", "cac": "sim_driver_cac", "cost": "sim_driver_cost",
    "newmrr": "sim_driver_newmrr", "cschurn": "sim_driver_cschurn", "plan": "sim_driver_plan",
    "acv": "sim_driver_acv", "renew": "sim_driver_renew", "rmargin": "sim_driver_rmargin"}
DRIVER_KINDS = {"aov": "money", "purchases": "text", "margin": "pct", "conv": "pct", "roas": "multiple",
                "arpa": "money", "churn": "pct", "smargin": "pct", "cac": "money", "cost": "money",
                "newmrr": "money", "cschurn": "pct", "plan": "money", "acv": "money", "renew": "pct",
                "rmargin": "pct"}


def driver_value(key: str, raw: object) -> float | int | str | None:
    """One driver from a link's text (or a saved scenario's value), clamped to its range; None when it
    cannot be read."""
    default = DRIVER_DEFAULTS[key]
    if key == "purchases":
        if not isinstance(raw, str):
            return None
        try:
            buckets = parse_purchases(raw)
        except ValueError:
            return None
        ok = buckets and all(k >= 1 and 0 <= v <= 1 for k, v in buckets.items()) and sum(buckets.values()) > 0
        return raw if ok else None
    if isinstance(raw, bool):
        return None
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if value != value:  # NaN
        return None
    low, high = DRIVER_RANGES[key]
    return type(default)(min(max(value, low), high))


def drivers_from(given: dict[str, object]) -> tuple[dict[str, float | int | str], list[str]]:
    """Every driver from ``given`` (a link's parameters without the ``sim_`` prefix, or a saved scenario),
    the default where one is missing or unreadable, each clamped to its range; and the keys that were given
    but could not be taken as they were (unreadable, out of range)."""
    values, adjusted = {}, []
    for key, default in DRIVER_DEFAULTS.items():
        raw = given.get(key)
        if raw is None or raw == "":
            values[key] = default
            continue
        value = driver_value(key, raw)
        values[key] = default if value is None else value
        same = value is not None and (value == raw if key == "purchases" else float(value) == float(raw))  # type: ignore[arg-type]
        if not same:
            adjusted.append(key)
    return values, adjusted


def share_link(base_url: str | None, page_path: str, params: list[tuple[str, str]]) -> str:
    """The whole link that reopens the page: the app's URL as the browser has it (``st.context.url``, which
    carries the page's path) or, without one, the page's path alone; then every query parameter."""
    from urllib.parse import urlencode

    url = (base_url or "").rstrip("/") or ""
    if not url:
        url = "/" + page_path.strip("/")
    elif page_path and not url.endswith("/" + page_path.strip("/")):
        url = f"{url}/{page_path.strip('/')}"
    query = urlencode(params, safe=":,")
    return f"{url}?{query}" if query else url


# -- how the page shows numbers -------------------------------------------------------------------------
def fmt_number(value: float | None, digits: int = 1) -> str:
    """12500 -> '12,500.0'; '—' for no value."""
    return "—" if value is None else f"{value:,.{digits}f}"


def fmt_multiple(value: float | None, digits: int = 1) -> str:
    """6.5 -> '6.5×'; '—' for no value (a CAC of 0, a rep who costs nothing)."""
    return "—" if value is None else f"{value:,.{digits}f}×"


def fmt_pct(value: float | None) -> str:
    """A percentage driver as set (50 -> '50%', 2.35 -> '2.35%'): at most two decimals, none trailing."""
    if value is None:
        return "—"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def fmt_driver(key: str, value: object, lang: str) -> str:
    """A driver's value as the page shows it: amounts in the workspace currency, percentages with %."""
    from dashboard import money

    kind = DRIVER_KINDS[key]
    if kind == "money":
        return money.fmt(value, lang)  # type: ignore[arg-type]
    if kind == "pct":
        return fmt_pct(float(value))  # type: ignore[arg-type]
    if kind == "multiple":
        return fmt_multiple(float(value))  # type: ignore[arg-type]
    return str(value)


def driver_label(key: str, lang: str) -> str:
    from dashboard import i18n

    return i18n.t(DRIVER_LABELS[key], lang)


def driver_labels(keys: list[str], lang: str) -> str:
    """Drivers named in the user's language, as a list in a sentence."""
    from dashboard import i18n

    return i18n.t("sim_separator", lang).join(driver_label(k, lang) for k in keys)


# The tornado charts' rows name their drivers by the models' argument names; a user sees these.
SENSITIVITY_LABELS = {"aov": "sim_sens_aov", "repeat": "sim_purchases_per_customer",
                      "gross_margin": "sim_sens_gross_margin", "target_roas": "sim_sens_target_roas",
                      "arpa": "sim_sens_arpa", "monthly_churn": "sim_sens_monthly_churn"}


def labelled(rows: list[dict], lang: str) -> list[dict]:
    """Tornado rows with each driver named in the user's language (new rows; the input is left as it is)."""
    from dashboard import i18n

    return [{**row, "driver": i18n.t(SENSITIVITY_LABELS[row["driver"]], lang)} for row in rows]


def scenario_outputs(p: dict) -> dict[str, float | None]:
    """What a scenario's drivers give in each model (the comparison's figures)."""
    d = d2c(p["aov"], parse_purchases(p["purchases"]), p["margin"] / 100, p["conv"] / 100, p["roas"])
    s = saas(p["arpa"], p["churn"] / 100, p["smargin"] / 100, p["cac"])
    c = cs_roi(p["cost"], p["newmrr"], p["cschurn"] / 100, plan_new_mrr=p["plan"])
    r = renewal(p["acv"], p["renew"] / 100, p["rmargin"] / 100)
    return {"d2c_ppc": d["purchases_per_customer"], "d2c_ltv": d["ltv"], "d2c_cpa": d["allowable_cpa"],
            "saas_ltv": s["ltv"], "saas_ltv_cac": s["ltv_to_cac"], "saas_payback": s["cac_payback_months"],
            "cs_ltv": c["ltv_created_per_month"], "cs_roi": c["roi"], "cs_reps": c.get("reps_needed"),
            "renewal_years": r["expected_years"], "renewal_ltv": r["ltv"]}


# The comparison's rows: an i18n label and how its figure is shown.
OUTPUT_ROWS = {"d2c_ppc": ("sim_row_d2c_ppc", "count"), "d2c_ltv": ("sim_row_d2c_ltv", "money"),
               "d2c_cpa": ("sim_row_d2c_cpa", "money"), "saas_ltv": ("sim_row_saas_ltv", "money"),
               "saas_ltv_cac": ("sim_row_saas_ltv_cac", "multiple"),
               "saas_payback": ("sim_row_saas_payback", "months"), "cs_ltv": ("sim_row_cs_ltv", "money"),
               "cs_roi": ("sim_row_cs_roi", "multiple"), "cs_reps": ("sim_row_cs_reps", "reps"),
               "renewal_years": ("sim_row_renewal_years", "years"), "renewal_ltv": ("sim_row_renewal_ltv", "money")}


def _fmt_output(kind: str, value: float | None, lang: str) -> str:
    from dashboard import i18n, money

    if value is None:
        return "—"
    if kind == "money":
        return money.fmt(value, lang)
    if kind == "multiple":
        return fmt_multiple(value)
    if kind == "years":
        return i18n.t("sim_years", lang, n=f"{value:,.2f}")
    if kind == "months":
        return i18n.t("sim_months", lang, n=f"{value:,.1f}")
    if kind == "reps":
        return i18n.t("sim_reps", lang, n=f"{value:,.1f}")
    return f"{value:,.2f}"


def comparison(scenarios: dict[str, dict], lang: str):
    """The scenario comparison as a table of text: a column per scenario, a row first for each figure the
    scenarios give, then for each driver in which they differ. Rows are labelled in the user's language;
    values are formatted (money in the workspace currency, multiples as 6.5×, years, percentages with %)."""
    import pandas as pd

    from dashboard import i18n

    outputs = {name: scenario_outputs(p) for name, p in scenarios.items()}
    rows: dict[str, dict[str, str]] = {}
    for key, (label, kind) in OUTPUT_ROWS.items():
        rows[i18n.t(label, lang)] = {n: _fmt_output(kind, o[key], lang) for n, o in outputs.items()}
    for key in DRIVER_DEFAULTS:
        shown = {n: fmt_driver(key, p[key], lang) for n, p in scenarios.items()}
        if len(set(shown.values())) > 1:
            rows[i18n.t("sim_row_driver", lang, name=driver_label(key, lang))] = shown
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(scenarios))


def fmt_money_change(value: float, lang: str) -> str:
    """A change in money with its sign: '+¥420,000', '-¥12,000', '¥0'."""
    from dashboard import money

    text = money.fmt(value, lang)
    return f"+{text}" if value > 0 and any(ch in "123456789" for ch in text) else text
