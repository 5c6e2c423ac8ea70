"""The operators' Streamlit app: funnels, behaviour metrics, touchpoint value, tags and a read-only SQL console.

``touchstream ui`` runs it (funnel_ui/launcher.py); ``funnel_ui/app.py`` is the entry script
(login, navigation), each module of ``funnel_ui/views/`` lays out one page (not ``pages/``: Streamlit would run
those as page scripts of their own, outside the login), and every query
goes through the cached functions of ``funnel_ui/data.py`` into ``analytics/``. docs/ui.md.
"""
