"""Trend charts (pygal SVG) for the nutrition dashboard in the SIGAP style, cleaned for the CSP
by `sigap.core.charts` (the page links its stylesheet, `core/charts.css`)."""

from __future__ import annotations

import pygal

from sigap.core.charts import STYLE, render


def trend_chart(
    title: str, x_labels: list[str], series: dict[str, list[float | None]], *, no_data: str
) -> str:
    """Percent lines over months (None = no data that month)."""
    top = max([v for values in series.values() for v in values if v is not None] or [10])
    chart = pygal.Line(
        js=[],
        disable_xml_declaration=True,
        style=STYLE,
        width=900,
        height=320,
        explicit_size=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        title=title,
        y_title="%",
        no_data_text=no_data,
        range=(0, max(10, int(top * 1.2) + 1)),
        allow_interruptions=True,
        show_dots=True,
        dots_size=3,
        x_label_rotation=0,
        truncate_label=-1,
    )
    chart.x_labels = x_labels
    for name, values in series.items():
        chart.add(name, values)
    return render(chart)
