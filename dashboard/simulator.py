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
