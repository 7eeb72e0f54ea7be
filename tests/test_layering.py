"""The arrows go one way: cli -> launch -> app -> screens/widgets -> services -> azure -> SDKs; the emulator
stands apart.

Two independent checks: import-linter with pyproject's contracts (one per arrow), and AST walks (imports inside
functions too) of tui/services, which imports no textual, rich or Azure / Graph SDK, and of everything below the
entry points, which never imports tui.cli or tui.launch."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN_IN_SERVICES = ("textual", "rich", "azure", "msgraph", "msgraph_core", "kiota", "tui.azure", "tui.emulator")


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is not installed"
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            if node.module == "tui":  # `from tui import launch` imports tui.launch
                names += [f"tui.{a.name}" for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", ""))
            in (
                "import_module",
                "__import__",
            )
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append(node.args[0].value)
    return names


def test_services_import_no_ui_and_no_sdk() -> None:
    offenders = []
    for path in sorted((ROOT / "tui" / "services").rglob("*.py")):
        for name in _imports(path):
            if any(name == f or name.startswith(f + ".") or name.startswith(f + "_") for f in FORBIDDEN_IN_SERVICES):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_the_entry_points_have_their_contracts() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = [c["layers"] for c in contracts if c["type"] == "layers"]
    assert ["tui.cli", "tui.launch", "tui.app | tui.commands", "tui.screens", "tui.widgets", "tui.services"] in layers
    cli = [c for c in contracts if c["type"] == "forbidden" and c["source_modules"] == ["tui.cli"]]
    assert cli and {"tui.app", "tui.screens", "tui.commands"} <= set(cli[0]["forbidden_modules"])


def test_nothing_below_the_entry_points_imports_them() -> None:
    """Only tui.cli may import tui.launch, and nothing imports tui.cli: the way in has no circle."""
    offenders = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for name in _imports(path):
            if name.startswith(("tui.cli", "tui.launch")) and not (module == "tui.cli" and name == "tui.launch"):
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_cli_imports_nothing_heavy() -> None:
    code = (
        "import sys, tui.cli, tui.launch, tui.commands.inventory; "
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('azure', 'msgraph', 'kiota_abstractions', 'textual')]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
