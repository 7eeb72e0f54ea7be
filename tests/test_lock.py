"""The locks in requirements/ pin the whole dependency tree that pyproject.toml asks for, with hashes, and README's
two commands install from them. Refresh with ``bash scripts/lock.sh`` when pyproject.toml changes."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCKS = {"run.txt": (), "test.txt": ("test",), "dev.txt": ("test", "shots", "bench")}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==([^\s;\\]+)")


def parse_lock(text: str) -> dict[str, dict[str, object]]:
    """name -> {"version", "hashes", "via"} from a pip-compile lock (``--generate-hashes``, annotated)."""
    pins: dict[str, dict[str, object]] = {}
    current: dict[str, object] | None = None
    in_via = False
    for raw in text.splitlines():
        line = raw.strip()
        match = _PIN.match(raw)
        if match:
            current = {"version": match.group(2), "hashes": 0, "via": set()}
            pins[canonicalize_name(match.group(1))] = current
            in_via = False
            continue
        if current is None:
            continue
        if line.startswith("--hash=sha256:"):
            current["hashes"] = int(current["hashes"]) + 1  # type: ignore[call-overload]
        elif line.startswith("# via"):
            rest = line[len("# via") :].strip()
            in_via = not rest
            if rest:
                current["via"].add(rest)  # type: ignore[union-attr]
        elif in_via and line.startswith("#   "):
            current["via"].add(line[4:].strip())  # type: ignore[union-attr]
        else:
            in_via = False
    return pins


def wanted(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return reqs


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_lock_pins_what_pyproject_asks_for(lock: str) -> None:
    pins = parse_lock((ROOT / "requirements" / lock).read_text())
    assert pins, f"requirements/{lock} pins nothing"
    for req in wanted(LOCKS[lock]):
        if req.marker is not None and not req.marker.evaluate():
            continue
        pin = pins.get(canonicalize_name(req.name))
        assert pin is not None, f"{req.name} is in pyproject.toml but not in requirements/{lock}: bash scripts/lock.sh"
        assert req.specifier.contains(str(pin["version"]), prereleases=True), (
            f"requirements/{lock} pins {req.name}=={pin['version']}, outside pyproject.toml's {req.specifier}: "
            "bash scripts/lock.sh"
        )


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_lock_has_nothing_pyproject_dropped(lock: str) -> None:
    pins = parse_lock((ROOT / "requirements" / lock).read_text())
    direct = {canonicalize_name(r.name) for r in wanted(LOCKS[lock])}
    for name, pin in pins.items():
        assert int(pin["hashes"]) > 0, f"requirements/{lock}: {name} has no hash"  # type: ignore[call-overload]
        via = pin["via"]
        assert via, f"requirements/{lock}: {name} says nothing of why it is there"
        if via == {"mitui (pyproject.toml)"}:
            assert name in direct, f"requirements/{lock} still pins {name}, which pyproject.toml dropped"


def test_parse_lock_reads_pip_compile_output() -> None:
    text = (
        "aiohttp==3.14.5 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n    # via\n    #   a\n    #   mitui "
        '(pyproject.toml)\nsix==1.0 ; python_version < "4" \\\n    --hash=sha256:cc\n    # via mitui (pyproject.toml)\n'
    )
    pins = parse_lock(text)
    assert pins["aiohttp"] == {"version": "3.14.5", "hashes": 2, "via": {"a", "mitui (pyproject.toml)"}}
    assert pins["six"] == {"version": "1.0", "hashes": 1, "via": {"mitui (pyproject.toml)"}}


def _readme_command(marker: str) -> str:
    text = (ROOT / "README.md").read_text()
    block = text.split(f"<!-- {marker} -->", 1)[1]
    return block.split("```", 2)[1].strip()


def test_readme_commands_install_the_locked_versions() -> None:
    assert "--require-hashes -r requirements/run.txt" in _readme_command("demo-command")
    assert "--require-hashes -r requirements/test.txt" in _readme_command("test-command")
    for marker in ("demo-command", "test-command"):
        assert "--no-deps -e ." in _readme_command(marker), "the project itself goes in without re-resolving"


def test_constraints_are_the_run_lock_without_hashes() -> None:
    run = {name: pin["version"] for name, pin in parse_lock((ROOT / "requirements" / "run.txt").read_text()).items()}
    lines = (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
    pins = dict(line.split("==", 1) for line in lines if line and not line.startswith("#"))
    assert {canonicalize_name(k): v for k, v in pins.items()} == run, "bash scripts/lock.sh"
