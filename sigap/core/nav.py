"""The header menu: which pages each role sees (the pages still check access themselves).

Each capability adds its own entries and its roles' landing pages from its
`AppConfig.ready()` with `add()` and `home()`; core names none of them.
"""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from .models import Role

PUBLIC = "public"  # the menu of the public (and the first entry of every staff menu)
OFFICE = "office"  # the health office's menu: analysts, admins and superusers

# menu -> [(order, url name, label)]; a menu is PUBLIC, OFFICE or a role
_ENTRIES: dict[str, list[tuple[int, str, str | Promise]]] = {}
# where each role lands after login
ROLE_HOME: dict[str, str] = {}
_OFFICE_ROLES = (Role.ANALYST, Role.ADMIN)


def add(menu: str, url_name: str, label: str | Promise, order: int) -> None:
    """Show `url_name` in `menu` (PUBLIC, OFFICE or a role), sorted by `order`."""
    entries = _ENTRIES.setdefault(menu, [])
    if all(name != url_name for _o, name, _l in entries):
        entries.append((order, url_name, label))
        entries.sort(key=lambda e: e[0])


def home(role: str, url_name: str) -> None:
    """`role` lands on `url_name` after login."""
    ROLE_HOME[role] = url_name


def entries(menu: str) -> list[tuple[str, str | Promise]]:
    """(url name, label) pairs of a menu; analysts and admins see the office menu."""
    if menu in _OFFICE_ROLES:
        menu = OFFICE
    return [(name, label) for _order, name, label in _ENTRIES.get(menu, [])]


def landing() -> str:
    """The page of someone not logged in (and after logout): the first public entry."""
    return entries(PUBLIC)[0][0]


def home_of(user) -> str | None:
    """The page a logged-in user lands on; superusers land where admins do."""
    return ROLE_HOME.get(Role.ADMIN if user.is_superuser else user.role)


def items_for(user) -> list[tuple[str, str]]:
    """(url, label) pairs for the header of this user."""
    if user is None or not user.is_authenticated or user.role == Role.PUBLIC:
        menu = entries(PUBLIC)
    else:
        menu = entries(OFFICE if user.is_superuser else user.role)
        menu = [*entries(PUBLIC)[:1], *menu]
    out = []
    for name, label in menu:
        try:
            out.append((reverse(name), str(label)))
        except NoReverseMatch:
            continue  # a capability left out of this deployment
    return out
