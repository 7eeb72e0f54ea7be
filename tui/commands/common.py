"""What the script subcommands share: sign in, load the inventory read-only, write the output, exit codes, and
errors as ONE line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from tui.services.errors import InvalidInput, MituiError
from tui.services.models import Inventory
from tui.services.odata import guid
from tui.services.text import plain

if TYPE_CHECKING:
    from tui.services.session import Session

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


def fail(command: str, message: str, code: int = EXIT_FAILED) -> int:
    print(f"mitui {command}: error: {plain(' '.join(message.split()), 500)}", file=sys.stderr)
    return code


def load(
    command: str,
    args: argparse.Namespace,
    open_session: Callable[[], Awaitable[Session]],
    after: Callable[[Session, Inventory], Awaitable[None]] | None = None,
) -> Inventory | int:
    """The inventory of the tenant that ``open_session`` signs in to, or the exit code of why not (said on
    stderr). ``after`` reads more in the same session, once the inventory is loaded."""
    logging.getLogger().addHandler(logging.NullHandler())  # SDK warnings must not reach stderr
    try:
        subs = [guid(s, "subscription id") for s in (getattr(args, "subscription", None) or [])]
    except InvalidInput as err:
        return fail(command, err.one_line(), EXIT_USAGE)
    loaded: list[Inventory] = []
    try:
        # (the inventory is handed back through a list, not as asyncio.run's result: Python 3.11's asyncio.run ends
        # with signal.getsignal(SIGINT), which formats repr() of the main task, result included — seconds of CPU
        # for a tenant with tens of thousands of assignments)
        asyncio.run(_load(open_session, subs or None, loaded, after))
        return loaded[0]
    except MituiError as err:
        usage = isinstance(err, InvalidInput) and "flag" in err.title
        return fail(command, err.one_line(), EXIT_USAGE if usage else EXIT_FAILED)
    except KeyboardInterrupt:
        return fail(command, "interrupted", 130)
    except Exception as err:  # the last line of defence: one line, no traceback
        return fail(command, f"{type(err).__name__}: {err}")


async def _load(
    open_session: Callable[[], Awaitable[Session]],
    subscription_ids: list[str] | None,
    into: list[Inventory],
    after: Callable[[Session, Inventory], Awaitable[None]] | None = None,
) -> None:
    session = await open_session()
    try:
        into.append(await session.load_inventory(subscription_ids))
        if after is not None:
            await after(session, into[0])
    finally:
        await session.close()


def write(command: str, text: str, output: str | None) -> int:
    """``text`` to ``output`` (atomically: a reader never sees half a file) or to standard output."""
    try:
        if output:
            tmp = f"{output}.tmp-{os.getpid()}"
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            os.replace(tmp, output)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    except OSError as err:
        return fail(command, f"cannot write {output or 'standard output'}: {err.strerror or err}")
    return EXIT_OK


def partial(command: str, inventory: Inventory) -> int:
    """EXIT_PARTIAL with one line when parts of the inventory could not be read, else EXIT_OK: a partial result
    is never passed off as complete."""
    if not inventory.problems:
        return EXIT_OK
    first, more = inventory.problems[0], len(inventory.problems) - 1
    rest = f" (and {more} more, listed in the output)" if more else ""
    print(f"mitui {command}: error: incomplete, could not read {plain(first, 400)}{rest}", file=sys.stderr)
    return EXIT_PARTIAL
