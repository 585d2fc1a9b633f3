"""The result SQL, written for DuckDB, as Spark SQL: SQLGlot translates the dialect; what SQLGlot cannot
know about is done here on its syntax tree, never by editing text.

- **Macros** (dashboard/sql/base_macros.sql) do not exist on Spark: a scalar macro call becomes its body
  with the arguments put in (``tier_of(mrr, …)`` -> ``CASE …``), a table macro in FROM becomes its body
  as a subquery under the same alias (``spells($as_of) sp`` -> ``(SELECT …) sp``). Bodies may call other
  macros; they are expanded until none is left. One definition, read from the same file DuckDB runs.
- **Parameters** (``$as_of``) become typed literals built by SQLGlot from the bound Python values (a date
  is ``CAST('2026-10-31' AS DATE)``, a list is ``ARRAY(…)``, text is quoted by the generator): values are
  never pasted into SQL text. An empty list must be cast to its type where it stands (``$days::DATE[]``):
  Spark's ``ARRAY()`` has no element type, and lists unnested side by side become a typed empty array.
- Anything the Spark dialect cannot express raises ``UnsupportedSQL`` naming the construct (SQLGlot's
  ``unsupported_level`` set to raise): a result is computed the same way on both engines or not at all.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from functools import cache
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError, UnsupportedError

from dashboard import schema

_MACRO = re.compile(r"CREATE OR REPLACE MACRO (\w+)\(([^)]*)\) AS\s+(TABLE\s+)?(.*)", re.S)


class UnsupportedSQL(ValueError):
    """A result whose SQL the Spark engine cannot run as written (a DuckDB-only construct)."""


@cache
def macros() -> dict[str, tuple[list[str], bool, exp.Expression]]:
    """name -> (parameters, is a table macro, body), parsed once from base_macros.sql."""
    out = {}
    for statement in schema._macro_statements():  # the statements DuckDB's migration runs
        text = "\n".join(line for line in statement.splitlines() if not line.lstrip().startswith("--")).strip()
        if not text:
            continue
        match = _MACRO.match(text)
        if not match:
            raise UnsupportedSQL(f"not a macro definition: {text[:60]!r}")
        name, params, table, body = match.groups()
        out[name] = ([p.strip() for p in params.split(",") if p.strip()], bool(table),
                     sqlglot.parse_one(body.rstrip(";"), read="duckdb"))
    return out


def _literal(value: Any) -> exp.Expression:
    if isinstance(value, bool) or value is None:
        return exp.convert(value)
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), exp.DataType.build("TIMESTAMP"))
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), exp.DataType.build("DATE"))
    if isinstance(value, (int, float, Decimal, str)):
        return exp.convert(value)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[_literal(v) for v in value])
    raise UnsupportedSQL(f"cannot bind a {type(value).__name__} on Spark")


def _bind(tree: exp.Expression, values: dict[str, Any]) -> exp.Expression:
    def put(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in values:
                raise UnsupportedSQL(f"no value for ${node.name}")
            value = values[node.name]
            if isinstance(value, (list, tuple)) and not value and not _typed(node):
                # Spark reads an empty ARRAY() as ARRAY<VOID>, which no generator or comparison takes
                raise UnsupportedSQL(f"${node.name} is an empty list without a type: cast it (${node.name}::TYPE[])")
            return _literal(value)
        return node
    return tree.transform(put)


def _typed(node: exp.Expression) -> bool:
    """Whether a bound value is cast to a list of a type where it stands (``$days::DATE[]``)."""
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    return isinstance(parent, exp.Cast) and bool(parent.to.expressions)


def _substitute(body: exp.Expression, params: list[str], args: list[exp.Expression]) -> exp.Expression:
    """The macro body with each parameter (a bare column of that name) replaced by its argument."""
    given = dict(zip(params, args, strict=True))

    def put(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and not node.table and node.name in given:
            return given[node.name].copy()
        return node
    return body.copy().transform(put)


def _expand(tree: exp.Expression, depth: int = 0) -> exp.Expression:
    if depth > 10:
        raise UnsupportedSQL("macros nested too deep")
    known = macros()
    found = False

    def put(node: exp.Expression) -> exp.Expression:
        nonlocal found
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous) and node.this.name in known:
            params, table, body = known[node.this.name]
            if not table:
                raise UnsupportedSQL(f"{node.this.name} is a scalar macro used as a table")
            found = True
            alias = node.args.get("alias") or exp.TableAlias(this=exp.to_identifier(node.this.name))
            return exp.Subquery(this=_substitute(body, params, node.this.expressions), alias=alias.copy())
        if isinstance(node, exp.Anonymous) and node.name in known and not isinstance(node.parent, exp.Table):
            params, table, body = known[node.name]
            if table:
                raise UnsupportedSQL(f"{node.name} is a table macro used as a value")
            found = True
            return exp.Paren(this=_substitute(body, params, node.expressions))
        return node
    out = tree.transform(put)
    return _expand(out, depth + 1) if found else out


def _asof(tree: exp.Expression) -> exp.Expression:
    """``x ASOF LEFT JOIN p pt ON pt.k = x.k AND pt.t <= x.t`` (the latest point at or before x.t) as a
    plain join: each point is valid from its t until the next point's t of the same keys, so exactly
    one point (or none) matches. Points with equal keys and t: the last one in the window order wins,
    as ASOF picks one of them."""
    def put(node: exp.Expression) -> exp.Expression:
        if not (isinstance(node, exp.Join) and (node.args.get("method") or "").upper() == "ASOF"):
            return node
        right = node.this
        alias = right.alias_or_name
        conditions = list(node.args["on"].flatten()) if isinstance(node.args["on"], exp.And) else [node.args["on"]]
        keys, bound = [], None
        for cond in conditions:
            if isinstance(cond, exp.EQ):
                mine = cond.this if cond.this.table == alias else cond.expression
                keys.append(mine.name)
            elif isinstance(cond, (exp.LTE, exp.GTE)) and bound is None:
                mine, other = (cond.this, cond.expression) if cond.this.table == alias else (cond.expression, cond.this)
                if isinstance(cond, exp.GTE) == (cond.this.table == alias):
                    raise UnsupportedSQL("only ASOF joins on the latest point at or before a time")
                bound = (mine.name, other)
            else:
                raise UnsupportedSQL(f"an ASOF condition Spark cannot express: {cond.sql('duckdb')}")
        if bound is None:
            raise UnsupportedSQL("an ASOF join without an inequality")
        t, other = bound
        inner = right.copy()
        inner.set("alias", None)
        lead = exp.Window(this=exp.Anonymous(this="LEAD", expressions=[exp.column(t)]),
                          partition_by=[exp.column(k) for k in keys],
                          order=exp.Order(expressions=[exp.Ordered(this=exp.column(t))]))
        ranged = exp.select("*", exp.alias_(lead, "asof_next_")).from_(inner)
        upper = exp.Or(this=exp.Is(this=exp.column("asof_next_", alias), expression=exp.Null()),
                       expression=exp.LT(this=other.copy(), expression=exp.column("asof_next_", alias)))
        on = exp.and_(node.args["on"].copy(), exp.Paren(this=upper))
        return exp.Join(this=exp.Subquery(this=ranged, alias=exp.TableAlias(this=exp.to_identifier(alias))),
                        side=node.args.get("side"), on=on)
    return tree.transform(put)


def _zip_explodes(tree: exp.Expression) -> exp.Expression:
    """DuckDB unnests several lists side by side in one SELECT; Spark allows one generator per SELECT. With
    the lists bound to literals, ``SELECT unnest(a) AS x, unnest(b) AS y`` becomes one ``inline`` of
    structs (x, y) built from the lists' elements."""
    def put(node: exp.Expression) -> exp.Expression:
        if not isinstance(node, exp.Select):
            return node
        projections = node.expressions
        unnests = [p for p in projections if isinstance(p, exp.Alias) and isinstance(p.this, (exp.Explode, exp.Unnest))]
        if len(unnests) < 2:
            return node
        if len(unnests) != len(projections):
            raise UnsupportedSQL("several unnests beside other columns")
        columns = []
        for p in unnests:
            arg = p.this.this if isinstance(p.this, exp.Explode) else p.this.expressions[0]
            cast = None
            while isinstance(arg, (exp.Cast, exp.Paren)):
                if isinstance(arg, exp.Cast) and arg.to.expressions:
                    cast = arg.to.expressions[0]
                arg = arg.this
            if not isinstance(arg, exp.Array):
                raise UnsupportedSQL("unnest of a list that is not a bound value")
            columns.append((p.alias, cast, [exp.cast(e.copy(), cast.copy()) if cast else e.copy() for e in arg.expressions]))
        lengths = {len(items) for _, _, items in columns}
        if len(lengths) != 1:
            raise UnsupportedSQL("unnests of lists of different lengths")
        count = lengths.pop()
        rows = [exp.Anonymous(this="STRUCT", expressions=[exp.alias_(items[i], name) for name, _, items in columns])
                for i in range(count)]
        array: exp.Expression = exp.Array(expressions=rows)
        if not count:  # no rows (no health measure at all): ARRAY() is ARRAY<VOID>, which INLINE refuses
            if any(cast is None for _, cast, _ in columns):
                raise UnsupportedSQL("an empty unnest without a type: cast the list ($x::TYPE[])")
            fields = ", ".join(f"`{name}`: {cast.sql('spark')}" for name, cast, _ in columns)
            array = exp.cast(array, exp.DataType.build(f"ARRAY<STRUCT<{fields}>>", dialect="spark"))
        node.set("expressions", [exp.Anonymous(this="INLINE", expressions=[array])])
        return node
    return tree.transform(put)


_UNSIGNED = {exp.DataType.Type.UTINYINT: "SMALLINT", exp.DataType.Type.USMALLINT: "INT",
             exp.DataType.Type.UINT: "BIGINT", exp.DataType.Type.UBIGINT: "DECIMAL(20, 0)"}


def _is_double(node: exp.Expression) -> bool:
    return isinstance(node, exp.Cast) and node.to.is_type(exp.DataType.Type.DOUBLE)


def _spark_functions(tree: exp.Expression) -> exp.Expression:
    """Functions SQLGlot writes in a form Spark does not run, and DuckDB's decimal division. A node built
    anew is passed through again, so what its arguments hold is translated too."""
    def put(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Div) and not (_is_double(node.this) and _is_double(node.expression)):
            # DuckDB divides decimals (and integers) as doubles; Spark keeps decimals, rounded to 6 places.
            # Changed in place, so the walk goes on into the operands.
            node.set("this", exp.cast(node.this, "DOUBLE"))
            node.set("expression", exp.cast(node.expression, "DOUBLE"))
            return node
        if isinstance(node, (exp.ArgMin, exp.ArgMax)) and isinstance(node.expression, exp.Tuple):
            node.set("expression", exp.Anonymous(this="STRUCT", expressions=node.expression.expressions))
            return node
        new = _replacement(node)
        return _spark_functions(new) if new is not None else node
    return tree.transform(put)


def _replacement(node: exp.Expression) -> exp.Expression | None:
    def args(*items: exp.Expression) -> list[exp.Expression]:
        return [e.copy() for e in items]

    name = node.name.upper() if isinstance(node, exp.Anonymous) else None
    if isinstance(node, exp.PercentileCont):  # DuckDB's quantile_cont: Spark's exact percentile
        return exp.Anonymous(this="PERCENTILE", expressions=args(node.this, node.expression))
    if name == "QUANTILE_CONT":
        return exp.Anonymous(this="PERCENTILE", expressions=args(*node.expressions))
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Explode):  # unnest(…)::DATE: cast the list
        to = exp.DataType.build(f"ARRAY<{node.to.sql('spark')}>", dialect="spark")
        return exp.Explode(this=exp.Cast(this=node.this.this.copy(), to=to))
    if isinstance(node, exp.DataType) and node.this in _UNSIGNED:  # no unsigned integers on Spark
        return exp.DataType.build(_UNSIGNED[node.this])
    if name in ("TO_YEARS", "TO_MONTHS"):  # a year-month interval: date + it is add_months (Feb 29 -> 28)
        years, months = (node.expressions[0], exp.Literal.number(0)) if name == "TO_YEARS" else (exp.Literal.number(0), node.expressions[0])
        return exp.Anonymous(this="MAKE_YM_INTERVAL", expressions=args(years, months))
    if name == "ROUND_EVEN":  # half to even
        return exp.Anonymous(this="BROUND", expressions=args(*node.expressions))
    if name == "LIST_POSITION":
        return exp.Anonymous(this="ARRAY_POSITION", expressions=args(*node.expressions))
    if isinstance(node, exp.DateDiff) and (node.unit is None or node.unit.name.upper() == "DAY"):
        return exp.Anonymous(this="DATEDIFF", expressions=args(node.this, node.expression))
    return None


def _unique_ctes(tree: exp.Expression) -> exp.Expression:
    """Spark's generator lifts nested WITH clauses to the top (SQLGlot), where two expansions of one macro,
    or a block's ``d`` beside the result's ``d``, would clash: every nested CTE gets a name of its own."""
    count = 0
    # innermost first: a name refers to the nearest WITH that defines it, so the inner definitions take
    # their references before an outer one of the same name is renamed
    for with_ in reversed(list(tree.find_all(exp.With, bfs=True))):
        scope = with_.parent
        if scope is None or scope is tree:
            continue
        for cte in with_.expressions:
            old = cte.alias
            count += 1
            new = f"{old}_{count}"
            for table in scope.find_all(exp.Table):
                if table.name == old and not table.db:
                    if not table.alias:
                        table.set("alias", exp.TableAlias(this=exp.to_identifier(old)))
                    table.set("this", exp.to_identifier(new))
            cte.set("alias", exp.TableAlias(this=exp.to_identifier(new)))
    return tree


def to_spark(sql: str, values: dict[str, Any]) -> str:
    """Spark SQL for a result's DuckDB SQL and its bound values (see the module's notes)."""
    try:
        tree = sqlglot.parse_one(sql, read="duckdb")
        tree = _expand(_bind(tree, values))
        tree = _unique_ctes(_spark_functions(_zip_explodes(_asof(tree))))
        return tree.sql(dialect="spark", unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise UnsupportedSQL(f"Spark cannot run this as written: {exc}") from exc
    except SqlglotError as exc:
        raise UnsupportedSQL(f"SQLGlot could not read the SQL: {exc}") from exc
