"""Response-time charts (pygal SVG in the SIGAP style, cleaned for the CSP by
`sigap.core.charts`; the page links `beds/charts.css` for their styling)."""

from __future__ import annotations

import pygal
from django.utils.translation import gettext as _

from sigap.core.charts import STYLE, render


def _config(**kw) -> dict:
    return {
        "js": [],
        "disable_xml_declaration": True,
        "style": STYLE,
        "width": 760,
        "height": 320,
        "explicit_size": False,
        "legend_at_bottom": True,
        "print_values": False,
        **kw,
    }


def phase_bars(title: str, groups: list[dict], *, no_data: str) -> str:
    """Median call-to-dispatch, response and scene-to-hospital per group (minutes)."""
    chart = pygal.Bar(**_config(title=title, no_data_text=no_data))
    chart.x_labels = [g["name"] for g in groups]
    if groups:
        for key, label in (
            ("call_to_dispatch", _("Panggilan → kirim")),
            ("response", _("Panggilan → lokasi")),
            ("scene_to_hospital", _("Lokasi → RS")),
        ):
            chart.add(label, [g[key] for g in groups])
    return render(chart)


def share_bars(title: str, groups: list[dict], *, no_data: str) -> str:
    """Share of responses within the target per group (percent)."""
    shown = [g for g in groups if g["within_target_pct"] is not None][:30]
    chart = pygal.HorizontalBar(
        **_config(
            title=title,
            no_data_text=no_data,
            range=(0, 100),
            show_legend=False,
            height=max(220, 24 * len(shown) + 90),
        )
    )
    chart.x_labels = [g["name"] for g in shown]
    if shown:
        chart.add("%", [g["within_target_pct"] for g in shown])
    return render(chart)
