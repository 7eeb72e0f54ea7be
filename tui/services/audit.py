"""The audit log: one JSON object per line, append-only, in the user's state directory (mode 0600).

Each line says which mitui wrote it (``"mitui": "<version>"``). Every write is logged twice: its intent (before
anything is sent) and its outcome (after, also on failure or refusal). Entries say who, what, where, the result and
the request ids; never a token: values that look like a bearer token or a JWT are masked before they are written.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tui import version
from tui.services.models import Caller
from tui.services.plans import Change, Plan

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")


def default_audit_path() -> Path:
    from platformdirs import user_state_dir

    return Path(user_state_dir("mitui")) / "audit.jsonl"


def scrub(text: str) -> str:
    """Mask anything that looks like a token."""
    return _BEARER.sub("Bearer ***", _JWT.sub("***", text))


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


class AuditLog:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path else default_audit_path()
        self._lock = threading.Lock()

    def append(self, entry: dict[str, Any]) -> None:
        entry = {"mitui": version(), **_scrub_value(entry)}  # which mitui wrote the line
        line = json.dumps(entry, ensure_ascii=True, sort_keys=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line.encode("ascii"))
            finally:
                os.close(fd)

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]

    # --- the two entries of a write ---------------------------------------------------------------------------
    def intent(self, plan: Plan, caller: Caller | None, tenant_id: str, cloud: str, *, read_only: bool) -> str:
        operation_id = str(uuid.uuid4())
        self.append(
            {
                "time": _now(),
                "event": "intent",
                "operation": operation_id,
                **_who(caller, tenant_id, cloud),
                **_what(plan),
                "readOnly": read_only,
            }
        )
        return operation_id

    def outcome(self, operation_id: str, change: Change, caller: Caller | None, tenant_id: str, cloud: str) -> None:
        self.append(
            {
                "time": _now(),
                "event": "outcome",
                "operation": operation_id,
                **_who(caller, tenant_id, cloud),
                **_what(change.plan),
                "result": change.outcome,
                "assignmentId": change.assignment_id,
                "message": change.message,
                "requestIds": list(change.request_ids),
            }
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _who(caller: Caller | None, tenant_id: str, cloud: str) -> dict[str, Any]:
    return {
        "who": {
            "objectId": caller.object_id if caller else None,
            "displayName": caller.display_name if caller else None,
            "kind": caller.kind if caller else None,
        },
        "tenantId": tenant_id,
        "cloud": cloud,
    }


def _what(plan: Plan) -> dict[str, Any]:
    ident = plan.identity
    what = {
        "action": plan.action.value,
        "identity": {
            "name": ident.name,
            "principalId": ident.principal_id,
            "kind": ident.kind.value,
            "resourceId": ident.resource_id,
        },
        "right": {"name": plan.right_name, "id": plan.right_id, "privilege": plan.privilege.value},
        "where": {"target": plan.target, "targetId": plan.target_id},
        "existingId": plan.existing_id,
    }
    if plan.params:  # (the identity's life: what exactly is sent, e.g. the identity block or the credential's subject)
        what["sent"] = dict(plan.params)
    return what
