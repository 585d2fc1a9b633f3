"""Why an account needs a call, and what to do: reasons in words and one next action per account, from
rules the CS lead can read and edit (setting ``action_rules``).

Pure functions over the at-risk result's rows (pandas, vectorised): no database, no Streamlit.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from dashboard.errors import Explained
from dashboard.i18n import measure_label, t

# A reason is given when a figure crosses these lines (docs/metrics.md "At-risk list").
LOW_USAGE_SCORE = 25.0  # the weakest usage measure scores below 25 (bottom quarter of active accounts)
QUIET_DAYS = 60  # no contact for 60 days or more
RENEWAL_DAYS = 90  # renewal within 90 days (seed 004: hand over three months before)
SCORE_DROP = -10.0  # the score fell by 10 points or more since the comparison day

# Conditions a rule may set; a blank condition matches every account. First matching rule wins.
RULE_FIELDS = ("tiers", "bands", "max_days_to_renewal", "max_usage_score", "max_account_age_days",
               "min_days_since_contact")

DEFAULT_RULES: list[dict[str, Any]] = [
    {"tiers": ["Tier1"], "bands": ["red"], "max_days_to_renewal": 90,
     "action_ja": "役員から連絡（更新前のエグゼクティブ面談）", "action_en": "Executive contact before the renewal"},
    {"max_account_age_days": 90, "max_usage_score": LOW_USAGE_SCORE,
     "action_ja": "オンボーディング支援（初期設定と活用の伴走）", "action_en": "Onboarding help (set-up and first use)"},
    {"tiers": ["Tier3"],
     "action_ja": "テックタッチ：活用ガイドのメール配信", "action_en": "Tech-touch: send the usage guide by email"},
    {"max_usage_score": LOW_USAGE_SCORE,
     "action_ja": "利用状況の振り返りミーティングを提案", "action_en": "Offer a usage review meeting"},
    {"min_days_since_contact": 90,
     "action_ja": "近況確認の連絡", "action_en": "Check-in call"},
    {"action_ja": "担当者が状況を確認", "action_en": "Owner reviews the account"},
]


class RuleError(Explained, ValueError):
    """A rule the editor typed that cannot be used (unknown tier or band, a negative number): says which
    rule and which column, in the editor's own column label and language."""

    def __init__(self, key: str, **kwargs: object):
        super().__init__(key, **kwargs)
        self.args = (self.message("en"),)

    def message(self, lang: str | None = None) -> str:
        return t(self.key, lang, **{**self.kwargs, "field": t(f"rule_{self.kwargs['field']}", lang)})


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, (list, tuple)):
        return len(value) == 0
    return isinstance(value, str) and not value.strip()


def clean_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rules as stored: lists for tiers and bands, numbers or nothing for the limits, an action in both
    languages (one is copied to the other when only one is given); rows without an action are dropped."""
    out = []
    for i, rule in enumerate(rules, start=1):
        ja, en = rule.get("action_ja"), rule.get("action_en")
        if _blank(ja) and _blank(en):
            continue
        clean: dict[str, Any] = {"action_ja": str(ja if not _blank(ja) else en).strip(),
                                 "action_en": str(en if not _blank(en) else ja).strip()}
        for key, allowed in (("tiers", ("Tier1", "Tier2", "Tier3")), ("bands", ("red", "yellow", "green"))):
            value = rule.get(key)
            if _blank(value):
                continue
            values = [v.strip() for v in (value.split(",") if isinstance(value, str) else value) if str(v).strip()]
            wrong = [v for v in values if v not in allowed]
            if wrong:
                raise RuleError("rule_not_among", i=i, field=key, allowed=", ".join(allowed), got=", ".join(wrong))
            clean[key] = values
        for key in ("max_days_to_renewal", "max_usage_score", "max_account_age_days", "min_days_since_contact"):
            value = rule.get(key)
            if _blank(value):
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise RuleError("rule_not_a_number", i=i, field=key, got=str(value)) from None
            if number < 0 or math.isnan(number):
                raise RuleError("rule_negative", i=i, field=key, got=str(value))
            clean[key] = number
        out.append(clean)
    return out


def rules_in_force(settings: dict) -> list[dict[str, Any]]:
    return clean_rules(settings.get("action_rules") or DEFAULT_RULES)


def _matches(frame: pd.DataFrame, rule: dict[str, Any]) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    if "tiers" in rule:
        mask &= frame["tier"].isin(rule["tiers"])
    if "bands" in rule:
        mask &= frame["band"].isin(rule["bands"])
    if "max_days_to_renewal" in rule:
        days = frame["days_to_renewal"]
        mask &= days.notna() & (days > 0) & (days <= rule["max_days_to_renewal"])
    if "max_usage_score" in rule:
        mask &= frame["usage_score"].notna() & (frame["usage_score"] < rule["max_usage_score"])
    if "max_account_age_days" in rule:
        mask &= frame["account_age_days"].notna() & (frame["account_age_days"] <= rule["max_account_age_days"])
    if "min_days_since_contact" in rule:
        # never contacted counts as long ago
        days = frame["days_since_contact"]
        mask &= days.isna() | (days >= rule["min_days_since_contact"])
    return mask.fillna(False).astype(bool)


def next_actions(frame: pd.DataFrame, rules: list[dict[str, Any]], lang: str) -> pd.Series:
    """The first matching rule's action for each row (blank when no rule matches)."""
    out = pd.Series("", index=frame.index, dtype=object)
    open_rows = pd.Series(True, index=frame.index)
    for rule in rules:
        hit = open_rows & _matches(frame, rule)
        out[hit] = rule["action_ja" if lang == "ja" else "action_en"]
        open_rows &= ~hit
    return out


def _fmt_number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:,.1f}"


def reasons(frame: pd.DataFrame, lang: str, *, window_days: int, methods: dict[str, str],
            aggs: dict[str, str], contacts_loaded: bool) -> list[list[str]]:
    """Each row's reasons in words, the strongest signal first: weak usage (with its percentile when the
    measure is scored by percentile), a long silence, a near renewal, a falling score."""
    out: list[list[str]] = []
    cols = ("usage_measure", "usage_value", "usage_score", "days_since_contact", "days_to_renewal", "change")
    for measure, value, score, quiet, renewal, change in zip(*(frame[c] for c in cols), strict=True):
        found: list[str] = []
        weak = measure is not None and not pd.isna(score)
        if weak and score < LOW_USAGE_SCORE:
            label = measure_label(measure, lang)
            key = "reason_usage_avg" if aggs.get(measure) == "avg" else "reason_usage"
            text = t(key, lang, measure=label, days=window_days, value=_fmt_number(float(value)))
            if methods.get(measure, "percentile") == "percentile":
                if score > 0:  # a score of 0 is "none at all", which the value already says
                    text += t("reason_percentile", lang, pct=math.ceil(score))
            else:
                text += t("reason_measure_score", lang, score=f"{score:.0f}")
            found.append(text)
        if contacts_loaded:
            if pd.isna(quiet):
                found.append(t("reason_never_contacted", lang))
            elif quiet >= QUIET_DAYS:
                found.append(t("reason_quiet", lang, days=int(quiet)))
        if not pd.isna(renewal) and 0 < renewal <= RENEWAL_DAYS:
            found.append(t("reason_renewal", lang, days=int(renewal)))
        if not pd.isna(change) and change <= SCORE_DROP:
            found.append(t("reason_score_drop", lang, change=f"{change:+.0f}".replace("-", "−")))
        if not found and weak:  # nothing crosses a line: name the measure that pulls the score down most
            found.append(t("reason_weakest", lang, measure=measure_label(measure, lang), score=f"{score:.0f}"))
        out.append(found)
    return out


def annotate(frame: pd.DataFrame, *, settings: dict, health_config: dict, contacts_loaded: bool,
             lang: str) -> pd.DataFrame:
    """The at-risk rows with ``reasons`` (a list of strings) and ``next_action``."""
    measures = health_config.get("measures", [])
    out = frame.copy()
    out["reasons"] = reasons(out, lang, window_days=int(health_config.get("window_days", 90)),
                             methods={m["name"]: m.get("method", "percentile") for m in measures},
                             aggs={m["name"]: m.get("agg", "sum") for m in measures},
                             contacts_loaded=contacts_loaded)
    out["next_action"] = next_actions(out, rules_in_force(settings), lang)
    return out
