"""Web UI: staff console, open-data portal, citizen page (Jinja2 + htmx + ECharts; zh-CN first)."""
