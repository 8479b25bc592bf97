"""Demo logins that operate a facility, for the capabilities' demos."""

from __future__ import annotations

from sigap.core.demo import demo_user
from sigap.core.models import User
from sigap.core.services import Actor

from . import services
from .models import Facility


def ensure_demo_account(
    username: str, role: str, area_code: str, facility: Facility | None = None
) -> User:
    """A demo login (password DEMO_PASSWORD) for a capability's demo; operator of `facility`."""
    user = demo_user(username, role, area_code)
    if facility is not None and not user.facilityoperator_set.filter(facility=facility).exists():
        services.add_operator(Actor.system("demo"), facility, user)
    return user
