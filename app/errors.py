"""Exceptions that carry a message a user can act on, plus an i18n key so the UI can show it in their language."""

from __future__ import annotations

from typing import Any


class TavernError(Exception):
    """Base for errors meant for the user; `code` is an i18n key, `params` fill its placeholders."""

    status_code = 400

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.params = params


class NotFoundError(TavernError):
    """The thing does not exist or belongs to someone else (never reveal which)."""

    status_code = 404


class AuthError(TavernError):
    """Credentials missing, wrong, or the account is disabled."""

    status_code = 401


class PermissionDeniedError(TavernError):
    """The user is known but not allowed to do this (for example a non-admin on an admin action)."""

    status_code = 403


class ConflictError(TavernError):
    """The request clashes with existing data, such as a handle that is already taken."""

    status_code = 409


class RateLimitedError(TavernError):
    """Too many attempts; `retry_after` says how many seconds to wait."""

    status_code = 429

    def __init__(self, code: str, message: str, retry_after: int, **params: Any) -> None:
        super().__init__(code, message, retry_after=retry_after, minutes=max(1, (retry_after + 59) // 60), **params)
        self.retry_after = retry_after


class InvalidInputError(TavernError):
    """The input is malformed: a bad image, a field too long, a value out of range."""

    status_code = 422


class PayloadTooLargeError(TavernError):
    """An upload exceeds a configured size limit."""

    status_code = 413


class ServiceUnavailableError(TavernError):
    """A backing service (Redis, the database) cannot be reached right now; trying again later may work."""

    status_code = 503
