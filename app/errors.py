"""Domain exceptions with a stable code, turned into GraphQL ``extensions`` by the API layer."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """Codes of request-level errors (``extensions.code``)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class HubError(Exception):
    """An expected problem, shown to the client with its code; never carries personal data."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.reason = reason

    def extensions(self) -> dict[str, str]:
        ext = {"code": str(self.code)}
        if self.field:
            ext["field"] = self.field
        if self.reason:
            ext["reason"] = self.reason
        return ext


class Unauthenticated(HubError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(HubError):
    code = ErrorCode.FORBIDDEN


class BadInput(HubError):
    """Invalid argument: ``field`` names it, ``reason`` gives the rule (e.g. INVALID_UAI)."""

    code = ErrorCode.BAD_USER_INPUT


class ServiceUnavailable(HubError):
    code = ErrorCode.SERVICE_UNAVAILABLE
