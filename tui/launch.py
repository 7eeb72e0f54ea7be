"""Composition root: turns the parsed command line and the config file into a session factory, then runs the app
or a script subcommand with it. The only UI-side module that reaches tui.azure (lazily, inside the factories), so
tui.app, the screens, the widgets and the commands never import an Azure SDK.

A session factory is an async callable returning one :class:`~tui.services.session.Session`, which closes
everything it opened (the demo's sandbox tenant too) in ``await session.close()``.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tui import runtime
from tui.config import Config, load_config

if TYPE_CHECKING:
    from tui.app import MituiApp, SessionFactory
    from tui.azure.connect import ConnectOptions
    from tui.services.session import Session


def resolve_read_only(args: argparse.Namespace, config: Config) -> bool:
    """--read-only wins; otherwise the config file's ``read_only`` (default false)."""
    flag = getattr(args, "read_only", None)
    return bool(flag) if flag is not None else config.read_only


async def open_demo(read_only: bool = False, **demo_kwargs: Any) -> Session:
    """The sandbox tenant started in-process, and a session on it (closing it stops the tenant)."""
    from tui.azure.demo import connect_demo

    return await connect_demo(read_only=read_only, **demo_kwargs)


def demo_factory(read_only: bool, source: str = "auto", **demo_kwargs: Any) -> SessionFactory:
    async def open_session() -> Session:
        session = await open_demo(read_only, **demo_kwargs)
        session.source = source  # (how the inventory reads the sandbox's subscriptions: --source)
        return session

    return open_session


def connect_options(args: argparse.Namespace, read_only: bool) -> ConnectOptions:
    """Where Azure is and who signs in, from the connection flags (written before or after the subcommand)."""
    from tui.azure.connect import ConnectOptions

    return ConnectOptions(
        cloud=getattr(args, "cloud", None),
        arm_endpoint=getattr(args, "arm_endpoint", None),
        credential=getattr(args, "credential", "default") or "default",
        tenant=getattr(args, "tenant", None),
        ca_file=getattr(args, "ca_file", None),
        read_only=read_only,
        source=resolve_source(args),
    )


def resolve_source(args: argparse.Namespace) -> str:
    """--source wins; otherwise the config file's ``source`` (default auto)."""
    flag = getattr(args, "source", None)
    return flag if flag else load_config(getattr(args, "config", None)).source


def azure_factory(args: argparse.Namespace, read_only: bool) -> SessionFactory:
    async def open_azure() -> Session:
        from tui.azure.connect import connect

        return await connect(connect_options(args, read_only))

    return open_azure


def session_factory(args: argparse.Namespace, read_only: bool) -> SessionFactory:
    """The sandbox tenant with --demo, else Azure as the connection flags say."""
    if getattr(args, "demo", False):
        return demo_factory(read_only, resolve_source(args))
    return azure_factory(args, read_only)


def build_app(args: argparse.Namespace) -> MituiApp:
    from tui.app import MituiApp

    config = load_config(getattr(args, "config", None))
    read_only = resolve_read_only(args, config)
    demo = demo_factory(read_only, resolve_source(args))  # also offered on the no-credentials screen
    return MituiApp(
        demo if getattr(args, "demo", False) else azure_factory(args, read_only),
        demo_factory=demo,
        config=config,
        redact=bool(getattr(args, "redact", False)),
    )


def run_app(args: argparse.Namespace) -> int:
    """``mitui`` with no subcommand: the TUI."""
    runtime.install()
    app = build_app(args)
    result = app.run()
    if app.return_code not in (None, 0):
        return app.return_code or 1
    return int(result or 0) if isinstance(result, int) else 0


def run_command(args: argparse.Namespace) -> int:
    """A script subcommand (tui.commands), given the session factory for the tenant the flags name."""
    runtime.install()
    if args.command == "inventory":
        from tui.commands import inventory

        return inventory.run(args, session_factory(args, read_only=True))  # the inventory never writes
    if args.command in ("findings", "access", "changes", "activity"):  # (incident mode: read-only, as the inventory)
        from importlib import import_module

        command = import_module(f"tui.commands.{args.command}")
        return command.run(args, session_factory(args, read_only=True))
    if args.command == "restore":  # (containment's undo, issue #14: writes, so --read-only and the config apply)
        from tui.commands import restore

        read_only = resolve_read_only(args, load_config(getattr(args, "config", None)))
        return restore.run(args, session_factory(args, read_only))
    raise ValueError(f"unknown command {args.command!r}")
