"""One error hierarchy. Every error carries a stable code, an HTTP status and a translatable message."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from daicho.error_codes import Code


class DaichoError(Exception):
    status = 400
    code: Code = Code.INVALID

    def __init__(self, message: str | None = None, *, code: Code | None = None,
                 details: dict[str, Any] | None = None, status: int | None = None) -> None:
        self.message = message or self.default_message()
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details or {}
        super().__init__(self.message)

    def default_message(self) -> str:
        return _("The input is not valid.")

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return {"error": body}


class InvalidInput(DaichoError):
    status = 400
    code = Code.INVALID


class NotAuthenticated(DaichoError):
    status = 401
    code = Code.NOT_AUTHENTICATED

    def default_message(self) -> str:
        return _("Please sign in.")


class Forbidden(DaichoError):
    status = 403
    code = Code.FORBIDDEN

    def default_message(self) -> str:
        return _("You are not allowed to do this.")


class NotFound(DaichoError):
    """Also raised for things the user may not see: forbidden looks exactly like missing."""

    status = 404
    code = Code.NOT_FOUND

    def default_message(self) -> str:
        return _("Not found.")


class Conflict(DaichoError):
    status = 409
    code = Code.CONFLICT

    def default_message(self) -> str:
        return _("Someone else changed this first.")


class Unavailable(DaichoError):
    """A passing database condition (busy, locked, no connection for the moment): nothing was
    written, the client may try again after `retry_after` seconds (daicho.db.transient)."""

    status = 503
    code = Code.DATABASE_BUSY
    retry_after = 2

    def default_message(self) -> str:
        return _("The server is busy right now and nothing was changed. Please try again in a "
                 "moment.")


class TooLarge(DaichoError):
    status = 413
    code = Code.TOO_LARGE

    def default_message(self) -> str:
        return _("The data is too large.")


class TooManyRequests(DaichoError):
    status = 429
    code = Code.TOO_MANY_REQUESTS

    def default_message(self) -> str:
        return _("Too many requests. Please try again later.")


class FieldValueError(ValueError):
    """A value a field type cannot accept; collected per field into an InvalidInput."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)
