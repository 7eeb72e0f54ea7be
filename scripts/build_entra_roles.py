"""Rebuild tui/data/entra-roles.json: Entra ID's built-in directory role definitions, Graph v1.0 shape.

Usage: python scripts/build_entra_roles.py ROLES_JSON [COMMIT]

ROLES_JSON is the answer of ``GET https://graph.microsoft.com/{v1.0|beta}/roleManagement/directory/roleDefinitions``
(``az rest --method get --url ...`` in any tenant, or info/roles.graph.json of a checkout of
https://github.com/jlaundry/aadinfo, a weekly dump of that call). COMMIT names the source's commit in the file.

Kept: the built-in roles and the properties of Graph v1.0's unifiedRoleDefinition (id, description, displayName,
isBuiltIn, isEnabled, isPrivileged, resourceScopes, templateId, version, rolePermissions) and the ids of
inheritsPermissionsFrom; dropped: beta-only properties (richDescription, categories, assignmentMode, ...).
One role per line, sorted by displayName, each role's actions sorted, so that a refresh reads as a small diff.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tui" / "data" / "entra-roles.json"
FIELDS = (
    "id",
    "description",
    "displayName",
    "isBuiltIn",
    "isEnabled",
    "isPrivileged",
    "resourceScopes",
    "templateId",
    "version",
)


def v1_role(role: dict) -> dict:
    out = {field: role[field] for field in FIELDS if field in role}
    out["rolePermissions"] = [
        {"allowedResourceActions": sorted(p["allowedResourceActions"]), "condition": p.get("condition")}
        for p in role.get("rolePermissions") or []
    ]
    inherits = [{"id": parent["id"]} for parent in role.get("inheritsPermissionsFrom") or []]
    if inherits:
        out["inheritsPermissionsFrom"] = inherits
    return out


def main(source: Path, commit: str) -> None:
    document = json.loads(source.read_text("utf-8"))
    roles = sorted(
        (v1_role(role) for role in document["value"] if role.get("isBuiltIn")), key=lambda r: r["displayName"]
    )
    header = {
        "_source": "jlaundry/aadinfo info/roles.graph.json (Graph roleManagement/directory/roleDefinitions)",
        "_commit": commit,
        "_note": "built-in Entra roles, Graph v1.0 unifiedRoleDefinition properties; see tui/emulator/data/README.md",
    }
    lines = [json.dumps(role, ensure_ascii=False, separators=(",", ":")) for role in roles]
    head = json.dumps(header, ensure_ascii=False)[1:-1]
    OUT.write_text("{" + head + ',"value":[\n' + ",\n".join(lines) + "\n]}\n", "utf-8")
    print(f"{len(roles)} roles -> {OUT}")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) == 3 else "unknown")
