"""Entry script: page config, login gate, shared sidebar, navigation.

It lives in app/ (not beside pages/) so Streamlit's legacy page discovery never starts: the only way
to a page is st.navigation below, after the gate.
"""

import json
from pathlib import Path

import streamlit as st

from dashboard import ui
from dashboard.db import DatabaseError, restore_backup

PAGES = Path(__file__).resolve().parent.parent / "pages"

st.set_page_config(page_title="CS Dashboard", page_icon=":material/monitoring:", layout="wide")
ui.new_run()
user = ui.gate()
st.session_state["_user"] = user

pages = {
    "overview": st.Page(PAGES / "overview.py", title=ui.t("page_overview"), icon=":material/dashboard:",
                        url_path="overview", default=True),
    "accounts": st.Page(PAGES / "accounts.py", title=ui.t("page_accounts"), icon=":material/support_agent:",
                        url_path="accounts"),
    "account": st.Page(PAGES / "account.py", title=ui.t("page_account"), icon=":material/person:",
                       url_path="account"),
    "tiers": st.Page(PAGES / "tiers.py", title=ui.t("page_tiers"), icon=":material/stairs:", url_path="tiers"),
    "health": st.Page(PAGES / "health.py", title=ui.t("page_health"), icon=":material/ecg_heart:", url_path="health"),
    "churn": st.Page(PAGES / "churn.py", title=ui.t("page_churn"), icon=":material/trending_down:", url_path="churn"),
    "d2c": st.Page(PAGES / "d2c.py", title=ui.t("page_d2c"), icon=":material/shopping_cart:", url_path="d2c"),
    "simulator": st.Page(PAGES / "simulator.py", title=ui.t("page_simulator"), icon=":material/calculate:",
                         url_path="simulator"),
    "data": st.Page(PAGES / "data.py", title=ui.t("page_data"), icon=":material/upload_file:", url_path="data"),
    # opened from a figure (a chart's point, a card's link) with what to list in its URL: not in the menu
    "drill": st.Page(PAGES / "drill.py", title=ui.t("page_drill"), icon=":material/list:", url_path="drill",
                     visibility="hidden"),
}
st.session_state["_pages"] = pages

navigation = st.navigation({
    ui.t("nav_executive"): [pages["overview"]],
    ui.t("nav_operations"): [pages["accounts"], pages["account"], pages["drill"]],
    ui.t("nav_analysis"): [pages["tiers"], pages["health"], pages["churn"], pages["d2c"]],
    ui.t("nav_planning"): [pages["simulator"]],
    ui.t("nav_data"): [pages["data"]],
})
st.session_state["_here"] = next((k for k, page in pages.items() if page.url_path == navigation.url_path), None)
# KPI cards stay readable in narrow windows (1024 px with the sidebar open): values shrink with the
# window instead of being cut off, and labels wrap instead of ending in "…".
st.html("<style>[data-testid='stMetricValue']{font-size:clamp(1.35rem,0.55rem + 1.45vw,2.25rem)}"
        "[data-testid='stMetricLabel'] *{white-space:normal!important;overflow:visible!important;"
        "text-overflow:clip!important;word-break:keep-all;overflow-wrap:anywhere}"
        # narrow windows give the page's margins to the tables and charts
        "@media (max-width:1200px){[data-testid='stMainBlockContainer']{padding-left:1.5rem;padding-right:1.5rem}}"
        "</style>")
# Streamlit's file uploader speaks English only ("Upload", "200MB per file"): its words are hidden and
# the user's language is drawn in their place (the hidden text is out of the page's text, too).
st.html("<style>[data-testid='stFileUploaderDropzone'] button [data-testid='stMarkdownContainer']{display:none}"
        f"[data-testid='stFileUploaderDropzone'] button>div::after{{content:{json.dumps(ui.t('uploader_button'), ensure_ascii=False)};margin-left:0.4rem}}"
        "[data-testid='stFileUploaderDropzoneInstructions'] span{display:none}"
        "[data-testid='stFileUploaderDropzoneInstructions']>div::after{content:"
        f"{json.dumps(ui.t('uploader_hint', mb=st.get_option('server.maxUploadSize')), ensure_ascii=False)};font-size:0.875rem;"
        "opacity:0.7}</style>")
try:
    ui.use_workspace_currency()
    st.session_state["_filters"] = filters = ui.sidebar(user)
    ui.show_flash()  # what the last action did, written before its rerun
    ui.refresh_notice()  # the newest data's figures still being prepared (an import that did not wait)
    if filters is not None and filters.requested:  # an as-of day after the data: figures as of its end
        st.warning(ui.t("as_of_past_data", as_of=f"{filters.requested:%Y/%m/%d}", end=f"{filters.as_of:%Y/%m/%d}"),
                   icon=":material/event_busy:")
    navigation.run()
except DatabaseError as exc:  # busy, read-only, damaged, full disk: what happened and what to do
    st.error(exc.message(ui.lang()), icon=":material/database:")
    if exc.key == "db_corrupt_backup" and user.can_edit and st.button(ui.t("backup_restore_button"), type="primary"):
        kept = restore_backup(ui.db_path(), by=user)
        st.success(ui.t("backup_restored", when=exc.kwargs["when"], kept=kept.name))
        ui.clear_caches()  # every result of the damaged file
        ui.new_run()
        st.button(ui.t("continue"))
