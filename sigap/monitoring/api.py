"""Monitoring JSON API (mounted at /api/v1/monitoring/): pemantauan dan evaluasi Dinkes."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["monitoring"])
