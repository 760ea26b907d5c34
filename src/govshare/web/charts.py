"""ECharts options built on the server, so a panel is data plus a template and no chart-specific script.

A page embeds the option as JSON (``<script type="application/json">``) next to a ``<div data-chart>``;
``static/js/console.js`` initialises every such div. Every chart also gets a data table in the template for
screen readers and for people who want the numbers (see ``templates/console/panels/chart.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

#: The console's palette (also in govshare.css); each colour has ≥ 3:1 contrast on white.
PALETTE = ["#1d4ed8", "#c2410c", "#047857", "#7c3aed", "#b91c1c", "#0e7490", "#a16207", "#be185d"]
FONT = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Source Han Sans SC", system-ui, sans-serif'


@dataclass
class Chart:
    """One chart of a panel: the ECharts option and the same data as a table."""

    id: str
    label: str  # accessible name (already translated)
    option: dict[str, Any]
    table_head: list[str] = field(default_factory=list)
    table_rows: list[list[Any]] = field(default_factory=list)
    height: int = 280


def _base(aria_label: str) -> dict[str, Any]:
    return {
        "color": PALETTE,
        "textStyle": {"fontFamily": FONT},
        "aria": {"enabled": True, "label": {"description": aria_label}},
        "animation": False,  # charts appear at once; nothing moves for people who get dizzy from motion
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 48, "right": 24, "top": 40, "bottom": 36, "containLabel": True},
    }


def line_chart(
    chart_id: str, label: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[int]]]
) -> Chart:
    option = _base(label)
    option.update(
        legend={"top": 0},
        xAxis={"type": "category", "data": list(categories), "boundaryGap": False},
        yAxis={"type": "value", "minInterval": 1},
        series=[
            {"name": name, "type": "line", "data": list(values), "symbolSize": 6, "smooth": False}
            for name, values in series
        ],
    )
    rows = [[c, *(values[i] for _, values in series)] for i, c in enumerate(categories)]
    return Chart(chart_id, label, option, ["", *(name for name, _ in series)], rows)


def bar_chart(chart_id: str, label: str, items: Sequence[tuple[str, int]], value_name: str) -> Chart:
    """Horizontal bars, largest on top: long Chinese labels stay readable."""
    ordered = list(reversed(items))
    option = _base(label)
    option.update(
        tooltip={"trigger": "axis", "axisPointer": {"type": "shadow"}},
        grid={"left": 16, "right": 32, "top": 16, "bottom": 24, "containLabel": True},
        xAxis={"type": "value", "minInterval": 1},
        yAxis={"type": "category", "data": [name for name, _ in ordered], "axisLabel": {"width": 160}},
        series=[
            {
                "name": value_name,
                "type": "bar",
                "data": [value for _, value in ordered],
                "barMaxWidth": 22,
                "label": {"show": True, "position": "right"},
            }
        ],
    )
    height = max(200, 34 * len(items) + 48)
    return Chart(chart_id, label, option, ["", value_name], [[n, v] for n, v in items], height)
