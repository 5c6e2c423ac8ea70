"""The operators' Streamlit app: funnels, behaviour metrics, touchpoint value, tags and a read-only SQL console.

``touchstream ui`` runs it (funnel_ui/launcher.py); ``funnel_ui/app.py`` is the entry script
(login, navigation), each module of ``funnel_ui/pages/`` lays out one page, and every query
goes through the cached functions of ``funnel_ui/data.py`` into ``analytics/``. docs/ui.md.
"""
