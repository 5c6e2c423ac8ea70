"""Entry script of ``streamlit run`` (started by ``touchstream ui``): operator login, then the pages.

Before login the navigation holds the login page alone, so no page script runs and no data is
queried until the operator has signed in; a direct link to a page lands on the login page.
The signed-in operator lives in the browser session's state: a new tab or a reload signs in
again, and "Log out" forgets it.
"""

from __future__ import annotations

import streamlit as st

from funnel_ui import data
from funnel_ui.auth import MAX_INPUT_CHARS, LoginThrottle, attempt_login
from funnel_ui.pages import funnels, metrics, sql, tags, touchpoints

SIGNED_IN = "operator"


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
        st.navigation([st.Page(login_page, title="Sign in", url_path="login")], position="hidden").run()
        return
    pages = [
        st.Page(funnels.render, title="Funnels", url_path="funnels", icon=":material/filter_alt:", default=True),
        st.Page(metrics.render, title="Metrics", url_path="metrics", icon=":material/monitoring:"),
        st.Page(touchpoints.render, title="Touchpoints", url_path="touchpoints", icon=":material/ads_click:"),
        st.Page(tags.render, title="Tags", url_path="tags", icon=":material/sell:"),
        st.Page(sql.render, title="SQL", url_path="sql", icon=":material/terminal:"),
    ]
    page = st.navigation(pages)
    with st.sidebar:
        st.caption(f"Signed in as {st.session_state[SIGNED_IN]}")
        if st.button("Log out", icon=":material/logout:"):
            st.session_state.clear()
            st.rerun()
    page.run()


main()
