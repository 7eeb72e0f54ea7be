"""Composition root of the TUI: turns the command line and the config file into session factories and runs
the app. The only UI-side module that reaches tui.azure (lazily, inside the factories), so tui.app, the screens
and the widgets never import an Azure SDK."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tui.config import Config, load_config


def resolve_read_only(args: argparse.Namespace, config: Config) -> bool:
    """--read-only wins; otherwise the config file's ``read_only`` (default false)."""
    flag = getattr(args, "read_only", None)
    return bool(flag) if flag is not None else config.read_only


def demo_factory(read_only: bool) -> Any:
    async def open_demo() -> Any:
        from tui.azure.demo import connect_demo

        return await connect_demo(read_only=read_only)

    return open_demo


def azure_factory(args: argparse.Namespace, read_only: bool) -> Any:
    async def open_azure() -> Any:
        from tui.azure.connect import ConnectOptions, connect

        options = ConnectOptions(
            cloud=getattr(args, "cloud", None),
            arm_endpoint=getattr(args, "arm_endpoint", None),
            credential=getattr(args, "credential", "default") or "default",
            tenant=getattr(args, "tenant", None),
            ca_file=getattr(args, "ca_file", None),
            read_only=read_only,
        )
        return await connect(options)

    return open_azure


def build_app(args: argparse.Namespace) -> Any:
    from tui.app import MituiApp

    config = load_config(getattr(args, "config", None))
    read_only = resolve_read_only(args, config)
    demo = demo_factory(read_only)
    factory = demo if getattr(args, "demo", False) else azure_factory(args, read_only)
    return MituiApp(factory, demo_factory=demo, config=config, redact=bool(getattr(args, "redact", False)))


def run(args: argparse.Namespace) -> int:
    app = build_app(args)
    result = app.run()
    if app.return_code not in (None, 0):
        return app.return_code or 1
    return int(result or 0) if isinstance(result, int) else 0


if __name__ == "__main__":  # pragma: no cover
    from tui.cli import build_parser

    sys.exit(run(build_parser().parse_args()))
