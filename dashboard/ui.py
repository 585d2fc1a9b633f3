"""Streamlit glue shared by the entry script and the pages: the database resource, cached queries keyed
on the data version, the login gate, language, and filters kept in the session and the URL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import auth, export, metrics, money, report
from dashboard import settings as S
from dashboard.db import Database, default_path
from dashboard.i18n import tr


@st.cache_resource
def get_db(path: str) -> Database:
    return Database(path)


def db() -> Database:
    """The database of $DASHBOARD_DB (or the default file), opened once per process."""
    return get_db(str(default_path().resolve()))


@st.cache_data(show_spinner="計算中… / Computing…", max_entries=256)
def _cached(fn: str, version: int, path: str, params: dict) -> Any:
    # `version` is part of the key: a committed import or settings change makes every entry stale.
    return _CALLS[fn](get_db(path), **params)


_CALLS = {
    "churn": metrics.churn,
    "mrr_movements": metrics.mrr_movements,
    "cohorts": metrics.cohorts,
    "active_accounts": metrics.active_accounts,
    "health_scores": metrics.health_scores,
    "health_details": metrics.health_details,
    "health_validation": metrics.health_validation,
    "tier_migration": metrics.tier_migration,
    "d2c_summary": metrics.d2c_summary,
    "d2c_cohorts": metrics.d2c_cohorts,
    "default_as_of": metrics.default_as_of,
    "data_bounds": metrics.data_bounds,
    "settings": S.get_all,
    "health_config": report.health_config,
    "loaded": lambda db: db.loaded_datasets(),
    "tiers_as_of": report.tiers_as_of,
    "opportunities": lambda db: db.query("SELECT * FROM cur_opportunities"),
}


def q(fn: str, **params: Any) -> Any:
    """A cached call of a metric function; recomputed only when the data version changes."""
    database = db()
    version = st.session_state.get("_data_version_this_run")
    if version is None:
        version = database.data_version()
        st.session_state["_data_version_this_run"] = version
    return _cached(fn, version, str(database.path), params)


def use_workspace_currency() -> None:
    """Amounts on every page of this run are shown in the workspace currency (setting ``currency``)."""
    money.use(q("settings")["currency"])


def new_run() -> None:
    """Read the data version once per script run (every page sees the same version)."""
    st.session_state.pop("_data_version_this_run", None)


# -- language ---------------------------------------------------------------------------------------
def lang() -> str:
    if "lang" not in st.session_state:
        from_url = st.query_params.get("lang")
        browser = (getattr(st.context, "locale", None) or "ja").lower()
        st.session_state["lang"] = from_url if from_url in ("ja", "en") else ("en" if browser.startswith("en") else "ja")
    return st.session_state["lang"]


def t(key: str, **kwargs: Any) -> str:
    return tr(key, lang(), **kwargs)


# -- access -----------------------------------------------------------------------------------------
def current_user() -> auth.User | None:
    if not auth.load_users():
        return auth.LOCAL_USER
    return st.session_state.get("user")


def gate() -> auth.User:
    """Show the login form and stop the run unless someone is logged in (or no users are configured)."""
    user = current_user()
    if user is not None:
        return user
    st.title(t("app_title"))
    st.subheader(t("login_title"))
    with st.form("login"):
        name = st.text_input(t("username"))
        password = st.text_input(t("password"), type="password")
        submitted = st.form_submit_button(t("login"), type="primary")
    if submitted:
        found = auth.authenticate(name, password)
        if found:
            st.session_state["user"] = found
            st.rerun()
        st.error(t("login_failed"))
    st.stop()


# -- filters (session + URL) ------------------------------------------------------------------------
@dataclass
class Filters:
    as_of: dt.date
    start: dt.date
    tiers: list[str]
    owners: list[str]


def _param_date(name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(st.query_params.get(name, ""))
    except ValueError:
        return None


def _init(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def sidebar(user: auth.User) -> Filters | None:
    """Language, the signed-in user and the filters every page shares. Returns None for an empty database."""
    with st.sidebar:
        choice = st.segmented_control(t("language"), ["ja", "en"], default=lang(),
                                      format_func=lambda v: {"ja": "日本語", "en": "English"}[v],
                                      key="lang_choice")
        if choice and choice != st.session_state["lang"]:
            st.session_state["lang"] = choice
            st.rerun()
        if auth.load_users():
            st.caption(t("signed_in_as", name=user.name, role=t(f"role_{user.role}")))
            if st.button(t("logout")):
                st.session_state.pop("user", None)
                st.rerun()
        if db().is_empty():
            return None
        default_as_of = q("default_as_of")
        first = q("data_bounds")["first"] or default_as_of
        # A shared link's dates are kept within the data (a date before it would crash the date inputs).
        wanted_as_of, wanted_start = _param_date("as_of"), _param_date("from")
        as_of_default = min(max(wanted_as_of or default_as_of, first), dt.date(9999, 12, 31))
        start_default = wanted_start or max(first, metrics.P.add_months(default_as_of.replace(day=1), -12))
        start_default = min(max(start_default, first), as_of_default)
        if "f_as_of" not in st.session_state and (
                (wanted_as_of and wanted_as_of != as_of_default) or (wanted_start and wanted_start != start_default)):
            st.toast(t("link_dates_adjusted", first=first.isoformat()), icon=":material/info:")
        _init("f_as_of", as_of_default)
        _init("f_start", start_default)
        _init("f_tiers", [v for v in st.query_params.get_all("tier") if v in metrics.TIERS])
        _init("f_owners", st.query_params.get_all("owner"))
        st.subheader(t("filters"))
        as_of = st.date_input(t("as_of"), key="f_as_of", min_value=first, format="YYYY/MM/DD")
        start = st.date_input(t("from"), key="f_start", min_value=first, max_value=as_of, format="YYYY/MM/DD")
        tiers = st.multiselect(t("tier_filter"), list(metrics.TIERS), key="f_tiers", placeholder=t("all"))
        accounts, _ = q("tiers_as_of", as_of=as_of)  # the same cached result every page reads
        owners_all = sorted(o for o in accounts["owner"].dropna().unique())
        st.session_state["f_owners"] = [o for o in st.session_state["f_owners"] if o in owners_all]
        owners = st.multiselect(t("owner_filter"), owners_all, key="f_owners", placeholder=t("all"))
    filters = Filters(as_of, min(start, as_of), tiers, owners)
    sync_url(filters)
    return filters


def sync_url(filters: Filters) -> None:
    """Write the view into the URL so a link reproduces it."""
    wanted = {"lang": lang(), "as_of": filters.as_of.isoformat(), "from": filters.start.isoformat()}
    for key, value in wanted.items():
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    if st.query_params.get_all("tier") != filters.tiers:
        st.query_params["tier"] = filters.tiers
    if st.query_params.get_all("owner") != filters.owners:
        st.query_params["owner"] = filters.owners


def filters() -> Filters:
    return st.session_state["_filters"]


def user() -> auth.User:
    return st.session_state["_user"]


def apply_account_filters(frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
    from dashboard.views import apply_filters

    return apply_filters(frame, f)


# -- output helpers ---------------------------------------------------------------------------------
def chart(fig, data: pd.DataFrame | None = None, name: str = "chart", key: str | None = None) -> None:
    """A Plotly chart (its toolbar saves a PNG) with its data as a CSV download underneath."""
    st.plotly_chart(fig, width="stretch", key=key, config={
        "displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": name, "scale": 2}})
    if data is not None and len(data):
        st.download_button(t("download_csv"), export.to_csv_bytes(data), file_name=f"{name}.csv",
                           mime="text/csv", key=f"dl_{key or name}", type="tertiary", icon=":material/download:")


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
            auth.require_editor(user)
            from dashboard import demo
            with st.spinner("…"):
                demo.load(db())
            st.rerun()
        c2.page_link(st.session_state["_pages"]["data"], label=t("go_data"), icon=":material/upload:")
