"""Log records that an operator can follow: a request id on every line, JSON or text.

`RequestIdMiddleware` (sigap.core.middleware) binds the id of the request being served to a
context variable; the task worker binds a task's own id while the task runs. `RequestIdFilter`
puts it on every record as `request_id`. Both formatters mask anything shaped like a NIK
(16 digits) in the whole formatted line, traceback included: NIKs never reach the logs.
`SIGAP_LOG_FORMAT=json` (production) or `text` (default, the demo console) picks one in
settings.LOGGING.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

HEADER = "X-Request-ID"
# an incoming id is kept only if it is short and plain (no log or header injection)
_WELL_FORMED = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
# 16 digits not inside a longer number: first 4 and last 4 kept, as regions.services.mask_nik
_NIK = re.compile(r"(?<!\d)(\d{4})\d{8}(\d{4})(?!\d)")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "sigap_request_id", default=None
)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(incoming: str | None) -> str:
    """The incoming X-Request-ID when it is well formed, else a new one."""
    if incoming and _WELL_FORMED.match(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


def unbind_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


@contextmanager
def request_id_bound(value: str) -> Iterator[str]:
    token = bind_request_id(value)
    try:
        yield value
    finally:
        unbind_request_id(token)


def mask_niks(text: str) -> str:
    return _NIK.sub(r"\1xxxxxxxx\2", text)


def _record_id(record: logging.LogRecord) -> str:
    # django.request logs a 4xx after the middleware has returned: its record carries the request
    request = getattr(record, "request", None)
    return current_request_id() or getattr(request, "request_id", None) or "-"


class RequestIdFilter(logging.Filter):
    """Adds `request_id` ("-" outside a request or task) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None) or record.request_id == "-":
            record.request_id = _record_id(record)
        return True


class TextFormatter(logging.Formatter):
    def __init__(self, fmt: str | None = None, **kwargs) -> None:
        fmt = fmt or "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        super().__init__(fmt, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = _record_id(record)
        return mask_niks(super().format(record))


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, request_id and any
    `extra=` fields; the traceback as `exc_info`."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("timestamp", True)
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        if not args and "fmt" not in kwargs:
            kwargs["fmt"] = ["levelname", "name", "message", "request_id"]
        super().__init__(*args, **kwargs)

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = _record_id(record)
        return mask_niks(super().format(record))


def bind_task_ids() -> None:
    """While the worker runs a task its log lines carry `task-<task id>` (Django's task
    signals: django-tasks-db sends them around each run)."""
    from django.tasks.signals import task_finished, task_started

    tokens: dict[str, contextvars.Token] = {}

    def started(sender, task_result, **kwargs) -> None:
        tokens[str(task_result.id)] = bind_request_id(f"task-{task_result.id}")

    def finished(sender, task_result, **kwargs) -> None:
        token = tokens.pop(str(task_result.id), None)
        if token is not None:
            try:
                unbind_request_id(token)
            except ValueError:  # finished in another context: just clear it
                bind_request_id(None)

    task_started.connect(started, dispatch_uid="sigap.logs.task_started", weak=False)
    task_finished.connect(finished, dispatch_uid="sigap.logs.task_finished", weak=False)
