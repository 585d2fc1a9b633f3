"""One message catalogue in two languages, and one definition per metric name."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from dashboard.definitions import DEFINITIONS, METRIC_LABELS
from dashboard.i18n import MESSAGES, t
from dashboard.results import RESULTS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [*ROOT.glob("dashboard/*.py"), *ROOT.glob("pages/*.py"), *ROOT.glob("app/*.py")]
# Keys built at run time from a known set of values: t(f"grain_{g}") and so on.
DYNAMIC = {
    "grain_": ("day", "week", "month", "quarter", "fiscal_year"),
    "role_": ("viewer", "editor"),
    "coverage_": ("high_touch", "mixed", "tech_touch"),
    "mode_": ("replace", "append", "upsert"),
    "import_": ("reading", "checking", "storing"),
}


def used_keys() -> set[str]:
    keys = set()
    for path in SOURCES:
        text = path.read_text()
        keys |= set(re.findall(r"\b(?:t|tr)\(\s*\"([a-z0-9_]+)\"", text))
        for prefix, values in DYNAMIC.items():
            if re.search(r"\b(?:t|tr)\(\s*f\"" + prefix + r"\{", text):
                keys |= {prefix + v for v in values}
    return keys


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_the_code_uses_is_in_the_catalogue_in_both_languages():
    missing = sorted(k for k in used_keys() if k not in MESSAGES)
    assert not missing, f"keys without text: {missing}"
    assert len(used_keys()) > 150  # the scan finds the keys (a broken pattern would find none)


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_each_message_has_japanese_and_english_with_the_same_placeholders(key):
    entry = MESSAGES[key]
    assert set(entry) == {"ja", "en"} and entry["ja"].strip() and entry["en"].strip(), key
    assert fields(entry["ja"]) == fields(entry["en"]), key


def test_no_inline_translations_in_pages():
    for path in [*ROOT.glob("pages/*.py"), ROOT / "dashboard/figures.py", ROOT / "dashboard/ui.py"]:
        text = path.read_text()
        assert not re.search(r'if (?:ja|lang == "ja") else', text), path.name


def test_each_shown_metric_has_a_definition_in_both_languages():
    for label, definition in METRIC_LABELS.items():
        assert label in MESSAGES, label
        assert set(DEFINITIONS[definition]) == {"ja", "en"}, definition
    for result in RESULTS.values():
        for column in result.columns:
            if column.fmt in ("pct", "money", "float", "score", "delta"):
                assert column.definition in DEFINITIONS, (result.name, column.name)
            assert column.ja and column.en, (result.name, column.name)


def test_one_name_one_definition():
    """A metric's name means one thing everywhere: the same label never stands for two definitions."""
    meaning: dict[str, set[str]] = {}
    for label, definition in METRIC_LABELS.items():
        for lang in ("ja", "en"):
            name = re.sub(r"[（(].*?[)）]", "", t(label, lang, month="")).strip()
            meaning.setdefault(name, set()).add(definition)
    for result in RESULTS.values():
        for column in result.columns:
            if column.fmt in ("pct", "money", "float") and column.definition:
                for name in (column.ja, column.en):
                    meaning.setdefault(name, set()).add(column.definition)
    clashes = {name: sorted(defs) for name, defs in meaning.items() if len(defs) > 1}
    assert not clashes
    # the two revenue-churn figures carry distinct names in both languages
    assert t("kpi_rev_churn", "ja", month="") != t("churned_mrr_rate", "ja")
    assert t("kpi_rev_churn", "en", month="") != t("churned_mrr_rate", "en")


def test_data_values_in_the_filter_summary_show_as_themselves():
    """An owner or plan named with Markdown characters is shown as written, not as emphasis or a link."""
    from dashboard.ui import escaped

    assert escaped("田中 *太郎*") == "田中 \\*太郎\\*"
    assert escaped("[x](http://e.x)") == "\\[x\\]\\(http\\://e\\.x\\)"
    assert escaped("Tier1") == "Tier1"
