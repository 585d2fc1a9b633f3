"""Streamlit glue shared by the entry script and the pages: the database resource, cached queries keyed
on the data version, the login gate, language, and filters kept in the session and the URL."""

from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import json
import urllib.parse
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import auth, export, i18n, money, periods, results, schema, sessions, views, workspace
from dashboard.db import APP_LINGER_SECONDS, Database, DatabaseError, default_path
from dashboard.imports.mapping import MEASURE_SYNONYMS


@st.cache_resource
def get_db(path: str) -> Database:
    # kept open between the queries of a page run; let go when idle or when an import waits (db.py)
    return Database(path, linger=APP_LINGER_SECONDS)


def db_path() -> str:
    return str(default_path().resolve())


def db() -> Database:
    """The database of $DASHBOARD_DB (or the default file), opened once per process."""
    return get_db(db_path())


# Results are kept once per process and shared by every session (cache_resource): a rerun does not copy a
# 100k-row account list out of the cache. Callers get a shallow copy (q below): with pandas' copy-on-write
# nothing a page does to it reaches the shared result.
@st.cache_resource(show_spinner="計算中… / Computing…", max_entries=512)
def _cached(name: str, version: int, path: str, scope: results.Scope, params: dict) -> Any:
    # `version` is part of the key: a committed import or settings change makes every entry stale.
    # What a result builds on (tier rule, health measures, the list a derived result reads) comes
    # through this same cache, so it is computed once per data version, not once per result.
    def fetch(other: str, **more: Any) -> Any:
        other_scope = scope if views.honours_filters(other) else results.Scope()
        return _cached(other, version, path, other_scope, more)
    return views.call(get_db(path), name, scope, fetch=fetch, **params)


class _Memo:
    """A plain dict in front of a cache_resource function. Streamlit hashes every argument of every
    cached call (a fifth of a warm page run on the demo); the same call again is found here by a dict
    lookup. Holds what the cache holds (the same objects), for one data version and at most ``size``
    calls; arguments that cannot be a dict key go to the cache directly."""

    def __init__(self, size: int = 512):
        self.entries: dict[Any, Any] = {}
        self.size, self.version = size, None

    def get(self, key: Any, make: Any, version: Any = None) -> Any:
        if version is not None and version != self.version:
            self.entries.clear()  # a new import or settings change: nothing of the last version is asked again
            self.version = version
        try:
            return self.entries[key]
        except KeyError:
            pass
        except TypeError:  # unhashable (a data frame passed to a figure): the cache hashes it
            return make()
        value = make()
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = value
        return value

    def clear(self) -> None:
        self.entries.clear()


def _frozen(value: Any) -> Any:
    """Parameters as a dict key: lists and dicts become tuples (dates, numbers and text stay)."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


_results_memo, _figures_memo = _Memo(), _Memo(256)


def clear_caches() -> None:
    """Forget every result and figure of this process (a benchmark's cold run; a damaged file restored)."""
    st.cache_resource.clear()
    _results_memo.clear()
    _figures_memo.clear()


def q(name: str, **params: Any) -> Any:
    """A result (over the sidebar's filters, when it honours them) or a fact, by name; cached on the data
    version, so a new import or a settings change refreshes every page and nothing else recomputes."""
    version, path, scope = _key_now(name)
    if params.pop("unfiltered", False):  # one account's page: the account whatever the filters say
        scope = results.Scope()
    value = _results_memo.get((name, path, scope, _frozen(params)),
                              lambda: _cached(name, version, path, scope, params), version=(version, path))
    value = _copied(value)
    if isinstance(value, pd.DataFrame):  # remember where it came from: figure() keys on that, not on the rows
        st.session_state.setdefault("_origins", {})[id(value)] = (value, (name, version, scope, params))
    return value


def later(name: str, **params: Any) -> Any:
    """``q(name, **params)`` for a callback that runs after the script run (a download written when its
    button is pressed): the data version and the filters are taken now, while the run's session state is
    there; the callback sees no session state (Streamlit's "missing ScriptRunContext") and would otherwise
    compute the result for every account."""
    version, path, scope = _key_now(name)
    return lambda: _copied(_cached(name, version, path, scope, params))


def _key_now(name: str) -> tuple[int, str, results.Scope]:
    """What a result is cached under in this run: the run's data version, the database, the filters in force
    (for a result that honours them)."""
    database = db()
    version = st.session_state.get("_data_version_this_run")
    if version is None:
        version = database.data_version()
        st.session_state["_data_version_this_run"] = version
    scope = scope_now() if views.honours_filters(name) else results.Scope()
    return version, str(database.path), scope


def _copied(value: Any) -> Any:
    """A cached value the caller may change without changing the cache: containers copied, data frames
    shallow (copy-on-write keeps the cached rows intact; a deep copy of a 100k-row frame is not free)."""
    if isinstance(value, pd.DataFrame):
        return value.copy(deep=False)
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return copy.deepcopy(value)


def today() -> dt.date:
    """Today in the workspace's time zone (setting ``time_zone``)."""
    return periods.today(q("settings")["time_zone"])


def scope_now() -> results.Scope:
    f = st.session_state.get("_filters")
    return f.scope if f is not None else results.Scope()


def use_workspace_currency() -> None:
    """Amounts on every page of this run are shown in the workspace currency (setting ``currency``)."""
    money.use(q("settings")["currency"])


def new_run() -> None:
    """Read the data version once per script run (every page sees the same version)."""
    st.session_state.pop("_data_version_this_run", None)
    st.session_state.pop("_origins", None)


def flash(message: str, warnings: list[str] | None = None) -> None:
    """A success message (and any warnings that came with it) shown at the top of the next run: one written
    before ``st.rerun()`` is wiped."""
    st.session_state["_flash"] = message
    st.session_state["_flash_warnings"] = list(warnings or [])


def show_flash() -> None:
    message = st.session_state.pop("_flash", None)
    if message:
        st.success(message, icon=":material/check_circle:")
    for warning in st.session_state.pop("_flash_warnings", None) or []:
        st.warning(warning, icon=":material/warning:")


# -- language ---------------------------------------------------------------------------------------
def lang() -> str:
    if "lang" not in st.session_state:
        from_url = st.query_params.get("lang")
        browser = (getattr(st.context, "locale", None) or "ja").lower()
        st.session_state["lang"] = from_url if from_url in ("ja", "en") else ("en" if browser.startswith("en") else "ja")
    return st.session_state["lang"]


def t(key: str, **kwargs: Any) -> str:
    """User text in the session's language, from the one catalogue (dashboard.i18n.MESSAGES)."""
    return i18n.t(key, lang(), **kwargs)


# -- access -----------------------------------------------------------------------------------------
def current_user() -> auth.User | None:
    """The signed-in user: from this browser session's login, or from the session cookie a login set
    (checked on every run, so a logout elsewhere, a removed user or a changed password ends it)."""
    if not auth.load_users():
        return auth.LOCAL_USER
    token = st.context.cookies.get(sessions.COOKIE) if st.context.cookies else None
    if token and st.session_state.get("_logged_out") != token:
        user = sessions.verify(token)
        if user is not None:
            st.session_state["user"] = user
            return user
    return st.session_state.get("user")


def _go(url: str) -> None:
    """Send the browser to a server route (the session cookie is set and cleared over plain HTTP)."""
    st.html(f"<script>window.location.replace({json.dumps(url)})</script>", unsafe_allow_javascript=True)


def _here() -> str:
    path = urllib.parse.urlsplit(st.context.url or "/").path or "/"
    query = urllib.parse.urlencode([(k, v) for k in st.query_params for v in st.query_params.get_all(k)])
    return path + ("?" + query if query else "")


def gate() -> auth.User:
    """Show the login form and stop the run unless someone is logged in (or no users are configured)."""
    user = current_user()
    if user is not None:
        code = st.session_state.pop("_session_code", None)
        if code:  # just logged in: this tab goes on; the browser fetches the cookie that keeps the login
            _go("/auth/session?" + urllib.parse.urlencode({"code": code, "next": _here()}))
        return user
    st.title(t("app_title"))
    st.subheader(t("login_title"))
    with st.form("login"):
        name = st.text_input(t("username"))
        password = st.text_input(t("password"), type="password")
        submitted = st.form_submit_button(t("login"), type="primary")
    if submitted:
        try:
            found = auth.authenticate(name, password)
        except auth.Locked as exc:
            st.error(t("login_locked", minutes=max(1, -(-exc.seconds // 60))))
            st.stop()
        if found:
            st.session_state["user"] = found
            st.session_state.pop("_logged_out", None)
            st.session_state["_session_code"] = sessions.issue_code(found.name, _session_hours())
            st.rerun()
        st.error(t("login_failed"))
    st.stop()


def _session_hours() -> float:
    try:
        return float(q("settings")["session_hours"])
    except (DatabaseError, TypeError, ValueError):  # a damaged database must not stop a login
        return sessions.DEFAULT_HOURS


def logout() -> None:
    """End the session for good: the cookie's session id is revoked, then the browser drops the cookie."""
    token = st.context.cookies.get(sessions.COOKIE) if st.context.cookies else None
    sessions.revoke(token)
    st.session_state.pop("user", None)
    st.session_state["_logged_out"] = token
    _go("/auth/logout")
    st.stop()


# -- filters (session + URL) ------------------------------------------------------------------------
@dataclass(frozen=True)
class Filters:
    as_of: dt.date  # the day figures are computed as of: never after the data's last day
    start: dt.date
    scope: results.Scope  # tier, owner, plan, segment, industry, channel: applied in every result's SQL
    requested: dt.date | None = None  # the as-of day asked for, when it is after the data's last day


def _param_date(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return None


def _init(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


# The account filters in the sidebar, in order; a column appears when the data has values for it.
FILTER_LABELS = {"tier": "tier_filter", "owner": "owner_filter", "plan": "plan_filter",
                 "segment": "segment_filter", "industry": "industry_filter", "acquisition_channel": "channel_filter"}


def column_label(column: str) -> str:
    """An account column's name in the user's language (plan -> プラン)."""
    return t({**FILTER_LABELS, "status": "status_filter"}.get(column, column))


def sidebar(user: auth.User) -> Filters | None:
    """Language, the signed-in user and the filters every page shares. Returns None for an empty database."""
    with st.sidebar:
        box = st.container()  # the view in force first; language and login below it
        choice = st.segmented_control(t("language"), ["ja", "en"], default=lang(),
                                      format_func=lambda v: {"ja": "日本語", "en": "English"}[v],
                                      key="lang_choice")
        if choice and choice != st.session_state["lang"]:
            st.session_state["lang"] = choice
            st.rerun()
        if auth.load_users():
            st.caption(t("signed_in_as", name=user.name, role=t(f"role_{user.role}")))
            if st.button(t("logout")):
                logout()
        if not q("loaded"):  # nothing imported yet (cached on the data version, as every fact)
            return None
        default_as_of = q("default_as_of")
        bounds = q("data_bounds")
        first = bounds["first"] or default_as_of
        last = max(bounds["last"] or default_as_of, today())  # the data's end, or today if later
        # A shared link's dates are kept within the data (a date before it would crash the date inputs,
        # one decades ahead would draw empty months up to it).
        wanted_as_of, wanted_start = _param_date("as_of"), _param_date("from")
        as_of_default = min(max(wanted_as_of or default_as_of, first), last)
        start_default = wanted_start or periods.default_start(default_as_of, first)
        start_default = min(max(start_default, first), as_of_default)
        if "f_as_of" not in st.session_state and (
                (wanted_as_of and wanted_as_of != as_of_default) or (wanted_start and wanted_start != start_default)):
            st.toast(t("link_dates_adjusted", first=first.isoformat(), last=last.isoformat()), icon=":material/info:")
        _init("f_as_of", as_of_default)
        _init("f_start", start_default)
        options = {"tier": list(results.scope.TIERS)}
        values = q("filter_values")
        for column, group in values.groupby("column_name", sort=False):
            options[column] = sorted(group["value"].tolist())
        shown = [column for column in FILTER_LABELS if options.get(column)]
        dropped = []
        for column in shown:
            key = f"f_{column}"
            if key not in st.session_state:
                wanted = st.query_params.get_all(column)
                st.session_state[key] = [v for v in wanted if v in options[column]]
                dropped += [v for v in wanted if v not in options[column]]
        if dropped:
            st.toast(t("link_filter_ignored", values=", ".join(dropped)), icon=":material/info:")
        # The widgets sit in a popover: its content is drawn in the browser only when opened, which takes
        # 0.5-0.8 s off every page's first chart (benchmarks/RESULTS.md, "In the browser"). What is in force
        # is always on show below it.
        box.subheader(t("filters"))
        summary = box.container()
        with box.popover(t("filters_change"), icon=":material/tune:", width="stretch"):
            as_of = st.date_input(t("as_of"), key="f_as_of", min_value=first, max_value=last, format="YYYY/MM/DD")
            start = st.date_input(t("from"), key="f_start", min_value=first, max_value=as_of, format="YYYY/MM/DD")
            selected = {column: st.multiselect(t(FILTER_LABELS[column]), options[column], key=f"f_{column}",
                                               placeholder=t("all"), select_all=False)  # its label is English only
                        for column in shown}
        effective = periods.within_data(as_of, bounds["series_last"])
        summary.markdown(filter_summary(effective, min(start, effective), selected))
        # Which data this page shows: every figure of one run comes from this one version; how old it is.
        last = q("last_import")
        st.caption(t("data_state", n=st.session_state["_data_version_this_run"],
                     when=f"{last:%Y/%m/%d %H:%M}" if last is not None else "–"))
        if bounds["series_last"]:
            end = bounds["series_last"]
            stale = (today() - end).days
            st.caption(t("data_ends", end=f"{end:%Y/%m/%d}", days=i18n.integer(stale)) if stale > 0
                       else t("data_ends_today", end=f"{end:%Y/%m/%d}"))
        account_search()
    filters = Filters(effective, min(start, effective), results.Scope.of(selected),
                      requested=as_of if effective != as_of else None)
    sync_url(filters)
    return filters


def account_search() -> None:
    """The sidebar's search: accounts whose name or ID contains what is typed, each a link to its page."""
    text = st.text_input(t("account_search"), key="account_search", placeholder=t("account_search_help"),
                         icon=":material/search:")
    if not text.strip():
        return
    found = views.search_accounts(q, text)
    if found.empty:
        st.caption(t("account_search_none"))
    for row in found.head(8).itertuples():
        link_to_account(row.account_id, row.name or row.account_id)
    if len(found) > 8:
        st.caption(t("account_search_more", n=i18n.integer(len(found) - 8)))


def link_to_account(account_id: str, label: str) -> None:
    pages = st.session_state.get("_pages") or {}
    if "account" in pages:
        st.page_link(pages["account"], label=label, query_params=with_view({"account": account_id}), icon=":material/person:",
                     help=account_id)


def refresh_notice() -> None:
    """While the newest data's figures are being prepared (an import committed without waiting for it),
    say so with its progress; this run's figures are computed from that data meanwhile. The refresh runs
    in this process (workspace.pending_refresh), started by the first page run that finds it pending; when
    it ends the page runs again, reading what is kept now (the same figures), and the notice is gone."""
    state = workspace.pending_refresh(db())
    if state is None:
        return

    @st.fragment(run_every=1.0)
    def notice() -> None:
        if state.done:
            st.rerun()  # the whole page: its next run finds nothing pending and draws no notice
        st.progress(min(state.fraction, 1.0), text=t("figures_updating", n=i18n.integer(state.version),
                                                      done=i18n.pct(state.fraction, 0)))

    notice()


def filter_summary(as_of: dt.date, start: dt.date, selected: dict[str, list[str]]) -> str:
    """The view in force, in words: the period, then each account filter set (or "all accounts")."""
    lines = [t("period_summary", start=f"{start:%Y/%m/%d}", as_of=f"{as_of:%Y/%m/%d}")]
    chosen = [f"{t(FILTER_LABELS[c])}: {'、'.join(v) if lang() == 'ja' else ', '.join(v)}"
              for c, v in selected.items() if v]
    lines += chosen or [t("all_accounts")]
    return "  \n".join(escaped(line) for line in lines)


def escaped(text: str) -> str:
    """Text from the data shown as itself in Markdown (an owner called *A* stays *A*)."""
    return "".join("\\" + ch if ch in "\\`*_{}[]<>()#+-.!|~$:" else ch for ch in text)


def _view(filters: Filters) -> dict[str, Any]:
    return {"lang": lang(), "as_of": (filters.requested or filters.as_of).isoformat(), "from": filters.start.isoformat(),
            **{column: list(filters.scope.get(column)) for column in FILTER_LABELS if filters.scope.get(column)}}


def sync_url(filters: Filters) -> None:
    """Write the view into the URL so a link reproduces it."""
    wanted = _view(filters)
    for key in ("lang", "as_of", "from"):
        if st.query_params.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]
    for column in FILTER_LABELS:
        values = wanted.get(column, [])
        if st.query_params.get_all(column) != values:
            st.query_params[column] = values


def with_view(query: dict[str, Any]) -> dict[str, Any]:
    """A link's own parameters with the view in force (language, day, period, filters): the page it opens
    finds its URL already as sync_url would write it, so it adds no second history entry (one press of the
    browser's back button returns)."""
    filters = st.session_state.get("_filters")
    return ({"lang": lang()} if filters is None else _view(filters)) | query


def filter_note(name: str) -> None:
    """Under a figure that cannot honour the account filters while some are set: say so."""
    if scope_now() and not views.honours_filters(name):
        st.caption(t("filters_not_applied"))


def table(frame: pd.DataFrame, name: str, columns: list[str] | None = None, **options: Any) -> None:
    """A result's rows as a table: the chosen columns (default all), labelled and formatted as result
    ``name`` declares them, blanks shown blank."""
    shown = frame[columns] if columns is not None else frame
    pages = st.session_state.get("_pages") or {}
    if "account_id" not in frame or "account" not in pages:
        st.dataframe(shown, hide_index=True, width="stretch", placeholder="",
                     column_config=column_config(name, columns), **options)
        return
    # every account leads to its own page: a click on a row opens it
    key = "pick_" + name + "_" + hashlib.sha256(repr(list(shown.columns)).encode()).hexdigest()[:8]
    event = st.dataframe(shown, hide_index=True, width="stretch", placeholder="", on_select="rerun",
                         selection_mode="single-row", key=key, column_config=column_config(name, columns), **options)
    st.caption(t("click_row_hint"))
    rows = event.selection.rows if event is not None else []
    if rows:
        picked = frame.iloc[rows[0]]["account_id"]
        st.session_state.pop(key, None)  # back on this page, the list is not still selected
        st.switch_page(pages["account"], query_params=with_view({"account": str(picked)}))


def column_config(name: str, columns: list[str] | None = None) -> dict:
    """Table columns of result ``name`` with their labels in the user's language and their formats."""
    out = {}
    for col in results.RESULTS[name].columns:
        if columns is not None and col.name not in columns:
            continue
        out[col.name] = _column(col.label(lang()), col.fmt)
    return out


# a stored value's kind (schema.DATASETS) as a table column's format (results' Column.fmt)
_KIND_FORMATS = {"money": "money", "date": "date", "month": "month", "number": "int", "flag": "flag", "rate": "pct"}
# the stored words of a kind as the user reads them (the message keys' prefix)
_KIND_WORDS = {"line_kind": "kind_", "interval": "interval_", "duration": "duration_"}


def dataset_table(dataset: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """A table of ``dataset``'s stored columns (the import preview) as the user reads them: headed by their
    labels (顧客ID, 契約開始日), stored words in words (定額, 年次, 米ドル, ログイン数), and formatted (yen with
    separators, dates as 2026/04/01). Amounts of a dataset with a currency column are in each row's own
    currency: numbers with separators, no symbol. Returns (that frame, its column_config)."""
    kinds, language = schema.DATASETS[dataset], lang()
    frame = frame.copy()
    for column in frame.columns:
        kind, values = kinds.get(column, "text"), frame[column]
        if kind in _KIND_WORDS:
            words = {v: t(f"{_KIND_WORDS[kind]}{v}") for v in values.dropna().unique()}
            if kind == "duration":  # "3": a discount for 3 months
                words |= {v: t("duration_months", n=v) for v in words if str(v).isdigit()}
            frame[column] = values.map(lambda v, w=words: w.get(v, v))
        elif column == "currency":
            frame[column] = values.map(lambda v: money.currency_name(v, language) if isinstance(v, str) else v)
        elif kind == "period":  # 2026-04-01/2026-04-30
            frame[column] = values.map(lambda v: "～".join(side.replace("-", "/") for side in v.split("/"))
                                       if isinstance(v, str) else v)
        elif dataset == "usage" and column == "measure":
            frame = views.localize_measures(frame, column, language)
    formats = {c: _KIND_FORMATS.get(kinds.get(c, "text"), "text") for c in frame.columns}
    if "currency" in kinds:  # each row's own currency: not the workspace's symbol
        formats |= {c: "int" for c, f in formats.items() if f == "money"}
    if dataset == "fx_rates":  # a rate such as 0.0066 needs its digits
        formats["rate"] = "float6"
    labels = {c: t(f"col_{c}") for c in frame.columns}
    return frame.rename(columns=labels), {labels[c]: _column(None, formats[c]) for c in frame.columns}


def _column(label: str | None, fmt: str) -> Any:
    return (
            # amounts as wide as they need (a narrow column cut '¥26,067,000' to '26,067,000'), scores narrow
            st.column_config.NumberColumn(label, format=money.column_format()) if fmt == "money" else
            st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%.0f", width="small")
            if fmt == "score" else
            st.column_config.NumberColumn(label, format="%+.1f") if fmt == "delta" else
            st.column_config.NumberColumn(label, format="percent") if fmt == "pct" else
            st.column_config.NumberColumn(label, format="localized") if fmt in ("int", "days") else
            st.column_config.NumberColumn(label, format="%.2f") if fmt == "float" else
            st.column_config.NumberColumn(label, format="%.6g") if fmt == "float6" else
            st.column_config.DateColumn(label, format="YYYY/MM/DD") if fmt == "date" else
            st.column_config.DateColumn(label, format="YYYY/MM") if fmt == "month" else
            st.column_config.ListColumn(label, width="large") if fmt == "list" else
            st.column_config.CheckboxColumn(label, width="small") if fmt == "flag" else
            st.column_config.TextColumn(label))


def filters() -> Filters:
    return st.session_state["_filters"]


def user() -> auth.User:
    return st.session_state["_user"]


# -- output helpers ---------------------------------------------------------------------------------
class _Args:
    """The figure's real inputs, passed along but not hashed (the key stands for them)."""

    def __init__(self, args: tuple, kwargs: dict):
        self.args, self.kwargs = args, kwargs


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(builder: str, currency: str, key_args: tuple, key_kwargs: dict, _real: _Args):
    from dashboard import figures

    return getattr(figures, builder)(*_real.args, **_real.kwargs)


def figure(builder, *args: Any, **kwargs: Any):
    """``builder(*args)`` from dashboard.figures, built once per distinct input and shared: a rerun with
    the same data reuses the figure instead of rebuilding it (Plotly's validation is the slow part of a
    warm page run). The amounts' currency is part of the key; the figure is never changed afterwards."""
    origins = st.session_state.get("_origins", {})

    def key(value: Any) -> Any:  # a result of q() this run stands for itself by its key (no hashing of rows)
        found = origins.get(id(value))
        return ("result", found[1]) if found is not None and found[0] is value else value
    currency, key_args, key_kwargs = money.current().code, tuple(key(a) for a in args), {k: key(v) for k, v in kwargs.items()}
    return _figures_memo.get(_frozen((builder.__name__, currency, key_args, key_kwargs)),
                             lambda: _figure(builder.__name__, currency, key_args, key_kwargs, _Args(args, kwargs)))

def chart(fig, data: pd.DataFrame | None = None, name: str = "chart", key: str | None = None,
          drill: tuple[str, dict] | None = None) -> None:
    """A Plotly chart (its toolbar saves a PNG) with its data as a CSV download underneath. ``drill``: the
    figure's result (catalog.DRILLS) and the parameters it was run with besides the sidebar's: a click on a
    point carrying its drill-down (figures.drill_data) opens the accounts behind it."""
    options: dict[str, Any] = {}
    if drill is not None:
        key = key or f"drill_{name}"
        options = {"on_select": "rerun", "selection_mode": "points"}
    event = st.plotly_chart(fig, width="stretch", key=key, config={
        "displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}}, **options)
    if drill is not None:
        points = (event or {}).get("selection", {}).get("points") or []
        picked = next((p["customdata"] for p in points if p.get("customdata")), None)
        if picked:
            st.session_state.pop(key, None)  # back on this page, the chart is not still selected
            figure, params = drill
            keys = dict(zip(results.DRILLS[figure].keys, picked[1:], strict=False))
            open_drill(figure, picked[0], keys, params)
        st.caption(t("click_chart_hint"))
    if data is not None and len(data):
        download(data, name, key=key)


def drill_query(figure: str, column: str, keys: dict, params: dict | None = None) -> dict[str, str]:
    """A drill-down in the drill page's URL: the figure, its column, its row's keys (k_) and the parameters
    it was run with besides the sidebar's day and period (p_)."""
    from dashboard.figures import key_text

    return {"drill": figure, "col": column, **{f"k_{k}": key_text(v) for k, v in keys.items()},
            **{f"p_{k}": key_text(v) for k, v in (params or {}).items()}}


def open_drill(figure: str, column: str, keys: dict, params: dict | None = None) -> None:
    here = st.session_state.get("_here")  # the page the figure is on: the drill page links back to it
    query = drill_query(figure, column, keys, params) | ({"back": here} if here else {})
    st.switch_page(st.session_state["_pages"]["drill"], query_params=with_view(query))


def drill_link(figure: str, column: str, keys: dict | None = None, params: dict | None = None,
               label: str | None = None) -> None:
    """A link under a figure (a KPI card) to the accounts behind it."""
    st.page_link(st.session_state["_pages"]["drill"], label=label or t("drill_open"), icon=":material/list:",
                 query_params=with_view(drill_query(figure, column, keys or {}, params)), help=t("drill_open_help"))


def csv_words() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Column labels and coded values in the session's language, for downloads: taken during the script run
    (a download is written after it, where the session's language is not known)."""
    return _csv_words(lang())


@functools.cache
def _csv_words(language: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Built once per language (every chart's download asks on every rerun)."""
    labels = {k[4:]: v[language] for k, v in i18n.MESSAGES.items() if k.startswith("col_")}
    for result in results.RESULTS.values():  # the labels the pages' tables show win
        labels.update({c.name: c.label(language) for c in result.columns})
    bands = {b: i18n.t(b, language) for b in ("red", "yellow", "green")}
    none = {"none": i18n.t("tier_none", language)}
    yes_no = {True: i18n.t("yes", language), False: i18n.t("no", language)}
    flags = {c.name: yes_no for r in results.RESULTS.values() for c in r.columns if c.fmt == "flag"}
    moves = {m: i18n.t(m, language) for m in ("new", "reactivation", "expansion", "contraction", "churn", "fx")}
    work = {s: i18n.t(f"work_{s}", language) for s in ("open", "done", "snoozed")}
    # the measures with a name of their own (page_views: 表示数); an imported header stays as it is
    measures = {m: i18n.measure_label(m, language) for m in (*MEASURE_SYNONYMS, "days_since_contact")}
    return labels, {"band": bands, "band_from": bands, "band_to": bands, "tier_from": none, "tier_to": none,
                    "movement": moves, "work_status": work, "measure": measures, **flags}


def download(data: pd.DataFrame, name: str, key: str | None = None) -> None:
    """A table's rows as a CSV download (UTF-8 with BOM, formula-looking cells neutralised), with headers
    and coded values in the user's language. The CSV is written when the button is pressed, not on every
    rerun; downloading does not rerun the page."""
    labels, values = csv_words()
    st.download_button(t("download_csv"), lambda: export.to_csv_bytes(export.for_people(data, labels, values)),
                       file_name=f"{name}.csv",
                       mime="text/csv", key=f"dl_{key or name}", type="tertiary", icon=":material/download:",
                       on_click="ignore")


def definitions(keys: list[str]) -> None:
    """The definitions of the metrics on a page, one click away."""
    from dashboard.definitions import DEFINITIONS

    with st.expander(t("definitions"), icon=":material/help:"):
        for key in keys:
            title, body = DEFINITIONS[key][lang()]
            st.markdown(f"**{title}** — {body}")


def help_for(key: str) -> str:
    from dashboard.definitions import DEFINITIONS

    return DEFINITIONS[key][lang()][1]


def empty_state(user: auth.User) -> None:
    st.info(t("empty_db") if user.can_edit else t("viewer_empty"), icon=":material/info:")
    if user.can_edit:
        c1, c2 = st.columns([1, 3])
        if c1.button(t("load_demo"), type="primary"):
            from dashboard import demo
            with st.spinner("…"):
                demo.load(db(), by=user)
            st.rerun()
        c2.page_link(st.session_state["_pages"]["data"], label=t("go_data"), icon=":material/upload:")
