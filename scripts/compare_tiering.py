"""Compare mitui's privilege levels with emiliensocchi/azure-tiering's tiers.

Usage: python scripts/compare_tiering.py PATH_TO_AZURE_TIERING_CHECKOUT [--details]

PATH is a checkout (a work tree, or a bare git directory whose HEAD is read with ``git show``) of
https://github.com/emiliensocchi/azure-tiering (GPL-3.0). Its files are read at run time only; mitui ships
none of its data. Prints the built-in Azure and Entra roles per level, then per tier how many of
azure-tiering's Azure roles, Microsoft Graph application permissions and Entra roles mitui puts at each level, and
with --details the ones that disagree (tier 0 not critical, tier 3 not normal, ...), with mitui's reason.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tui.services.directory_roles import builtin_directory_roles
from tui.services.privilege import (
    MICROSOFT_GRAPH_APP_ID,
    Verdict,
    app_role_verdict,
    directory_role_verdict,
    role_permissions_verdict,
)

ROLES_FILE = Path(__file__).resolve().parent.parent / "tui" / "emulator" / "data" / "azure-builtin-roles.json.gz"
AZURE_FILE = "Azure roles/tiered-azure-roles.json"
GRAPH_FILE = "Microsoft Graph application permissions/tiered-msgraph-app-permissions.json"
ENTRA_FILE = "Entra roles/tiered-entra-roles.json"
# The level each tier should get: tier 0 is a path to more rights, tier 1 lateral movement, tier 3 harmless.
EXPECTED = {
    "azure": {"0": "critical", "1": "high", "2": "high or normal", "3": "normal"},
    "graph": {"0": "critical", "1": "high", "2": "normal"},
    "entra": {"0": "critical", "1": "high", "2": "normal"},
}
LEVELS = ("critical", "high", "normal")


def read_theirs(checkout: Path, path: str) -> list[dict[str, str]]:
    work_tree_file = checkout / path
    if work_tree_file.is_file():
        return json.loads(work_tree_file.read_text("utf-8"))
    text = subprocess.run(
        ["git", f"--git-dir={checkout}", "show", f"HEAD:{path}"], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(text)


def builtin_roles() -> dict[str, Verdict]:
    verdicts: dict[str, Verdict] = {}
    for role in json.loads(gzip.decompress(ROLES_FILE.read_bytes())):
        lists: dict[str, list[str]] = {"actions": [], "notActions": [], "dataActions": [], "notDataActions": []}
        for permission in role["permissions"]:
            for key, values in lists.items():
                values.extend(permission.get(key) or [])
        verdicts[role["roleName"]] = role_permissions_verdict(
            lists["actions"], lists["notActions"], lists["dataActions"], lists["notDataActions"]
        )
    return verdicts


def agreement(kind: str, tiered: list[dict[str, str]], verdict_of: dict[str, Verdict], details: bool) -> None:
    print(f"\n{kind}: tier -> mitui level (expected)")
    missing: list[str] = []
    for tier in sorted({entry["tier"] for entry in tiered}):
        counts: Counter[str] = Counter()
        off: list[str] = []
        expected = EXPECTED[kind][tier]
        for entry in tiered:
            if entry["tier"] != tier:
                continue
            verdict = verdict_of.get(entry["assetName"])
            if verdict is None:
                missing.append(entry["assetName"])
                continue
            counts[verdict.level.value] += 1
            if verdict.level.value not in expected.split(" or "):
                off.append(f"    {entry['assetName']}: {verdict.level.value}: {verdict.reason}")
        total = sum(counts.values())
        agree = sum(counts[level] for level in expected.split(" or "))
        spread = ", ".join(f"{counts[level]} {level}" for level in LEVELS)
        print(f"  tier {tier}: {agree}/{total} {expected}  ({spread})")
        if details:
            print("\n".join(off))
    if missing:
        print(f"  not in mitui's built-in data: {', '.join(sorted(missing))}")


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    checkout = Path(argv[1])
    details = "--details" in argv
    roles = builtin_roles()
    per_level = Counter(v.level.value for v in roles.values())
    print(f"built-in Azure roles ({len(roles)}): " + ", ".join(f"{per_level[level]} {level}" for level in LEVELS))
    agreement("azure", read_theirs(checkout, AZURE_FILE), roles, details)
    graph = read_theirs(checkout, GRAPH_FILE)
    graph_verdicts = {e["assetName"]: app_role_verdict(MICROSOFT_GRAPH_APP_ID, e["assetName"]) for e in graph}
    agreement("graph", graph, graph_verdicts, details)
    entra = {d.display_name: directory_role_verdict(d) for d in builtin_directory_roles()}
    per_level = Counter(v.level.value for v in entra.values())
    print(f"\nbuilt-in Entra roles ({len(entra)}): " + ", ".join(f"{per_level[level]} {level}" for level in LEVELS))
    agreement("entra", read_theirs(checkout, ENTRA_FILE), entra, details)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
