"""`mitui changes`: what changed in the identities' rights, newest first, with who changed it (issue #14).
Exit codes as `mitui inventory`'s."""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.commands.common import EXIT_USAGE, fail, load, partial, write
from tui.commands.inventory import json_text
from tui.services.changes import Change, timeline
from tui.services.errors import InvalidInput
from tui.services.filtering import since_cutoff
from tui.services.models import Privilege
from tui.services.text import csv_cell, plain

if TYPE_CHECKING:
    from tui.services.session import Session

COMMAND = "changes"
COLUMNS = ("when", "actor", "name", "principalId", "kind", "right", "where", "privilege", "viaGroup")


def run(args: argparse.Namespace, open_session: Callable[[], Awaitable[Session]]) -> int:
    try:
        since = since_cutoff(args.since, datetime.now(UTC))
    except InvalidInput as err:
        return fail(COMMAND, err.one_line(), EXIT_USAGE)
    inventory = load(COMMAND, args, open_session)
    if isinstance(inventory, int):
        return inventory
    found = timeline(inventory, since, at_least=Privilege(args.min_privilege), actor=args.actor or "")
    text = render(since, found, getattr(args, "format", None) or "table")
    return write(COMMAND, text, getattr(args, "output", None)) or partial(COMMAND, inventory)


def _cells(c: Change) -> list[str]:
    via = getattr(c.right, "via", None)
    return [
        c.when.isoformat(),
        c.actor,
        c.identity.name,
        c.identity.principal_id,
        c.kind,
        c.name,
        c.where,
        c.right.privilege.value,
        (via.group_name or via.group_id) if via else "",
    ]


def render(since: datetime, found: list[Change], fmt: str) -> str:
    if fmt == "json":
        doc: dict[str, Any] = {
            "since": since.isoformat(),
            "changes": [dict(zip(COLUMNS, _cells(c), strict=True)) for c in found],
        }
        return json_text(doc)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([csv_cell(x) for x in _cells(c)] for c in found)
        return out.getvalue()
    lines = [f"{len(found)} rights created since {since:%Y-%m-%d %H:%M} UTC, newest first", ""]
    for c in found:
        by = f" by {plain(c.actor, 80)}" if c.actor else ""
        lines.append(
            f"{c.when:%Y-%m-%d %H:%M}  {c.right.privilege.value:<8}  {plain(c.identity.name, 60)}  "
            f"{c.kind} {plain(c.name, 60)}{by}"
        )
        lines.append(f"{'':<16}  {'':<8}  at {plain(c.where, 300)}")
    return "\n".join(lines) + "\n"
