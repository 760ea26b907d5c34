"""Web UI: staff console, open-data portal, citizen page (Jinja2 + htmx + ECharts; zh-CN first).

Server-rendered pages over the domain services; see ``docs/web.md`` for how a page, a menu entry, a
dashboard panel and a translation are added.
"""
