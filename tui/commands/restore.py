"""`mitui restore FILE [--dry-run] [--yes]`: put back the rights a containment removed (issue #14), from the restore
file it wrote first, through the same plans, confirmation and audit log as every write.

Exit codes: 0 everything is back (or a dry run), 1 nothing could be done (bad file, another tenant, cancelled,
read-only, every item failed), 2 bad flags (``--yes`` missing without a terminal), 3 some items failed (retry: the
items already back are skipped).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from tui.commands.common import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, fail
from tui.services.containment import RestoreFile, kind_of, outcome_label, read_restore_file, where_of
from tui.services.errors import MituiError
from tui.services.text import plain

if TYPE_CHECKING:
    from tui.services.plans import Change, Plan
    from tui.services.session import Session

COMMAND = "restore"


def run(args: argparse.Namespace, open_session: Callable[[], Awaitable[Session]]) -> int:
    logging.getLogger().addHandler(logging.NullHandler())  # SDK warnings must not reach stderr
    try:
        restore = read_restore_file(args.file)
    except MituiError as err:
        return fail(COMMAND, err.one_line())
    try:
        return asyncio.run(_run(args, restore, open_session))
    except MituiError as err:
        return fail(COMMAND, err.one_line())
    except KeyboardInterrupt:
        return fail(COMMAND, "interrupted", 130)
    except Exception as err:  # the last line of defence: one line, no traceback
        return fail(COMMAND, f"{type(err).__name__}: {err}")


async def _run(args: argparse.Namespace, restore: RestoreFile, open_session: Callable[[], Awaitable[Session]]) -> int:
    session = await open_session()
    try:
        plans = await session.plan_restore(restore)
        _say(describe(restore, plans))
        if getattr(args, "dry_run", False):
            return EXIT_OK
        if all(p.nothing_to_do for p in plans):
            _say("Everything is already there: nothing to do.\n")
            return EXIT_OK
        if not getattr(args, "yes", False):
            if not sys.stdin.isatty():
                return fail(COMMAND, "not a terminal: pass --yes to apply (or --dry-run to only print)", EXIT_USAGE)
            name = restore.identity.name
            typed = input(f"Type the identity's name ({plain(name, 200)}) to apply, anything else cancels: ")
            if typed.strip() != name.strip():
                return fail(COMMAND, "cancelled: nothing was changed")
        changes = await session.apply_each(plans)
        _say(results(changes))
    finally:
        await session.close()
    failed = [c for c in changes if not c.ok]
    if not failed:
        return EXIT_OK
    return EXIT_FAILED if len(failed) == len(changes) else EXIT_PARTIAL


def _say(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def describe(restore: RestoreFile, plans: list[Plan]) -> str:
    """The plan, one item a few lines: what, where, its privilege, whether it is there already, and the commands."""
    ident = restore.identity
    lines = [
        f"Restore {len(plans)} rights of {plain(ident.name, 200)} ({ident.kind.value}, principal {ident.principal_id})"
        f" in tenant {restore.tenant_id}",
        f"from a file written by mitui {plain(restore.mitui_version, 40) or '?'}"
        f" at {plain(restore.created, 40) or '?'}",
        "",
    ]
    for p in plans:
        status = "already there, skipped" if p.nothing_to_do else "to add"
        lines.append(
            f"{p.privilege.value:<8}  {kind_of(p):<14}  {plain(p.right_name, 80)}  at {plain(where_of(p), 300)}"
            f"  [{status}]"
        )
        if p.condition:
            lines.append(f"{'':<8}  condition: {plain(p.condition, 500)}")
        lines.append(f"{'':<8}  az: {plain(p.az_command, 1000)}")
        lines.append(f"{'':<8}  PowerShell: {plain(p.powershell_command, 1000)}")
    return "\n".join(lines) + "\n\n"


def results(changes: tuple[Change, ...]) -> str:
    lines = []
    for c in changes:
        p = c.plan
        lines.append(
            f"{outcome_label(c):<13}  {kind_of(p):<14}  {plain(p.right_name, 80)}  at {plain(where_of(p), 300)}"
        )
        if not c.ok:
            lines.append(f"{'':<13}  {plain(c.message, 500)}")
    done = len([c for c in changes if c.ok])
    lines.append(f"\n{done} of {len(changes)} rights are back.")
    return "\n".join(lines) + "\n"
