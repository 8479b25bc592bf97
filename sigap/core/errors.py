"""Domain errors. Services raise these; the API and pages turn them into 4xx answers
with the JSON body {code, message, field}."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class SigapError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "field": self.field}


class InvalidInput(SigapError):
    status = 422
    code = "invalid"


class NotAuthenticated(SigapError):
    status = 401
    code = "not_authenticated"


class Forbidden(SigapError):
    status = 403
    code = "forbidden"


class NotFound(SigapError):
    status = 404
    code = "not_found"


class Conflict(SigapError):
    status = 409
    code = "conflict"


class TooManyRequests(SigapError):
    status = 429
    code = "too_many_requests"


@contextmanager
def refused_as_not_found(message: str, *, field: str | None = None) -> Iterator[None]:
    """Around the access check of a record looked up by an id from the request: a refusal
    answers the same 404 as an id that does not exist, so that an id never tells a caller
    whether a record they may not see exists (issue 17)."""
    try:
        yield
    except Forbidden:
        raise NotFound(message, field=field) from None
