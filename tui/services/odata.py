"""Safe building blocks for OData ``$filter`` expressions and URLs made from text a user typed or Azure sent.

Every place that puts outside text into a filter or a URL goes through here: string literals get their
single quotes doubled, ids are validated as GUIDs, ARM ids and scopes are validated segment by segment.
"""

from __future__ import annotations

import re
import uuid

from tui.services.errors import InvalidInput

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# An ARM path segment: no slash, no control characters, nothing that changes a URL's meaning.
_SEGMENT = re.compile(r"^[^/\\?#%\x00-\x1f\x7f]+$")


def quote(text: str) -> str:
    """An OData string literal: ``O'Brien`` -> ``'O''Brien'``."""
    if not isinstance(text, str):
        raise InvalidInput("Not text", f"expected text, got {type(text).__name__}")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise InvalidInput("Control characters are not allowed in a search", repr(text)[:80])
    return "'" + text.replace("'", "''") + "'"


def is_guid(text: str) -> bool:
    return isinstance(text, str) and bool(_GUID.match(text))


def guid(text: str, what: str = "id") -> str:
    """``text`` as a canonical lower-case GUID, or InvalidInput."""
    text = (text or "").strip() if isinstance(text, str) else ""
    if not _GUID.match(text):
        raise InvalidInput(
            f"Not a valid {what}", f"expected a GUID like 00000000-0000-0000-0000-000000000000, got {text[:60]!r}"
        )
    return str(uuid.UUID(text))


def eq(field: str, value: str) -> str:
    """``field eq 'value'`` with the value quoted."""
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9/]*", field):
        raise InvalidInput("Not a valid field name", field[:60])
    return f"{field} eq {quote(value)}"


def startswith(field: str, value: str) -> str:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9/]*", field):
        raise InvalidInput("Not a valid field name", field[:60])
    return f"startswith({field},{quote(value)})"


def arm_id(text: str, what: str = "scope") -> str:
    """An ARM id or scope ("/", "/subscriptions/{guid}", "/subscriptions/{guid}/resourceGroups/{rg}/...").

    Validated segment by segment (no "..", no query or fragment, no control characters); the subscription id
    must be a GUID. Returned without a trailing slash (except the root "/")."""
    if not isinstance(text, str) or not text.startswith("/"):
        raise InvalidInput(f"Not a valid {what}", f"an Azure {what} starts with '/', got {str(text)[:60]!r}")
    if text.strip() == "/":
        return "/"
    parts = text.strip().rstrip("/").split("/")[1:]
    for part in parts:
        if not part or part in (".", "..") or not _SEGMENT.match(part):
            raise InvalidInput(f"Not a valid {what}", f"bad segment {part[:40]!r} in {text[:80]!r}")
    if parts[0].lower() == "subscriptions":
        if len(parts) < 2 or not is_guid(parts[1]):
            raise InvalidInput(f"Not a valid {what}", f"the subscription in {text[:80]!r} is not a GUID")
    elif parts[0].lower() == "providers":
        if len(parts) < 2:
            raise InvalidInput(f"Not a valid {what}", text[:80])
    else:
        raise InvalidInput(f"Not a valid {what}", f"expected /subscriptions/... or /providers/..., got {text[:80]!r}")
    return "/" + "/".join(parts)


def role_definition_id(text: str) -> str:
    """A role definition's ARM id (``[/subscriptions/{id}]/providers/Microsoft.Authorization/roleDefinitions/{id}``),
    or InvalidInput."""
    rid = arm_id(text, "role definition id")
    parts = rid.split("/")
    if len(parts) < 4 or [p.lower() for p in parts[-3:-1]] != ["microsoft.authorization", "roledefinitions"]:
        raise InvalidInput(
            "Not a valid role definition id",
            f"expected .../providers/Microsoft.Authorization/roleDefinitions/<GUID>, got {text[:80]!r}",
        )
    guid(parts[-1], "role definition id")
    return rid
