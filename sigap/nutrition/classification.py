"""Nutritional status from z-scores, per Permenkes 2/2020 (WHO 2006 cut-offs).

Categories are small integers so that millions of rows classify with NumPy; 0 means "not
defined" (no z-score). Labels are the Indonesian terms of the regulation.
"""

from __future__ import annotations

import numpy as np
from django.utils.translation import gettext_lazy as _

NONE = 0

# TB/U (HAZ): < -3 | -3..< -2 | -2..+3 | > +3
HAZ_SEVERELY_STUNTED, HAZ_STUNTED, HAZ_NORMAL, HAZ_TALL = 1, 2, 3, 4
HAZ_LABELS = {
    HAZ_SEVERELY_STUNTED: _("sangat pendek"),
    HAZ_STUNTED: _("pendek"),
    HAZ_NORMAL: _("normal"),
    HAZ_TALL: _("tinggi"),
}

# BB/U (WAZ): < -3 | -3..< -2 | -2..+1 | > +1
WAZ_SEVERELY_UNDERWEIGHT, WAZ_UNDERWEIGHT, WAZ_NORMAL, WAZ_RISK_OVER = 1, 2, 3, 4
WAZ_LABELS = {
    WAZ_SEVERELY_UNDERWEIGHT: _("berat badan sangat kurang"),
    WAZ_UNDERWEIGHT: _("berat badan kurang"),
    WAZ_NORMAL: _("berat badan normal"),
    WAZ_RISK_OVER: _("risiko berat badan lebih"),
}

# BB/TB (WHZ): < -3 | -3..< -2 | -2..+1 | >+1..+2 | >+2..+3 | > +3
WHZ_SEVERE, WHZ_WASTED, WHZ_NORMAL, WHZ_RISK_OVER, WHZ_OVER, WHZ_OBESE = 1, 2, 3, 4, 5, 6
WHZ_LABELS = {
    WHZ_SEVERE: _("gizi buruk"),
    WHZ_WASTED: _("gizi kurang"),
    WHZ_NORMAL: _("gizi baik"),
    WHZ_RISK_OVER: _("berisiko gizi lebih"),
    WHZ_OVER: _("gizi lebih"),
    WHZ_OBESE: _("obesitas"),
}

LABELS = {"haz": HAZ_LABELS, "waz": WAZ_LABELS, "whz": WHZ_LABELS}


def _cut(z: np.ndarray, conditions: list, codes: list[int]) -> np.ndarray:
    return np.select(conditions, codes, default=NONE).astype(np.int8)


def classify_haz(z) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return _cut(
            z,
            [z < -3, z < -2, z <= 3, z > 3],
            [HAZ_SEVERELY_STUNTED, HAZ_STUNTED, HAZ_NORMAL, HAZ_TALL],
        )


def classify_waz(z) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return _cut(
            z,
            [z < -3, z < -2, z <= 1, z > 1],
            [WAZ_SEVERELY_UNDERWEIGHT, WAZ_UNDERWEIGHT, WAZ_NORMAL, WAZ_RISK_OVER],
        )


def classify_whz(z, oedema=None) -> np.ndarray:
    """With bilateral oedema a child is severely wasted whatever the (undefined) WHZ."""
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        codes = _cut(
            z,
            [z < -3, z < -2, z <= 1, z <= 2, z <= 3, z > 3],
            [WHZ_SEVERE, WHZ_WASTED, WHZ_NORMAL, WHZ_RISK_OVER, WHZ_OVER, WHZ_OBESE],
        )
    if oedema is not None:
        codes[np.asarray(oedema, dtype=bool)] = WHZ_SEVERE
    return codes


def label(index: str, code: int) -> str:
    """The Indonesian label of a category ('' for not defined)."""
    return str(LABELS[index].get(int(code), ""))


def label_array(index: str, codes: np.ndarray) -> np.ndarray:
    """Labels for an array of codes (object array, '' where not defined)."""
    table = np.array([""] + [str(LABELS[index].get(i, "")) for i in range(1, 7)], dtype=object)
    return table[np.asarray(codes, dtype=np.intp)]
