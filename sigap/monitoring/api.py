"""Monitoring JSON API (mounted at /api/v1/monitoring/): pemantauan dan evaluasi Dinkes."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.security import django_auth

from sigap.core.errors import Forbidden

from . import display, selectors

router = Router(tags=["monitoring"])


class SituationQuery(Schema):
    wilayah: str = Field("", description="a kab/kota of the user's province (empty: own area)")


@router.get("/situation", auth=django_auth, url_name="monitoring_situation")
def situation(request: HttpRequest, params: Query[SituationQuery]):
    """The situation page's figures for the user's area, or for one kab/kota of a provincial
    user's province (another area answers 404). Aggregates only, each with its denominator;
    `texts` holds the page's sentences per figure (`data-figure` on the page)."""
    user = request.auth
    if not selectors.may_see(user):
        raise Forbidden(_("Peran Anda tidak diizinkan melakukan ini."))
    scope = selectors.office_scope(user, params.wilayah)
    figures = selectors.situation(user, scope)
    return {"figures": figures, "texts": display.texts(figures)}
