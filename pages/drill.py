"""Breakdown (内訳): the accounts behind one figure — opened from a chart's bar, point or cell or a card's link,
with the figure's value beside the same worked out from the list (they are equal), the list itself (each row
opens its account) and its download. What it lists is in its URL (results.drills, ui.drill_query)."""

import streamlit as st

from dashboard import ui, views
from dashboard.i18n import integer
from dashboard.results import DRILLS, RESULTS, ResultError, drills

f, user, lang = ui.filters(), ui.user(), ui.lang()
if f is None:
    st.title(ui.t("page_drill"))
    ui.empty_state(user)
    st.stop()

query = st.query_params.to_dict()
if query.get("drill") is None and st.session_state.get("_last_drill"):
    # Back from an account to this page: the URL has the list's parameters, but Streamlit runs the page
    # without them the first time (streamlit/streamlit#9279, fixed after 1.67): the list this session
    # opened last is the one the browser came back to.
    query = st.session_state["_last_drill"]
    st.query_params.from_dict(ui.with_view(query))
figure = query.get("drill")
if figure not in DRILLS:
    st.title(ui.t("page_drill"))
    st.info(ui.t("drill_pick"), icon=":material/touch_app:")
    st.stop()

keys = {k[2:]: v for k, v in query.items() if k.startswith("k_")}
params = {"as_of": f.as_of, "start": f.start, "from_month": f.start.replace(day=1), "grain": "month"} | {
    k[2:]: v for k, v in query.items() if k.startswith("p_")}
try:
    opened = drills.open_drill(ui.q, figure, query.get("col"), keys, **params)
except (ResultError, ValueError, KeyError):  # a link edited by hand: said in the user's language
    st.title(ui.t("page_drill"))
    st.warning(ui.t("drill_bad"), icon=":material/error:")
    st.info(ui.t("drill_pick"), icon=":material/touch_app:")
    st.stop()

st.session_state["_last_drill"] = {k: v for k, v in query.items() if k in ("drill", "col", "back") or k[:2] in ("k_", "p_")}
title, row = views.drill_heading(opened, lang)
st.title(f"{title}（{row}）" if row and lang == "ja" else f"{title} ({row})" if row else title)
back = st.session_state["_pages"].get(query.get("back") or "")
if back is not None and back is not st.session_state["_pages"]["drill"]:
    st.page_link(back, label=ui.t("drill_back", page=back.title), icon=":material/arrow_back:")

fmt = RESULTS[figure].column(opened.column).fmt if RESULTS[figure].column(opened.column) else "float"
cards = st.columns(3)
cards[0].metric(ui.t("drill_figure_value"), views.figure_text(opened.figure_value, fmt, lang), border=True)
cards[1].metric(ui.t("drill_list_value"), views.figure_text(opened.list_value, fmt, lang), border=True,
                help=ui.t("drill_list_value_help"))
listed = integer(len(opened.rows))
cards[2].metric(ui.t("drill_accounts"), listed, border=True,
                delta=ui.t("drill_counted", n=integer(opened.counted)) if opened.counted != len(opened.rows) else None,
                delta_color="off", delta_arrow="off")
if opened.figure_value is None and len(opened.rows):  # the keys name no row of the figure (an old link)
    st.warning(ui.t("drill_no_row"), icon=":material/link_off:")
elif opened.figure_value is not None and opened.list_value is not None \
        and abs(float(opened.figure_value) - float(opened.list_value)) > 1e-6:
    st.error(ui.t("drill_mismatch", figure=views.figure_text(opened.figure_value, fmt, lang),
                  listed=views.figure_text(opened.list_value, fmt, lang)))

rows = views.drill_rows(opened.rows, lang)
if len(rows):
    ui.table(rows, opened.drill.result, list(rows.columns))
    ui.download(rows, f"{figure}_{opened.column}", key="drill_list")
else:
    st.info(ui.t("account_none_yet"))
column = RESULTS[figure].column(opened.column)
if column is not None and column.definition:
    ui.definitions([column.definition])
