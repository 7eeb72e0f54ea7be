"""`mitui activity`: what one identity did (issue #19): its sign-ins, Azure operations (Activity Log) and Entra
changes (directory audits) since ``--since``, newest first, with the coverage of each source.

Reads and data-plane use are not recorded by Azure: they are not here. Exit codes as `mitui inventory`'s; 3 when a
source could not be read (its part is unknown, and said so).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tui.commands.common import EXIT_PARTIAL, EXIT_USAGE, fail, load_then, write
from tui.commands.inventory import json_text
from tui.services.errors import InvalidInput
from tui.services.filtering import since_cutoff
from tui.services.models import Inventory, ManagedIdentity
from tui.services.text import csv_cell, plain
from tui.services.usage import OK, ActivityCache, Timeline, iso, timeline_of

if TYPE_CHECKING:
    from tui.services.session import Session

COMMAND = "activity"
COLUMNS = ("time", "source", "operation", "target", "status", "correlationId")
NOT_RECORDED = "Reads and data-plane use are not recorded by Azure."


def find_identity(inventory: Inventory, text: str) -> ManagedIdentity | None:
    """The identity whose principal id, client id, ARM id or name is ``text`` (case-insensitive)."""
    low = text.strip().lower()
    for i in inventory.identities:
        if low in (i.principal_id.lower(), i.client_id.lower(), i.resource_id.lower()):
            return i
    named = [i for i in inventory.identities if i.name.lower() == low]
    return named[0] if len(named) == 1 else None


def run(args: argparse.Namespace, open_session: Callable[[], Awaitable[Session]]) -> int:
    try:
        since = since_cutoff(args.since, datetime.now(UTC))
    except InvalidInput as err:
        return fail(COMMAND, err.one_line(), EXIT_USAGE)

    async def then(session: Session, inventory: Inventory) -> Timeline | None:
        identity = find_identity(inventory, args.identity)
        if identity is None:
            return None
        cache = ActivityCache(ActivityCache.default_dir())
        return await timeline_of(inventory, session.backend, identity, since, cache=cache)

    loaded = load_then(COMMAND, args, open_session, then)
    if isinstance(loaded, int):
        return loaded
    _inventory, found = loaded
    if found is None:
        return fail(COMMAND, f"no managed identity {args.identity!r} (a principal id, client id, name or ARM id)")
    code = write(COMMAND, render(found, getattr(args, "format", None) or "table"), getattr(args, "output", None))
    if code:
        return code
    missing = [f"{k} {v}" for k, v in found.coverage.items() if v != OK]
    if missing:
        print(f"mitui {COMMAND}: error: incomplete, {plain('; '.join(missing), 400)}", file=sys.stderr)
        return EXIT_PARTIAL
    return 0


def render(found: Timeline, fmt: str) -> str:
    if fmt == "json":
        doc: dict[str, Any] = {
            "identity": {"name": found.identity.name, "principalId": found.identity.principal_id},
            "since": iso(found.since),
            "coverage": dict(found.coverage),
            "note": NOT_RECORDED,
            "activity": [e.to_json() for e in found.entries],
        }
        return json_text(doc)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([csv_cell(str(v or "")) for v in e.to_json().values()] for e in found.entries)
        return out.getvalue()
    cover = ", ".join(f"{k} {plain(v, 200)}" for k, v in found.coverage.items())
    lines = [
        f"{plain(found.identity.name, 80)}: {len(found.entries)} events since {found.since:%Y-%m-%d %H:%M} UTC, "
        "newest first",
        f"coverage: {cover}",
        NOT_RECORDED,
        "",
    ]
    for e in found.entries:
        lines.append(f"{e.time:%Y-%m-%d %H:%M:%S}  {e.source:<7}  {plain(e.status, 20):<10}  {plain(e.operation, 100)}")
        detail = plain(e.target, 300) + (f"  (correlation {plain(e.correlation_id, 60)})" if e.correlation_id else "")
        lines.append(f"{'':<19}  {'':<7}  {'':<10}  {detail}")
    return "\n".join(lines) + "\n"
