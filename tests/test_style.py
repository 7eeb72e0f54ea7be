"""The house stays clean: ruff's lint and format checks pass on the whole tree (config in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _ruff() -> list[str]:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    assert exe, "ruff is a test dependency: pip install -e '.[test]'"
    return [exe]


def test_ruff_lint_is_clean() -> None:
    result = subprocess.run(
        [*_ruff(), "check", "tui", "tests", "scripts", "benchmarks"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [*_ruff(), "format", "--check", "tui", "tests", "scripts", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_worker_names_itself() -> None:
    """Textual's ``@work`` without ``description=`` writes the repr of every argument into the worker's description:
    for ``read_usage(inventory)`` at 10,000 identities that was a 108 MB string, built on the event loop after each
    load (a memory peak of +200 MB and a stall). Every ``@work`` in tui/ names itself instead."""
    import ast

    missing = []
    for path in sorted((ROOT / "tui").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for deco in node.decorator_list:
                name = deco.func if isinstance(deco, ast.Call) else deco
                named = isinstance(deco, ast.Call) and any(k.arg == "description" for k in deco.keywords)
                if isinstance(name, ast.Name) and name.id == "work" and not named:
                    missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not missing, missing
