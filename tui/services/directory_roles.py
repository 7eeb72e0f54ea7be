"""Microsoft Entra directory roles: definitions from Graph's shape, and Entra's built-in ones shipped with mitui.

Graph's ``unifiedRoleDefinition`` (v1.0, resources/unifiedroledefinition.md) carries ``rolePermissions``, each with
``allowedResourceActions`` and an optional ``condition`` (``$ResourceIsSelf``, ``$SubjectIsOwner``): the actions
under a condition apply only to the holder itself or to what it owns, and so do not decide the privilege.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from tui.services.models import DirectoryRoleDefinition, Inventory


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def definition_from_graph(raw: dict[str, Any]) -> DirectoryRoleDefinition:
    """A directory role definition as Graph sends it (unclassified: tui.services.joins.classified_directory_role)."""
    allowed: list[str] = []
    conditional: list[str] = []
    for permission in raw.get("rolePermissions") or ():
        if not isinstance(permission, dict):
            continue
        into = conditional if permission.get("condition") else allowed
        into.extend(a for a in permission.get("allowedResourceActions") or () if isinstance(a, str))
    return DirectoryRoleDefinition(
        id=_text(raw.get("id")),
        display_name=_text(raw.get("displayName")),
        description=_text(raw.get("description")),
        is_built_in=raw.get("isBuiltIn") is not False,
        is_privileged=raw.get("isPrivileged") is True,
        allowed_actions=tuple(allowed),
        conditional_actions=tuple(conditional),
    )


@cache
def builtin_directory_roles() -> tuple[DirectoryRoleDefinition, ...]:
    """Entra's built-in directory roles, as shipped in tui/data/entra-roles.json (unclassified)."""
    text = resources.files("tui.data").joinpath("entra-roles.json").read_text("utf-8")
    return tuple(definition_from_graph(raw) for raw in json.loads(text)["value"] if isinstance(raw, dict))


def warm_builtin_verdicts() -> None:
    """Work out the privilege of Entra's built-in directory roles now (they are the same in every tenant; the
    verdicts are kept per set of actions): in the CPU worker while signing in, instead of in a first load, where
    it was ~0.1 s of CPU beside the pages that load decodes, at any size."""
    from tui.services.privilege import directory_role_verdict

    for role in builtin_directory_roles():
        directory_role_verdict(role)


def assignable_directory_roles(inventory: Inventory | None) -> list[DirectoryRoleDefinition]:
    """The directory roles one may grant, classified, by name: those the load read from Graph (custom roles too),
    else Entra's built-in ones (their ids are the same in every tenant)."""
    from tui.services.joins import classified_directory_role

    read = list(inventory.directory_role_definitions.values()) if inventory is not None else []
    roles = [classified_directory_role(r) for r in (read or builtin_directory_roles())]
    roles.sort(key=lambda r: (r.display_name.lower(), r.id))
    return roles
