"""One module per page; each ``render()`` lays out its page from funnel_ui.data and funnel_ui.charts."""
