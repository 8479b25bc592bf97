"""Access JSON API (mounted at /api/v1/access/): akses dan penempatan fasilitas."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["access"])
