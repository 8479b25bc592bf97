"""What every capability's demo (`sigap/<app>/demo.py`) shares: the published demo password,
the labels that mark demo rows, a deterministic random generator and demo logins.
`sigap demo` (sigap/demo) runs the registered demos; no app imports sigap.demo."""

from __future__ import annotations

import hashlib
import random

from django.contrib.auth.hashers import make_password

from .models import Role, User

DEMO_PASSWORD = "sigap-demo-2026"  # noqa: S105 - published demo password
DEMO_USER_PREFIX = "demo-"
# webhook endpoints a capability's demo registers carry this owner label (wiped with the demo)
DEMO_OWNER_PREFIX = "SIGAP demo"


def demo_rng(*parts: object) -> random.Random:
    """A random generator fixed by `parts`: the same demo on every run."""
    seed = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return random.Random(int(seed[:16], 16))  # noqa: S311 - synthetic data, not security


def demo_user(
    username: str, role: str, area_code: str, *, password: str | None = None, **extra: bool
) -> User:
    """The demo login `username` (password DEMO_PASSWORD), created or brought back to its
    role and area; `extra` sets flags such as is_staff."""
    user, _created = User.objects.update_or_create(
        username=username,
        defaults={
            "role": role,
            "area_code": area_code,
            "password": password or make_password(DEMO_PASSWORD),
            "first_name": "Demo",
            "last_name": str(Role(role).label),
            "is_active": True,
            **extra,
        },
    )
    return user
