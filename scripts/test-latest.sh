#!/usr/bin/env bash
# The tests against the NEWEST versions pyproject.toml allows, not the locked ones: run it before
# `bash scripts/lock.sh --upgrade`, or on a schedule, to see upstream breakage before a refresh brings it in.
# Not part of CI's blocking run (that one installs the locks); it uses its own throwaway environment.
#
#     bash scripts/test-latest.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade -e '.[test]'
echo "newer than the lock:"
"$venv/bin/python" - <<'PY'
import re
from importlib.metadata import distributions
from pathlib import Path

pins = dict(re.findall(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==(\S+)", Path("requirements/test.txt").read_text(), re.M))
pins = {k.lower().replace("_", "-"): v for k, v in pins.items()}
for d in sorted(distributions(), key=lambda d: d.metadata["Name"].lower()):
    name = d.metadata["Name"].lower().replace("_", "-")
    if name in pins and pins[name] != d.version:
        print(f"  {name} {pins[name]} -> {d.version}")
PY
"$venv/bin/python" -m pytest -q "$@"
