"""Reads for the dispatcher console's actions (console_api): the ranked hospital options,
each with why it stands where it does, and the choices its forms offer."""

from __future__ import annotations

from django.utils.translation import gettext as _

from . import reference
from .models import Incident
from .selectors import recommend_hospitals, triage_labels
from .services.console import close_reasons


def hospital_options(incident: Incident, *, n: int = 5, bed_class: str | None = None) -> list[dict]:
    """The hospitals the dispatcher may hand the patient to, ranked as `recommend_hospitals`
    ranks them (a free bed of the needed class first, then travel time), each with its rank
    and, in words, why it stands there."""
    options = recommend_hospitals(incident, n=n, bed_class=bed_class)
    fastest_free = next(
        (h["travel_minutes"] for h in options if _has_room(h) and h["travel_minutes"] is not None),
        None,
    )
    for rank, h in enumerate(options, start=1):
        h["rank"] = rank
        h["why"] = _why(h, rank, fastest_free)
    return options


def _has_room(h: dict) -> bool:
    return h["free_in_class"] > 0 if h["bed_class"] else h["total_free"] > 0


def _why(h: dict, rank: int, fastest_free: float | None) -> str:
    minutes = h["travel_minutes"]
    parts = []
    if h["bed_class"]:
        if h["free_in_class"] > 0:
            parts.append(
                _("%(n)s TT %(c)s kosong") % {"n": h["free_in_class"], "c": h["bed_class"]}
            )
        else:
            parts.append(_("tidak ada TT %(c)s kosong") % {"c": h["bed_class"]})
    else:
        parts.append(_("%(n)s TT kosong") % {"n": h["total_free"]})
    if minutes is not None:
        if _has_room(h) and fastest_free is not None and minutes <= fastest_free:
            parts.append(_("tercepat dengan TT kosong (%(m)s menit)") % {"m": round(minutes)})
        elif _has_room(h) and fastest_free is not None:
            parts.append(
                _("%(m)s menit, %(d)s menit lebih lama")
                % {"m": round(minutes), "d": round(minutes - fastest_free)}
            )
        elif fastest_free is not None:
            parts.append(_("%(m)s menit; di bawah RS yang punya TT kosong") % {"m": round(minutes)})
        else:
            parts.append(_("%(m)s menit") % {"m": round(minutes)})
    if h["stale"]:
        parts.append(_("data TT sudah lama, telepon dulu"))
    if not h.get("allows_holds", True):
        parts.append(_("RS tidak menerima penahanan TT"))
    return "; ".join(str(p) for p in parts)


def console_choices(incident: Incident) -> dict[str, list[dict]]:
    """What the console's forms offer for this incident, as people read it: the triage
    colours, the agencies it may be handed to, and the reasons it may end with now."""
    return {
        "triage": [{"code": c, "label": label} for c, label in triage_labels()],
        "agencies": [
            {"code": k, "label": str(reference.AGENCY_KINDS[k])}
            for k in reference.HANDOVER_AGENCIES
        ],
        "close_reasons": [
            {"code": c, "label": label, "ends_as": to}
            for c, label, to in close_reasons(incident.status)
        ],
    }
