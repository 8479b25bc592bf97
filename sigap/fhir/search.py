"""FHIR search: parameters, paging and the searchset Bundle, independent of resource type.

A resource type is served from one or more *sources* (a query and a builder each); a search
walks them in order as one list, so that paging with `_count` and `_offset` is exact even
when one table yields several resource kinds (a child's measurement -> weight, length, ...
Observations) or one resource type comes from two tables (Patient).
"""

from __future__ import annotations

import operator
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import reduce
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext as _
from fhir.resources.R4B.bundle import Bundle, BundleEntry, BundleEntrySearch, BundleLink
from fhir.resources.R4B.resource import Resource

DEFAULT_COUNT = 20
MAX_COUNT = 200  # a bigger _count is served as this many (FHIR lets a server page smaller)
MAX_OFFSET = 1_000_000_000
NOTHING = Q(pk__in=[])

# Parameters every search understands (besides the type's own).
RESULT_PARAMS = {"_count", "_offset", "_total", "_format", "_summary", "_pretty"}
TOTAL_MODES = {"none", "estimate", "accurate"}


class FhirError(Exception):
    """An answer as OperationOutcome: HTTP status, FHIR issue type and a diagnostic."""

    def __init__(self, status: int, issue_code: str, diagnostics: str):
        super().__init__(diagnostics)
        self.status = status
        self.issue_code = issue_code
        self.diagnostics = diagnostics


def invalid(diagnostics: str) -> FhirError:
    return FhirError(400, "invalid", diagnostics)


# --- parameter values -----------------------------------------------------------------------


def as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value.strip())
    except (ValueError, AttributeError):
        return None


def reference_id(value: str, resource_type: str) -> str:
    """The id of a reference parameter value: `Type/id`, a URL ending in it, or a bare id
    (a reference to another type matches nothing, so it gives "")."""
    value = value.strip()
    if "/" not in value:
        return value
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == resource_type:
        return parts[-1]
    return ""


def split_token(value: str) -> tuple[str | None, str]:
    """`system|code` -> (system, code); `code` -> (None, code); `|code` -> ("", code)."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system, code
    return None, value


def token_q(value: str, fields: dict[str, str]) -> Q:
    """A token search over `fields` ({system: model field}): the code must equal the field
    of a matching system (any of them when no system is given)."""
    system, code = split_token(value)
    if not code:
        return NOTHING
    q = NOTHING
    for field_system, model_field in fields.items():
        if system is None or system == field_system:
            q |= Q(**{model_field: code})
    return q


def string_q(value: str, modifier: str, model_field: str) -> Q:
    """FHIR string search: starts with (default), `:exact` or `:contains`, ignoring case
    (`:exact` keeps it)."""
    if modifier == "exact":
        return Q(**{model_field: value})
    if modifier == "contains":
        return Q(**{f"{model_field}__icontains": value})
    return Q(**{f"{model_field}__istartswith": value})


# --- sources and parameters -----------------------------------------------------------------


# (value, modifier) -> Q on the source's query
Filter = Callable[[str, str], Q]


@dataclass
class Param:
    """One search parameter: its FHIR type, what it does, the modifiers it takes."""

    type: str
    documentation: str
    modifiers: tuple[str, ...] = ()


@dataclass
class Source:
    """One table behind a resource type: its scoped query, the builder, the filters."""

    query: Callable[[Any], QuerySet]
    build: Callable[[Any], Resource]
    filters: dict[str, Filter] = field(default_factory=dict)


@dataclass
class ResourceType:
    name: str
    params: dict[str, Param]
    sources: list[Source]
    personal: bool = False  # personal data: authorised clients only, reads audited
    read: Callable[[Any, str], tuple[Any, Resource] | None] | None = None


def parse_params(
    rtype: ResourceType, items: Iterable[tuple[str, str]], *, strict: bool
) -> tuple[list[tuple[str, str, str]], dict[str, str], list[str]]:
    """Split a query string into (search terms, result params, ignored names). A term is
    (name, modifier, value). Unknown parameters are ignored unless `strict`; an unsupported
    modifier of a known parameter is always refused (FHIR requires it)."""
    terms: list[tuple[str, str, str]] = []
    result: dict[str, str] = {}
    ignored: list[str] = []
    for key, value in items:
        name, _sep, modifier = key.partition(":")
        if name in RESULT_PARAMS and not modifier:
            result[name] = value
            continue
        param = rtype.params.get(name)
        if param is None:
            if strict:
                raise invalid(
                    _("Parameter pencarian tidak dikenal untuk %(type)s: %(name)s")
                    % {"type": rtype.name, "name": key}
                )
            ignored.append(key)
            continue
        if modifier and modifier not in param.modifiers:
            raise invalid(
                _("Modifier :%(modifier)s tidak didukung untuk parameter %(name)s")
                % {"modifier": modifier, "name": name}
            )
        if value == "":
            continue  # FHIR: an empty value is ignored
        terms.append((name, modifier, value))
    return terms, result, ignored


def parse_count(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_COUNT
    try:
        count = int(raw)
    except ValueError:
        raise invalid(
            _("_count harus bilangan bulat >= 0, bukan %(value)r") % {"value": raw}
        ) from None
    if count < 0:
        raise invalid(_("_count harus bilangan bulat >= 0, bukan %(value)r") % {"value": raw})
    return min(count, MAX_COUNT)


def parse_offset(raw: str | None) -> int:
    if raw is None:
        return 0
    try:
        offset = int(raw)
    except ValueError:
        raise invalid(
            _("_offset harus bilangan bulat >= 0, bukan %(value)r") % {"value": raw}
        ) from None
    if not 0 <= offset <= MAX_OFFSET:
        raise invalid(_("_offset harus antara 0 dan %(max)s") % {"max": MAX_OFFSET})
    return offset


def filtered(source: Source, user: Any, terms: list[tuple[str, str, str]]) -> QuerySet:
    """The source's query for `user`, with every term applied: a parameter repeated is AND,
    comma-separated values are OR."""
    qs = source.query(user)
    for name, modifier, value in terms:
        build = source.filters.get(name)
        if build is None:
            return qs.none()  # this source cannot match the parameter
        parts = [build(part.strip(), modifier) for part in value.split(",")]
        if any(len(part) == 0 for part in parts):
            continue  # an empty Q matches every row (and would vanish in an OR)
        qs = qs.filter(reduce(operator.or_, parts))
    return qs


@dataclass
class Page:
    total: int
    rows: list[tuple[Any, Resource]]


def run(
    rtype: ResourceType, user: Any, terms: list[tuple[str, str, str]], count: int, offset: int
) -> Page:
    """One page of matches, over the sources in order as if they were one list."""
    querysets = [(s, filtered(s, user, terms).distinct()) for s in rtype.sources]
    counts = [qs.count() for _source, qs in querysets]
    rows: list[tuple[Any, Resource]] = []
    skip, want = offset, count
    for (source, qs), n in zip(querysets, counts, strict=True):
        if want <= 0:
            break
        if skip >= n:
            skip -= n
            continue
        batch = list(qs[skip : skip + want])
        rows.extend((obj, source.build(obj)) for obj in batch)
        want -= len(batch)
        skip = 0
    return Page(total=sum(counts), rows=rows)


def page_links(
    base: str, kept: list[tuple[str, str]], total: int, count: int, offset: int
) -> list[BundleLink]:
    """self, first, previous, next and last, each an offset into the same search."""

    def url(at: int) -> str:
        return f"{base}?{urlencode([*kept, ('_count', str(count)), ('_offset', str(at))])}"

    links = [BundleLink(relation="self", url=url(offset))]
    if count == 0:
        return links
    last = max(0, (total - 1) // count * count)
    links.append(BundleLink(relation="first", url=url(0)))
    if offset > 0:
        links.append(BundleLink(relation="previous", url=url(max(0, offset - count))))
    if offset + count < total:
        links.append(BundleLink(relation="next", url=url(offset + count)))
    links.append(BundleLink(relation="last", url=url(last)))
    return links


def searchset(
    page: Page,
    *,
    base: str,
    server_base: str,
    kept: list[tuple[str, str]],
    count: int,
    offset: int,
    total_mode: str,
) -> Bundle:
    entries = [
        BundleEntry(
            fullUrl=f"{server_base}/{res.get_resource_type()}/{res.id}",
            resource=res,
            search=BundleEntrySearch(mode="match"),
        )
        for _obj, res in page.rows
    ]
    return Bundle(
        type="searchset",
        total=None if total_mode == "none" else page.total,
        link=page_links(base, kept, page.total, count, offset),
        entry=entries or None,
    )


def objects_of(page: Page) -> dict[type[Model], list[Any]]:
    """The model rows shown, per model (for the audit of a list read)."""
    shown: dict[type[Model], dict[Any, Any]] = {}
    for obj, _resource in page.rows:
        if isinstance(obj, Model):
            shown.setdefault(type(obj), {})[obj.pk] = obj
    return {model: list(rows.values()) for model, rows in shown.items()}
