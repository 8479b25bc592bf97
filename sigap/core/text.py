"""Text cut to what a model's column holds, so a limit is written once (on the model)."""

from __future__ import annotations

from django.db import models


def max_length(model: type[models.Model], field_name: str) -> int:
    """The max_length of `model.field_name`."""
    return model._meta.get_field(field_name).max_length


def clip(value: str | None, model: type[models.Model], field_name: str) -> str:
    """`value` cut to the max_length of `model.field_name` (the column refuses more)."""
    return (value or "")[: max_length(model, field_name)]
