"""The wheel works on its own: build the sdist and, from it, the wheel; install the wheel alone (with the locked
dependencies, nothing from this source tree) into a fresh virtual environment; run `mitui --version` and an
inventory of the sandbox tenant from there. Once for this interpreter, and for each other supported Python this
machine has (3.11 and newer), side by side."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tui

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ((3, 11), (3, 12), (3, 13))


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True, text=True, timeout=30
        )
    except OSError:
        return None
    if out.returncode != 0:
        return None  # e.g. a pyenv shim for a version that is not selected
    major, minor = out.stdout.split()
    return int(major), int(minor)


def pythons() -> dict[tuple[int, int], str]:
    """The supported Pythons this machine has: this one, and pythonX.Y on PATH or under pyenv."""
    found = {sys.version_info[:2]: sys.executable}
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for major, minor in SUPPORTED:
        if (major, minor) in found:
            continue
        candidates = [shutil.which(f"python{major}.{minor}")]
        candidates += sorted(str(p) for p in pyenv.glob(f"{major}.{minor}.*/bin/python{major}.{minor}"))
        for candidate in filter(None, candidates):
            if _version_of(candidate) == (major, minor):
                found[(major, minor)] = candidate
                break
    return found


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)], check=True, capture_output=True, timeout=600
    )
    return out


def _install_and_run(python: str, wheel: Path, work: Path) -> dict[str, object]:
    venv = work / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    lock = ROOT / "requirements" / "run.txt"
    subprocess.run([*pip, "--require-hashes", "-r", str(lock)], check=True, capture_output=True, timeout=600)
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, capture_output=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(work), XDG_CONFIG_HOME=str(work / "config"), XDG_STATE_HOME=str(work / "state"))
    mitui = str(venv / "bin" / "mitui")
    run = {"cwd": work, "env": env, "capture_output": True, "text": True, "timeout": 300}
    version = subprocess.run([mitui, "--version"], **run)  # type: ignore[call-overload]
    inventory = subprocess.run([mitui, "--demo", "inventory", "--format", "json"], **run)  # type: ignore[call-overload]
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import tui; print(tui.__file__)"], **run)  # type: ignore[call-overload]
    return {"version": version, "inventory": inventory, "where": where.stdout.strip()}


def test_the_wheel_installs_alone_and_runs(dist: Path, tmp_path: Path) -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wheels = list(dist.glob("mitui-*.whl"))
    assert len(wheels) == 1 and list(dist.glob("mitui-*.tar.gz")), sorted(p.name for p in dist.iterdir())
    found = pythons()
    with ThreadPoolExecutor(max_workers=len(found)) as pool:
        futures = {
            v: pool.submit(_install_and_run, python, wheels[0], tmp_path / f"py{v[0]}{v[1]}")
            for v, python in found.items()
        }
        results = {v: f.result() for v, f in futures.items()}
    for (major, minor), result in results.items():
        label = f"Python {major}.{minor}"
        assert str(ROOT) not in str(result["where"]), f"{label}: mitui was imported from the source tree"
        version = result["version"]
        assert version.returncode == 0, f"{label}: {version.stderr}"  # type: ignore[union-attr]
        assert version.stdout.split() == ["mitui", project["version"]], version.stdout  # type: ignore[union-attr]
        inventory = result["inventory"]
        assert inventory.returncode == 0, f"{label}: {inventory.stderr[-2000:]}"  # type: ignore[union-attr]
        data = json.loads(inventory.stdout)  # type: ignore[union-attr]
        assert data["identities"] and all(i["principalId"] for i in data["identities"]), label
        # the data files came with the wheel: built-in roles named, Graph app roles classified
        assert any(a["roleName"] for i in data["identities"] for a in i["roleAssignments"]), label
    print(f"wheel checked on {', '.join(f'{a}.{b}' for a, b in results)}")


def test_version_is_the_package_version() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert tui.version() == project["version"]
