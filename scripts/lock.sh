#!/usr/bin/env bash
# Refresh the locks in requirements/ from pyproject.toml: the whole dependency tree, pinned, with hashes.
#
#     bash scripts/lock.sh            # keep the pins that still fit pyproject.toml, add what is new
#     bash scripts/lock.sh --upgrade  # move every pin to the newest version pyproject.toml allows
#
# pip-tools runs in a throwaway virtual environment, so it never enters the project's own.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install -q "pip-tools>=7.4,<8"
compile() {  # compile OUTPUT [EXTRA ...]
    local out=$1
    shift
    local extras=()
    for e in "$@"; do extras+=(--extra "$e"); done
    "$tools/bin/pip-compile" -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
        --no-emit-find-links "${extras[@]}" "${LOCK_FLAGS[@]}" -o "$out" pyproject.toml
}
LOCK_FLAGS=("$@")
compile requirements/run.txt
compile requirements/test.txt test
compile requirements/dev.txt test shots bench
# the same pins without hashes, for tools that take a constraints file (pipx --pip-args, uv tool --constraints)
{
    echo "# The pins of requirements/run.txt without their hashes (written by scripts/lock.sh), for"
    echo "#   pipx install --pip-args='-c requirements/constraints.txt' .   or"
    echo "#   uv tool install --constraints requirements/constraints.txt ."
    grep -E '^[A-Za-z0-9][A-Za-z0-9_.-]*==' requirements/run.txt | sed -E 's/ *\\$//'
} > requirements/constraints.txt
echo "locks written: requirements/run.txt requirements/test.txt requirements/dev.txt requirements/constraints.txt"
