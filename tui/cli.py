"""The `mitui` command: parses the flags and dispatches: the TUI (no subcommand) and the script subcommands go to
tui.launch, `mitui emulator` to tui.emulator.cli.

This module imports nothing heavy at module level (nor the app: tui.launch composes it), so `mitui --help` and the
first frame stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tui import version

CLOUDS = ("public", "usgov", "china")
CREDENTIALS = ("default", "cli", "environment", "managed-identity", "device-code", "browser")
FLAGS_EITHER_SIDE = (
    "Connection flags (--demo, --cloud, --arm-endpoint, --credential, --tenant, --ca-file) may be written before or "
    "after the subcommand; given in both places, the later one wins."
)


def add_connection_flags(parser: argparse.ArgumentParser, *, defaults: bool = True) -> None:
    """Flags shared by the TUI and the subcommands that talk to a tenant: where Azure is and who signs in.

    ``defaults=False`` for a subcommand's copy: a flag it is not given is left out of its namespace, so that the
    value written before the subcommand stays (argparse copies every attribute of the subcommand's namespace over
    the main parser's, defaults included)."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    group = parser.add_argument_group("connection")
    group.add_argument(
        "--demo",
        action="store_true",
        default=default(False),
        help="the built-in sandbox tenant (no account needed)",
    )
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--cloud", choices=CLOUDS, default=default(None), help="a national cloud by name (default: public)"
    )
    where.add_argument(
        "--arm-endpoint",
        metavar="URL",
        default=default(None),
        help="a custom cloud (Azure Stack Hub, the sandbox tenant) found from its ARM /metadata/endpoints",
    )
    group.add_argument(
        "--credential", choices=CREDENTIALS, default=default("default"), help="how to sign in (default: default)"
    )
    group.add_argument("--tenant", metavar="ID", default=default(None), help="the Entra tenant to sign in to")
    group.add_argument("--ca-file", metavar="PEM", default=default(None), help="extra CA certificates to trust (PEM)")
    group.add_argument(
        "--source",
        choices=("auto", "arm", "resource-graph"),
        default=default(None),
        help="how the subscriptions are read: ARM's listings, Azure Resource Graph's queries (within the user's "
        "query quota: for a raised quota), or auto (ARM's listings; default, or the config's 'source')",
    )


def _one_line_error(parser: argparse.ArgumentParser):  # noqa: ANN202
    def error(message: str) -> None:
        parser.exit(2, f"{parser.prog}: error: {' '.join(message.split())}\n")

    return error


def script_command(
    sub: argparse._SubParsersAction, name: str, help: str, *, epilog: str = FLAGS_EITHER_SIDE, report: bool = True
) -> argparse.ArgumentParser:
    """A script subcommand: the connection flags, ONE line on stderr for an error, and for a ``report`` the
    output flags every report shares (--format, --subscription, --output)."""
    command = sub.add_parser(name, help=help, epilog=epilog)
    add_connection_flags(command, defaults=False)
    if report:
        command.add_argument("--format", choices=("json", "csv", "table"), default="table")
        command.add_argument(
            "--subscription", metavar="ID", action="append", help="only this subscription (repeatable)"
        )
        command.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    command.error = _one_line_error(command)  # type: ignore[method-assign]  # scripts get ONE line on stderr
    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mitui",
        description="A keyboard-driven terminal UI for Azure managed identities.",
        epilog=f"{FLAGS_EITHER_SIDE} This is mitui {version()}.",
    )
    parser.add_argument("--version", action="version", version=f"mitui {version()}")
    add_connection_flags(parser)
    parser.add_argument("--read-only", action="store_true", default=None, help="show, never change")
    parser.add_argument("--redact", action="store_true", help="mask ids and names on screen, for screen sharing")
    parser.add_argument("--config", metavar="TOML", help="the config file (default: in the XDG config dir)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    emu = sub.add_parser("emulator", help="serve the sandbox tenant in the foreground")
    from tui.emulator.cli import add_flags as add_emulator_flags

    add_emulator_flags(emu)

    inventory = script_command(sub, "inventory", "print every managed identity and what it may do")
    inventory.add_argument(
        "--usage",
        action="store_true",
        help="also read last sign-in and Azure activity (90 days): usage per identity, lastUsed per role (JSON)",
    )
    inventory.add_argument(
        "--automation",
        action="store_true",
        help="also read every Automation account: runbooks with their readiness, modules (JSON: automationAccounts)",
    )

    found = script_command(
        sub,
        "findings",
        "what is wrong: orphaned assignments, unused identities, critical and broad rights, recent changes",
        epilog=f"Exit 4 when a finding is at or above --fail-on (3: partial read). {FLAGS_EITHER_SIDE}",
    )
    found.add_argument(
        "--fail-on",
        choices=("normal", "high", "critical"),
        default="normal",
        help="exit 4 when a finding is at or above this severity (default: normal, i.e. any finding)",
    )
    found.add_argument(
        "--recent-days", type=int, metavar="N", default=7, help="rights created in the last N days are findings"
    )

    found.add_argument(
        "--usage",
        action="store_true",
        help="also read sign-ins and the Activity Log for the idle-identity and unused-right findings",
    )
    found.add_argument(
        "--idle-days", type=int, metavar="N", help="no sign-in and no operation in N days is idle (config idle_days)"
    )

    activity = script_command(
        sub, "activity", "what one identity did: its sign-ins, Azure operations and Entra changes, newest first"
    )
    activity.add_argument("--identity", metavar="ID", required=True, help="principal id, client id, name or ARM id")
    activity.add_argument("--since", default="24h", help="1h, 24h, 7d or a date (default: 24h)")

    access = script_command(
        sub, "access", "who can touch a scope: every identity with an Azure role there, assigned or inherited"
    )
    access.add_argument("--scope", metavar="ARM_ID", required=True, help="a subscription, resource group, resource...")

    changes = script_command(sub, "changes", "what changed: the identities' rights newest first, with who made each")
    changes.add_argument("--since", default="7d", help="24h, 7d, 30m, 2w or a date (default: 7d)")
    changes.add_argument("--min-privilege", choices=("normal", "high", "critical"), default="normal")
    changes.add_argument("--actor", metavar="TEXT", help="only changes made by someone whose name or id contains TEXT")

    restore = script_command(
        sub,
        "restore",
        "put back the rights a containment removed, from the restore file it wrote",
        epilog=f"Exit 0 all back, 1 failed, 2 bad flags, 3 some items failed. {FLAGS_EITHER_SIDE}",
        report=False,
    )
    restore.add_argument("file", metavar="FILE", help="the restore file (JSON) containment wrote")
    restore.add_argument("--dry-run", action="store_true", help="print the plan and the az / PowerShell commands only")
    restore.add_argument("--yes", action="store_true", help="apply without asking (required when not on a terminal)")
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line as one namespace, connection flags taken from either side of the subcommand."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "cloud", None) and getattr(args, "arm_endpoint", None):
        # each side checks its own flags; written on both sides, --cloud and --arm-endpoint are checked here
        _one_line_error(parser)("argument --arm-endpoint: not allowed with argument --cloud")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "emulator":
        from tui.emulator.cli import run as run_emulator

        return run_emulator(args)
    from tui.launch import run_app, run_command

    return run_app(args) if args.command is None else run_command(args)


if __name__ == "__main__":
    sys.exit(main())
