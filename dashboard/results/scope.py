"""The account filters every figure honours (tier, owner, plan, segment, industry, channel), as SQL.

A scope is a set of values per account column; columns combine with AND, values within a column with OR.
It becomes a ``scope`` CTE of account ids: column names come from the whitelist below, values are bound
parameters, never pasted into the SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Filterable account columns. "tier" is the tier under the rule in force (account_tiers in base_macros.sql):
# the tier on the as-of day, or for a former customer the tier on its last active day.
COLUMNS = ("tier", "owner", "plan", "segment", "industry", "acquisition_channel")
TIERS = ("Tier1", "Tier2", "Tier3")


class ScopeError(ValueError):
    """A filter the product does not know (an unknown column, or an impossible tier)."""


@dataclass(frozen=True)
class Scope:
    """Selected values per column (sorted, without duplicates); an empty scope is every account."""

    values: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @classmethod
    def of(cls, selected: Mapping[str, Iterable[str]] | None = None, **more: Iterable[str]) -> Scope:
        merged: dict[str, set[str]] = {}
        for column, values in [*(selected or {}).items(), *more.items()]:
            if column not in COLUMNS:
                raise ScopeError(f"cannot filter by {column!r}; choose one of {', '.join(COLUMNS)}")
            chosen = {str(v) for v in values if v is not None and str(v) != ""}
            if column == "tier" and chosen - set(TIERS):
                raise ScopeError(f"unknown tier {sorted(chosen - set(TIERS))[0]!r}; choose from {', '.join(TIERS)}")
            if chosen:
                merged.setdefault(column, set()).update(chosen)
        return cls(tuple((c, tuple(sorted(merged[c]))) for c in COLUMNS if c in merged))

    @classmethod
    def parse(cls, items: Iterable[str]) -> Scope:
        """``column=value`` items as the command line takes them (repeatable; AND across columns)."""
        selected: dict[str, list[str]] = {}
        for item in items:
            column, sep, value = item.partition("=")
            if not sep or not column.strip() or not value:
                raise ScopeError(f"a filter is column=value (e.g. tier=Tier1), got {item!r}")
            selected.setdefault(column.strip(), []).append(value)
        return cls.of(selected)

    def __bool__(self) -> bool:
        return bool(self.values)

    def get(self, column: str) -> tuple[str, ...]:
        return dict(self.values).get(column, ())

    def as_dict(self) -> dict[str, list[str]]:
        return {c: list(v) for c, v in self.values}

    def cte(self) -> tuple[str, dict[str, list[str]]]:
        """The ``scope AS (...)`` CTE (with a trailing comma) and the values it binds."""
        conditions, params = [], {}
        for column, values in self.values:
            name = f"f_{column}"
            params[name] = list(values)
            if column == "tier":
                conditions.append(f"list_contains(${name}, t.tier)")
            else:
                conditions.append(f'list_contains(${name}, a."{column}")')  # column from COLUMNS only
        tiers = (" JOIN account_tiers($as_of, $t1, $t2, $manual) t USING (account_id)"
                 if self.get("tier") else "")
        sql = (f"scope AS (SELECT DISTINCT a.account_id FROM account_attrs() a{tiers} "  # noqa: S608 - whitelisted
               f"WHERE {' AND '.join(conditions)}),")
        return sql, params
