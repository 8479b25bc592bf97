"""Bed charts: server-side SVG (pygal) cleaned for the Content Security Policy by
`sigap.core.charts`, in the SIGAP style: the page links its stylesheet, `core/charts.css`.
"""

from __future__ import annotations

import pygal

from sigap.core import charts as core_charts


def _config(**kw) -> dict:
    return {
        "js": [],
        "disable_xml_declaration": True,
        "style": core_charts.STYLE,
        "width": 900,
        "height": 340,
        "explicit_size": False,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 6,
        "show_minor_x_labels": False,
        "truncate_legend": 24,
        "truncate_label": -1,
        **kw,
    }


def line_chart(
    title: str,
    x_labels: list[str],
    series: dict[str, list[float | None]],
    *,
    no_data: str,
    y_title: str = "",
    major_count: int = 6,
) -> str:
    chart = pygal.Line(
        **_config(
            title=title,
            y_title=y_title,
            no_data_text=no_data,
            range=(0, 100),
            show_dots=False,
            x_labels_major_count=major_count,
            x_label_rotation=0,
            allow_interruptions=True,
        )
    )
    chart.x_labels = x_labels
    for name, values in series.items():
        chart.add(name, [None if v is None else round(v * 100, 1) for v in values])
    return core_charts.render(chart)


def bar_chart(title: str, labels: list[str], values: list[float | None], *, no_data: str) -> str:
    chart = pygal.HorizontalBar(
        **_config(
            title=title,
            no_data_text=no_data,
            range=(0, 100),
            show_legend=False,
            height=max(220, 24 * len(labels) + 90),
            print_values=False,
        )
    )
    chart.x_labels = labels
    chart.add("BOR %", [None if v is None else round(v * 100, 1) for v in values])
    return core_charts.render(chart)
