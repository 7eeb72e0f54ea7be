"""The service layer's own errors: what went wrong (title) and what to do about it (hint).

The UI shows these and nothing else; tui/azure/errors.py turns SDK exceptions into them.
"""

from __future__ import annotations


class MituiError(Exception):
    """Every error the UI shows. ``title``: one line, what went wrong. ``hint``: what to do about it."""

    default_title = "Something went wrong"

    def __init__(
        self,
        title: str | None = None,
        hint: str = "",
        *,
        request_id: str | None = None,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        self.title = title or self.default_title
        self.hint = hint
        self.request_id = request_id
        self.status = status  # HTTP status, when the error came from a response
        self.code = code  # the service's error code (e.g. "AuthorizationFailed"), when known
        super().__init__(self.title)

    def one_line(self) -> str:
        """Title and hint on one line (for stderr and logs)."""
        text = self.title if not self.hint else f"{self.title} — {self.hint}"
        if self.request_id:
            text += f" (request id {self.request_id})"
        return " ".join(text.split())


class SignInRequired(MituiError):
    default_title = "Sign-in required"


class PermissionDenied(MituiError):
    default_title = "Permission denied"


class NotFound(MituiError):
    default_title = "Not found"


class AlreadyExists(MituiError):
    default_title = "Already exists"


class Unreachable(MituiError):
    default_title = "Endpoint unreachable"


class ReadOnlyRefused(MituiError):
    default_title = "Read-only mode: no change was sent"


class InvalidInput(MituiError):
    default_title = "Invalid input"


class Throttled(MituiError):
    """429 past the retries."""

    default_title = "Throttled by Azure"


class ServiceError(MituiError):
    """Any other failed response (5xx past the retries, an unexpected 4xx)."""

    default_title = "Azure returned an error"
