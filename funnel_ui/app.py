"""Entry script of ``streamlit run`` (started by ``touchstream ui``): operator login, then the pages.

Before login every address of the app leads to the login form (a direct link to a page shows
the form, then that page once signed in), so no page runs and nothing is queried until the
operator has signed in. The signed-in operator lives in the browser session's state: a new
tab or a reload signs in again, and "Log out" forgets it.
"""

from __future__ import annotations

import streamlit as st

from funnel_ui import data
from funnel_ui.auth import MAX_INPUT_CHARS, LoginThrottle, attempt_login
from funnel_ui.views import funnels, metrics, sql, tags, touchpoints

SIGNED_IN = "operator"
PAGES = [  # (render, title, url path, icon); the first is the default
    (funnels.render, "Funnels", "funnels", ":material/filter_alt:"),
    (metrics.render, "Metrics", "metrics", ":material/monitoring:"),
    (touchpoints.render, "Touchpoints", "touchpoints", ":material/ads_click:"),
    (tags.render, "Tags", "tags", ":material/sell:"),
    (sql.render, "SQL", "sql", ":material/terminal:"),
]


@st.cache_resource
def login_throttle() -> LoginThrottle:
    """One throttle for every session of this app process."""
    return LoginThrottle()


def login_page() -> None:
    st.title("Touchstream")
    st.caption("Operator sign-in")
    with st.form("login"):
        user = st.text_input("User", max_chars=MAX_INPUT_CHARS)
        password = st.text_input("Password", type="password", max_chars=MAX_INPUT_CHARS)
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        error = attempt_login(data.settings(), login_throttle(), user, password)
        if error is not None:
            st.error(error)
            return
        st.session_state[SIGNED_IN] = data.settings().ui_user
        st.rerun()


def main() -> None:
    st.set_page_config(page_title="Touchstream", page_icon=":material/filter_alt:", layout="wide")
    if SIGNED_IN not in st.session_state:
        # the login form at every page's address, so a deep link survives signing in
        gate = [
            st.Page(login_page, title="Sign in", url_path=path, default=k == 0)
            for k, (_, _, path, _) in enumerate(PAGES)
        ]
        st.navigation(gate, position="hidden").run()
        return
    pages = [
        st.Page(render, title=title, url_path=path, icon=icon, default=k == 0)
        for k, (render, title, path, icon) in enumerate(PAGES)
    ]
    page = st.navigation(pages)
    with st.sidebar:
        st.caption(f"Signed in as {st.session_state[SIGNED_IN]}")
        if st.button("Log out", icon=":material/logout:"):
            st.session_state.clear()
            st.rerun()
    page.run()


main()
