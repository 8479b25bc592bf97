"""One way to move a status (docs/architecture.md, "State machines").

Every workflow with states declares one `Workflow`: its transition table and the audit name.
`move` takes one row from the state the caller saw to the next one by compare-and-set (the
UPDATE only matches while the row is still in that state, so of two racing movers exactly one
wins); `move_many` does the same for a set of rows, state by state. An illegal move and a lost
race are both a Conflict (409) everywhere, and every move leaves an audit record.

The app keeps what is its own: its event table (`move` returns what moved, the caller writes
the event), its signals, and the checks of who may act.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Conflict, InvalidInput
from .services import Actor, record_audit

# the codes a client reads in a 409 (docs/architecture.md)
ILLEGAL_TRANSITION = "illegal_transition"
STALE = "stale"


@dataclass(frozen=True)
class Moved:
    """One row's move: from which state to which, when."""

    pk: Any
    before: str
    after: str
    at: datetime


@dataclass(frozen=True)
class Workflow:
    """A transition table: state -> states it may move to. `name` prefixes the audit action
    (`<name>.<new state>`, or `<name>.<action>` for named actions)."""

    name: str
    model: type[models.Model]
    graph: Mapping[str, frozenset[str]]
    state_field: str = "status"
    # named actions (e.g. "accept" -> ({sent, escalated}, accepted)), when the app speaks in them
    actions: Mapping[str, tuple[frozenset[str], str]] = dataclasses.field(default_factory=dict)
    # False for rows that are a log of their own (webhook deliveries): no audit record per move
    audited: bool = True
    # "<model> <pk>" as the audit record's label instead of str(row), for rows whose str()
    # names a patient (the audit trail is read by more people than the record)
    anonymous: bool = False

    @classmethod
    def of(
        cls,
        name: str,
        model: type[models.Model],
        graph: Mapping[str, Iterable[str]],
        *,
        state_field: str = "status",
        audited: bool = True,
        anonymous: bool = False,
    ) -> Workflow:
        graph = {s: frozenset(t) for s, t in graph.items()}
        return cls(name, model, graph, state_field, audited=audited, anonymous=anonymous)

    @classmethod
    def of_actions(
        cls,
        name: str,
        model: type[models.Model],
        actions: Mapping[str, tuple[Iterable[str], str]],
        *,
        state_field: str = "status",
    ) -> Workflow:
        graph: dict[str, set[str]] = {}
        for sources, target in actions.values():
            for s in sources:
                graph.setdefault(s, set()).add(target)
        return cls(
            name,
            model,
            {s: frozenset(t) for s, t in graph.items()},
            state_field,
            {a: (frozenset(s), t) for a, (s, t) in actions.items()},
        )

    # --- the table ---------------------------------------------------------------------------

    def states(self) -> set[str]:
        return set(self.graph) | {t for targets in self.graph.values() for t in targets}

    def can(self, before: str, after: str) -> bool:
        return after in self.graph.get(before, ())

    def sources(self, after: str) -> list[str]:
        """The states a row may be in to move to `after`, in table order."""
        return [s for s, targets in self.graph.items() if after in targets]

    def next_states(self, before: str) -> frozenset[str]:
        return self.graph.get(before, frozenset())

    def target_of(self, action: str, before: str) -> str:
        """Where a named action leads from `before`; Conflict when it may not start there."""
        sources, target = self.actions[action]
        if before not in sources:
            raise self._illegal(before, target)
        return target

    def check(self, before: str, after: str) -> None:
        """InvalidInput for a state the table does not know (bad input), Conflict for a known
        one that may not follow `before` (the row is not where the move starts)."""
        if after not in self.states():
            raise InvalidInput(_("Status tujuan tidak dikenal."), field=self.state_field)
        if not self.can(before, after):
            raise self._illegal(before, after)

    def _label(self, state: str) -> str:
        choices = dict(self.model._meta.get_field(self.state_field).flatchoices)
        return str(choices.get(state, state))

    def _illegal(self, before: str, after: str) -> Conflict:
        return Conflict(
            _("Status %(a)s tidak dapat berpindah ke %(b)s.")
            % {"a": self._label(before), "b": self._label(after)},
            field=self.state_field,
            code=ILLEGAL_TRANSITION,
        )

    # --- moving ------------------------------------------------------------------------------

    def move(
        self,
        actor: Actor,
        obj: models.Model,
        to: str | None = None,
        *,
        action: str | None = None,
        reason: str = "",
        where: Mapping[str, Any] | None = None,
        changes: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        audit: Mapping[str, Any] | None = None,
        audit_as: str | None = None,
        stale: str | None = None,
    ) -> Moved:
        """Move `obj` from the state it holds (as the caller read it) to `to`, or along the
        named `action`. `where` adds conditions the row must still meet (e.g. the same
        receiver), `changes` other fields written in the same UPDATE, `audit` extra facts for
        the audit record (`audit_as` names its action when the app has its own name). Raises
        Conflict when the move is illegal or when someone else moved
        the row first (with the `stale` message, when the app has a better one); writes
        nothing then."""
        before = getattr(obj, self.state_field)
        if action is not None:
            to = self.target_of(action, before)
        elif to is None:
            raise TypeError("move() needs `to` or `action`")
        else:
            self.check(before, to)
        now = now or timezone.now()
        values = {self.state_field: to, **(changes or {})}
        if _has_field(self.model, "updated_at"):
            values.setdefault("updated_at", now)
        with transaction.atomic():
            rows = self.model._default_manager.filter(
                pk=obj.pk, **{self.state_field: before}, **(where or {})
            ).update(**values)
            if not rows:
                raise Conflict(
                    stale or _("Data ini baru saja diubah oleh pengguna lain; muat ulang."),
                    code=STALE,
                )
            for name, value in values.items():
                setattr(obj, name, value)
            after = {self.state_field: to, **(audit or {})}
            if reason:
                after["reason"] = reason[:200]
            if self.audited:
                record_audit(
                    actor,
                    audit_as or f"{self.name}.{action or to}",
                    obj,
                    object_label=f"{self.model._meta.model_name} {obj.pk}"
                    if self.anonymous
                    else "",
                    before={self.state_field: before},
                    after=after,
                )
        return Moved(obj.pk, before, to, now)

    def move_many(
        self,
        actor: Actor,
        rows: models.QuerySet,
        to: str,
        *,
        reason: str = "",
        changes: Mapping[str, Any] | None = None,
        now: datetime | None = None,
        audit: bool = True,
    ) -> list[Moved]:
        """Move every row of `rows` that may go to `to` (rows in other states stay as they
        are), locking them first so that a concurrent mover sees the new state. One audit
        record for the batch."""
        if to not in self.states():
            raise InvalidInput(_("Status tujuan tidak dikenal."), field=self.state_field)
        now = now or timezone.now()
        values = {self.state_field: to, **(changes or {})}
        if _has_field(self.model, "updated_at"):
            values.setdefault("updated_at", now)
        moved: list[Moved] = []
        with transaction.atomic():
            for source in self.sources(to):
                pks = list(
                    rows.filter(**{self.state_field: source})
                    .select_for_update()
                    .values_list("pk", flat=True)
                )
                for start in range(0, len(pks), 900):  # SQLite's bound-parameter limit
                    chunk = pks[start : start + 900]
                    self.model._default_manager.filter(
                        pk__in=chunk, **{self.state_field: source}
                    ).update(**values)
                moved += [Moved(pk, source, to, now) for pk in pks]
            if moved and audit and self.audited:
                record_audit(
                    actor,
                    f"{self.name}.{to}",
                    object_type=self.model._meta.label_lower,
                    object_id=",".join(str(m.pk) for m in moved[:20]),  # record_audit clips it
                    after={"to": to, "moved": len(moved), "reason": reason[:200]},
                )
        return moved


def _has_field(model: type[models.Model], name: str) -> bool:
    return any(f.name == name for f in model._meta.concrete_fields)
