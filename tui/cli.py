"""The `mitui` command: the TUI (default), `mitui emulator` and `mitui inventory`.

This module only parses flags and hands over; it imports nothing heavy at module level, so `mitui --help`
and the first frame stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

CLOUDS = ("public", "usgov", "china")
CREDENTIALS = ("default", "cli", "environment", "managed-identity", "device-code", "browser")


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """Flags shared by the TUI and `mitui inventory`: where Azure is and who signs in."""
    group = parser.add_argument_group("connection")
    where = group.add_mutually_exclusive_group()
    where.add_argument("--cloud", choices=CLOUDS, default=None, help="a national cloud by name (default: public)")
    where.add_argument(
        "--arm-endpoint",
        metavar="URL",
        help="a custom cloud (Azure Stack Hub, the sandbox tenant) found from its ARM /metadata/endpoints",
    )
    group.add_argument(
        "--credential", choices=CREDENTIALS, default="default", help="how to sign in (default: %(default)s)"
    )
    group.add_argument("--tenant", metavar="ID", help="the Entra tenant to sign in to")
    group.add_argument("--ca-file", metavar="PEM", help="extra CA certificates to trust (PEM)")


def _one_line_error(parser: argparse.ArgumentParser):  # noqa: ANN202
    def error(message: str) -> None:
        parser.exit(2, f"{parser.prog}: error: {' '.join(message.split())}\n")

    return error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mitui",
        description="A keyboard-driven terminal UI for Azure managed identities.",
    )
    add_connection_flags(parser)
    parser.add_argument("--demo", action="store_true", help="open on the built-in sandbox tenant (no account needed)")
    parser.add_argument("--read-only", action="store_true", default=None, help="show, never change")
    parser.add_argument("--redact", action="store_true", help="mask ids and names on screen, for screen sharing")
    parser.add_argument("--config", metavar="TOML", help="the config file (default: in the XDG config dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    emu = sub.add_parser("emulator", help="serve the sandbox tenant in the foreground")
    from tui.emulator.cli import add_flags as add_emulator_flags

    add_emulator_flags(emu)

    inv = sub.add_parser("inventory", help="print every managed identity and what it may do")
    add_connection_flags(inv)
    inv.add_argument("--format", choices=("json", "csv", "table"), default="table")
    inv.add_argument("--subscription", metavar="ID", action="append", help="only this subscription (repeatable)")
    inv.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    inv.error = _one_line_error(inv)  # type: ignore[method-assign]  # scripts get ONE line on stderr
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "emulator":
        from tui.emulator.cli import run as run_emulator

        return run_emulator(args)
    if args.command == "inventory":
        from tui.inventory_command import run as run_inventory

        return run_inventory(args)
    from tui.app import run as run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
