"""mitui: a keyboard-driven terminal UI for Azure managed identities."""

from __future__ import annotations

from functools import cache


@cache
def version() -> str:
    """mitui's version, from the installed package's metadata (a wheel, or ``pip install -e .``)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed_version

    try:
        return installed_version("mitui")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
