"""Make the pictures in screenshots/: the real app on the demo tenant, driven with Textual's Pilot.

    .venv/bin/python scripts/make_screenshots.py [--out screenshots] [--size 140x40]

Writes SVG (Textual's own export) and, when cairosvg is installed (``pip install -e '.[shots]'``), PNG. For PNGs
whose columns line up, install a monospace font that the SVG names, e.g. Debian's ``fonts-firacode``
(``apt-get install fonts-firacode``); without it cairosvg falls back to another font and the PNG may drift.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tui.app import MituiApp  # noqa: E402
from tui.config import Config  # noqa: E402
from tui.launch import demo_factory  # noqa: E402
from tui.pilot import settle, until_loaded  # noqa: E402


async def select(app: MituiApp, pilot: Any, name: str) -> None:
    from tui.widgets.virtual_table import VirtualTable

    table = app.screen.query_one("#identities", VirtualTable)
    key = next(row.key for row in table.rows if row.data.identity.name == name)
    table.move_to_key(key)
    table.focus()
    await pilot.pause()


async def until_automation_read(app: MituiApp, pilot: Any) -> None:
    from tui.screens.automation import AutomationScreen

    for _ in range(400):
        await settle(app, pilot, 1)
        screen = app.screen
        if isinstance(screen, AutomationScreen) and screen.accounts and not screen.workers:
            break
    await settle(app, pilot)


async def until_idle_screen(app: MituiApp, pilot: Any) -> None:
    """Until the screen on top has no worker left (what it reads has arrived)."""
    for _ in range(400):
        await settle(app, pilot, 1)
        if not app.screen.workers:
            break
    await settle(app, pilot)


async def press_text(pilot: Any, text: str) -> None:
    await pilot.press(*[("space" if c == " " else c) for c in text])


async def shoot(out: Path, size: tuple[int, int], theme: str, suffix: str = "") -> list[Path]:
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="mitui-shots-") as tmp:
        state_dir = Path(tmp)
        factory = demo_factory(False, audit_log=str(state_dir / "audit.jsonl"), state_dir=state_dir / "emulator")
        app = MituiApp(factory, config=Config(theme=theme))

        def save(name: str) -> None:
            filename = f"{name}{suffix}.svg"
            app.save_screenshot(filename, str(out))
            made.append(out / filename)

        async with app.run_test(size=size) as pilot:
            await until_loaded(app, pilot, rounds=400)
            await select(app, pilot, "aa-ops-prod")
            save("main")
            if suffix:
                return made
            app.screen.query_one("#details-tabs").active = "tab-roles"
            await settle(app, pilot)
            save("main-roles")

            await select(app, pilot, "aa-identity-sync")  # a conditioned RBAC Administrator, who made it and when
            app.screen.query_one("#details-tabs").active = "tab-roles"
            await settle(app, pilot)
            save("roles-created")
            await select(app, pilot, "id-github-deploy")  # Application Administrator through sg-app-admins
            app.screen.query_one("#details-tabs").active = "tab-directory-roles"
            await settle(app, pilot)
            save("directory-roles")

            await select(app, pilot, "id-ops-scheduler")  # high on its own, critical through aa-ops-prod
            app.screen.query_one("#details-tabs").active = "tab-overview"
            await settle(app, pilot)
            app.screen.query_one("#overview").parent.scroll_end(animate=False)  # (the paths are at the end)
            await settle(app, pilot)
            save("escalation")

            await select(app, pilot, "id-orders-shared")
            await pilot.press("a")
            await settle(app, pilot)
            await press_text(pilot, "key vault")
            await pilot.pause()
            save("role-picker")

            await pilot.press("escape")
            await settle(app, pilot)
            await pilot.press("a")
            await settle(app, pilot)
            await press_text(pilot, "Key Vault Secrets User")
            await pilot.press("enter")
            await settle(app, pilot)
            save("scope-picker")
            await pilot.press("enter")
            await settle(app, pilot)
            save("confirm")
            await pilot.press("escape")
            await settle(app, pilot)

            await select(app, pilot, "id-dev-tests")
            await pilot.press("a")
            await settle(app, pilot)
            await press_text(pilot, "Owner")
            await pilot.press("enter")
            await settle(app, pilot)
            await pilot.press("enter")
            await settle(app, pilot)
            save("confirm-critical")
            await pilot.press("escape")
            await settle(app, pilot)

            await select(app, pilot, "id-hr-onboarding")
            await pilot.press("g")
            await settle(app, pilot)
            await press_text(pilot, "mail")
            await pilot.pause()
            save("grant-app-role")
            await pilot.press("escape")
            await settle(app, pilot)

            await select(app, pilot, "id-orders-shared")  # the identity's life: what m offers, and a deletion's plan
            await pilot.press("m")
            await settle(app, pilot)
            save("identity-life")
            await press_text(pilot, "delete this")
            await pilot.press("enter")
            await settle(app, pilot)
            save("confirm-delete-identity")
            await pilot.press("escape")
            await settle(app, pilot)

            await select(app, pilot, "id-orders-shared")  # the Automation view on its first account: not ready
            await pilot.press("A")
            await until_automation_read(app, pilot)
            save("automation")
            await pilot.press("escape")
            await settle(app, pilot)

            await select(app, pilot, "aa-ops-prod")  # what it did in a month, and the right size of its Contributor
            await pilot.press("u")
            await until_idle_screen(app, pilot)
            await pilot.press("slash")
            app.screen.query_one("#activity-q").value = ""
            await press_text(pilot, "since:30d")
            await pilot.press("enter")
            await until_idle_screen(app, pilot)
            save("activity")
            await pilot.press("escape")
            await settle(app, pilot)

            await pilot.press("p")
            await settle(app, pilot)
            save("app-roles")
            await pilot.press("escape")
            await settle(app, pilot)

            await select(app, pilot, "aa-ops-prod")
            await pilot.press("i")
            await settle(app, pilot)
            save("incident-findings")
            await pilot.press("2", "slash")  # what changed: the last month's high and critical rights
            app.screen.query_one("#changes-filter").value = ""
            await press_text(pilot, "30d priv:high")
            await pilot.press("enter")
            await settle(app, pilot)
            save("incident-changes")
            await pilot.press("3")  # who can touch aa-ops-prod
            await settle(app, pilot)
            save("incident-access")
            await pilot.press("escape")
            await settle(app, pilot)

            await select(app, pilot, "aa-ops-prod")
            await pilot.press("x")  # contain it: every right in one plan
            await settle(app, pilot)
            save("contain")
            await pilot.press("escape")
            await settle(app, pilot)

            await pilot.press("f1")
            await pilot.pause()
            save("help")
    return made


def to_png(svgs: list[Path]) -> list[Path]:
    try:
        import cairosvg
    except ImportError:
        print("cairosvg is not installed: SVG only (pip install -e '.[shots]')", file=sys.stderr)
        return []
    pngs = []
    for svg in svgs:
        png = svg.with_suffix(".png")
        cairosvg.svg2png(url=str(svg), write_to=str(png), output_width=1600)
        pngs.append(png)
    return pngs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "screenshots"))
    parser.add_argument("--size", default="140x40", help="terminal size COLSxROWS (default %(default)s)")
    args = parser.parse_args(argv)
    cols, rows = (int(x) for x in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    svgs = asyncio.run(shoot(out, (cols, rows), "textual-dark"))
    svgs += asyncio.run(shoot(out, (cols, rows), "textual-light", suffix="-light"))
    svgs += asyncio.run(shoot(out, (80, 24), "textual-dark", suffix="-80x24"))
    for path in svgs + to_png(svgs):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
