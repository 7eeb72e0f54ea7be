"""The directory phases of one inventory load (a mixin of :class:`tui.services.inventory.InventoryLoader`): who
created the assignments, the groups that hold rights and their members, and the directory roles (Entra) of each
identity, own and through its groups."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

from tui.services.backend import Backend, DirectoryObject, DirectoryRoleListing
from tui.services.directory_roles import builtin_directory_roles
from tui.services.joins import classified_directory_role, directory_roles_by_identity
from tui.services.models import DirectoryRoleAssignment, DirectoryRoleDefinition, Group, ManagedIdentity, RoleAssignment
from tui.services.odata import is_guid
from tui.services.offload import off_loop, off_loop_each
from tui.services.scopes import lowered

T = TypeVar("T")


class DirectoryPhases:
    """Needs from the loader: its backend, the assignments and groups read so far, the tenant-wide tasks it started,
    and its means (report, attempt)."""

    backend: Backend
    raw_assignments: dict[str, RoleAssignment]
    assigned_groups: set[str]
    directory_roles_task: asyncio.Future[DirectoryRoleListing | None]
    directory_definitions_task: asyncio.Future[dict[str, DirectoryRoleDefinition]]
    members_task: asyncio.Future[dict[str, list[str]] | None] | None
    creators: set[str]  # who created the assignments taken (createdBy, as sent)

    if TYPE_CHECKING:

        def report(self, step: str, done: int, total: int, detail: str = "") -> None: ...

        async def attempt(self, what: str, make: Callable[[], Awaitable[T]], default: T) -> T: ...

    def creators_to_name(self, identities: list[ManagedIdentity], candidates: set[str]) -> set[str]:
        """The object ids (lower) of who created the assignments shown: those of the identities, of the groups that
        hold Azure roles and of the orphan ``candidates``."""
        shown = {lowered(i.principal_id) for i in identities} | candidates | self.assigned_groups
        found: set[str] = set()
        every = len(self.creators)  # (every creator of the assignments taken)
        for ra in self.raw_assignments.values():
            # (a tenant has tens of thousands of assignments and a handful of creators: each creator is looked at
            # until one of its assignments is shown, then only tested for membership; once each creator is found,
            # the other assignments are not looked at)
            creator = ra.created_by
            if creator and creator not in found and lowered(ra.principal_id) in shown:
                found.add(creator)
                if len(found) == every:
                    break
        return {c.lower() for c in found if is_guid(c)}

    def ask_directory_objects(self, ids: set[str]) -> asyncio.Future[dict[str, DirectoryObject] | None] | None:
        """Start asking what these object ids are (getByIds: orphans, creators, groups); None when there are none."""
        if not ids:
            return None
        self.report("directory objects", 0, 1)
        return asyncio.ensure_future(
            self.attempt(
                "Directory objects: orphans, creators and group names (getByIds)",
                lambda: self.backend.get_directory_objects(sorted(ids)),
                None,
            )
        )

    def ask_directory_objects_after(
        self, ids: set[str], early: tuple[set[str], asyncio.Future[dict[str, DirectoryObject] | None]] | None
    ) -> asyncio.Future[dict[str, DirectoryObject] | None] | None:
        """:meth:`ask_directory_objects` for ``ids``, given what was asked ``early`` (the ids, the answer): only
        the ids it did not cover are asked now (usually none), and the answers are merged."""
        if early is None:
            return self.ask_directory_objects(ids)
        asked, answer = early
        rest = self.ask_directory_objects(ids - asked)
        if rest is None:
            return answer

        async def both() -> dict[str, DirectoryObject] | None:
            first, second = await asyncio.gather(answer, rest)
            return None if first is None or second is None else {**first, **second}

        return asyncio.ensure_future(both())

    def name_creators(self, objects: dict[str, DirectoryObject] | None) -> None:
        """Each (loader-owned, unresolved) assignment's creator named where Graph knows it."""
        if not objects:
            return
        names: dict[str, str | None] = {}  # creator, as written -> its name (a handful of creators, many assignments)
        for ra in self.raw_assignments.values():
            creator = ra.created_by
            if creator:
                if creator in names:
                    name = names[creator]
                else:
                    found = objects.get(creator.lower())
                    name = names[creator] = found.display_name if found is not None and found.display_name else None
                if name:
                    ra.created_by_name = name

    async def read_group_members(self) -> dict[str, list[str]] | None:
        """The transitive service-principal members of every group that holds an Azure role or a directory role
        (one round of ``$batch``); None when they could not be read."""
        listing = await self.directory_roles_task
        group_ids = set(self.assigned_groups) | {g.id.lower() for g in (listing.groups if listing else ())}
        if not group_ids:
            return {}
        self.report("group members", 0, 1)
        members = await self.attempt(
            "Group members from Microsoft Graph (transitiveMembers)",
            lambda: self.backend.list_group_service_principal_members(sorted(group_ids)),
            None,
        )
        self.report("group members", 1, 1, f"{len(group_ids)} groups")
        return members

    async def read_groups(
        self, identities: list[ManagedIdentity], objects: dict[str, DirectoryObject] | None
    ) -> tuple[dict[str, Group], dict[str, tuple[str, ...]]]:
        """(the groups the identities are members of, by id (lower); each identity's groups, transitive)."""
        members = await self.members_task if self.members_task is not None else None
        listing = await self.directory_roles_task
        if not members:
            return {}, {}
        return await off_loop(_groups_of, identities, members, listing, objects)

    async def read_directory_role_definitions(self) -> dict[str, DirectoryRoleDefinition]:
        """Entra's role definitions by id (lower), classified as soon as they arrive (the first classification costs
        ~0.1 s of CPU: off the critical path); Entra's built-in roles as shipped when they cannot be read, so that
        the roles' names and privileges stay known."""
        raw = await self.attempt(
            "Directory role definitions from Microsoft Graph", self.backend.list_directory_role_definitions, None
        )

        found = raw if raw is not None else await off_loop(builtin_directory_roles)
        return {d.id.lower(): d for d in await off_loop_each(classified_directory_role, list(found))}

    async def read_directory_roles(
        self, identities: list[ManagedIdentity], groups: dict[str, Group], memberships: dict[str, tuple[str, ...]]
    ) -> tuple[dict[str, list[DirectoryRoleAssignment]], dict[str, DirectoryRoleDefinition]]:
        """(each identity's directory roles, own and through its groups; the role definitions, classified)."""
        listing = await self.directory_roles_task
        definitions = await self.directory_definitions_task
        if listing is None:
            return {}, definitions
        self.report("directory roles", 0, 1)
        roles = await off_loop(
            directory_roles_by_identity, listing.assignments, definitions, identities, groups, memberships
        )
        self.report("directory roles", 1, 1, f"{sum(len(v) for v in roles.values())} directory roles")
        return roles, definitions


def _groups_of(
    identities: list[ManagedIdentity],
    members: dict[str, list[str]],
    listing: DirectoryRoleListing | None,
    objects: dict[str, DirectoryObject] | None,
) -> tuple[dict[str, Group], dict[str, tuple[str, ...]]]:
    """(In the CPU worker) the groups the identities are members of, and each identity's groups."""
    principals = {i.principal_id.lower() for i in identities}
    memberships: dict[str, list[str]] = {}
    for gid in sorted(members):
        for pid in members[gid]:
            if pid in principals:
                memberships.setdefault(pid, []).append(gid)
    named: dict[str, Group] = {g.id.lower(): g for g in (listing.groups if listing else ())}
    for gid, obj in (objects or {}).items():
        if obj.kind == "group":
            named.setdefault(gid, obj.as_group())
    held = {gid for gids in memberships.values() for gid in gids}
    groups = {gid: named.get(gid) or Group(gid) for gid in sorted(held)}
    return groups, {pid: tuple(gids) for pid, gids in memberships.items()}
