"""`mitui access --scope ARM_ID`: every managed identity with an Azure role that applies at a scope (issue #14),
assigned there or inherited from above, directly or through a group. Exit codes as `mitui inventory`'s."""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from tui.commands.common import EXIT_USAGE, fail, load, partial, write
from tui.commands.inventory import json_text
from tui.services.access import Access, access_at, checked_scope
from tui.services.errors import InvalidInput
from tui.services.text import csv_cell, plain

if TYPE_CHECKING:
    from tui.services.session import Session

COMMAND = "access"
COLUMNS = (
    "name",
    "principalId",
    "kind",
    "roleName",
    "assignedAt",
    "how",
    "viaGroupId",
    "viaGroupName",
    "privilege",
    "privilegeReason",
)


def run(args: argparse.Namespace, open_session: Callable[[], Awaitable[Session]]) -> int:
    try:
        scope = checked_scope(args.scope)
    except InvalidInput as err:
        return fail(COMMAND, err.one_line(), EXIT_USAGE)
    inventory = load(COMMAND, args, open_session)
    if isinstance(inventory, int):
        return inventory
    rows = access_at(inventory, scope)
    text = render(scope, rows, getattr(args, "format", None) or "table")
    return write(COMMAND, text, getattr(args, "output", None)) or partial(COMMAND, inventory)


def _cells(a: Access) -> list[str]:
    ra, via = a.right, a.right.via
    return [
        a.identity.name,
        a.identity.principal_id,
        a.identity.kind.value,
        ra.role_name,
        ra.scope,
        a.how,
        via.group_id if via else "",
        via.group_name if via else "",
        ra.privilege.value,
        ra.privilege_reason,
    ]


def render(scope: str, rows: list[Access], fmt: str) -> str:
    if fmt == "json":
        doc: dict[str, Any] = {"scope": scope, "access": [dict(zip(COLUMNS, _cells(a), strict=True)) for a in rows]}
        return json_text(doc)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([csv_cell(c) for c in _cells(a)] for a in rows)
        return out.getvalue()
    names = {a.identity.principal_id for a in rows}
    lines = [f"{len(names)} managed identities with {len(rows)} Azure roles at {plain(scope, 300)}", ""]
    for a in rows:
        lines.append(
            f"{a.right.privilege.value:<8}  {plain(a.identity.name, 60)}  {plain(a.right.role_name, 60)}  "
            f"({plain(a.how, 120)})"
        )
        lines.append(f"{'':<8}  at {plain(a.right.scope, 300)}")
    return "\n".join(lines) + "\n"
