"""Query injection: text a user types that reaches an OData ``$filter`` or a URL is escaped (single quotes doubled)
or validated (ids as GUIDs, ARM ids segment by segment). Attempts to break out return only what a literal search
returns, and the sandbox tenant's log of requests shows the escaped filter, as sent."""

from __future__ import annotations

from dataclasses import replace

import pytest
from safety_helpers import stats

from tui.emulator.server import Emulator
from tui.services.errors import InvalidInput
from tui.services.models import IdentityKind, ManagedIdentity

pytestmark = pytest.mark.asyncio(loop_scope="session")

BREAKOUTS = [
    "x' or 1 eq 1 or displayName eq 'y",
    "Microsoft Graph' or startswith(displayName,'",
    "'",
    "''",
    "Microsoft') or (1 eq 1",
    "%27 or 1 eq 1",
    "Microsoft Graph&$top=1",
    "x#frag",
    "\\' or true or '",
]


def _seen(emu: Emulator, needle: str) -> list[str]:
    return [path for _, path in emu.stats.recent if needle in path]


async def test_search_cannot_break_out_of_its_filter(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    everything = {a.id for a in await session.search_resource_apps("")}
    graph = await session.search_resource_apps("Microsoft Graph")
    assert [a.display_name for a in graph] == ["Microsoft Graph"]
    for text in BREAKOUTS:
        emu.stats.reset()
        found = await session.search_resource_apps(text)
        literal = [a for a in await session.search_resource_apps("") if a.display_name.startswith(text.strip())]
        assert {a.id for a in found} == {a.id for a in literal}, text  # only what a literal search gives
        assert {a.id for a in found} != everything
        escaped = "startswith(displayName," + "'" + text.strip().replace("'", "''") + "'" + ")"
        assert _seen(emu, escaped), (text, list(emu.stats.recent))


async def test_filters_built_from_ids_only_take_guids(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    backend = session.backend
    inv = await session.load_inventory()
    sub = inv.subscriptions[0].scope
    ident = inv.identities[0]
    before = stats(emu)["total"]
    injected_guid = ident.principal_id + "' or principalId ne '"
    for call in (
        lambda: backend.list_role_assignments_for_principal(sub, injected_guid),
        lambda: backend.list_app_role_assignments([injected_guid]),
        lambda: backend.list_app_role_assigned_to([ident.principal_id + "/appRoleAssignments"]),
        lambda: backend.existing_object_ids([injected_guid]),
        lambda: backend.get_resource_app("00000003-0000-0000-c000-000000000000') or (1 eq 1"),
        lambda: backend.delete_app_role_assignment(ident.principal_id, "abc/../../users"),
        lambda: backend.get_role_assignment(sub + "/providers/x/../../y"),
        lambda: backend.list_federated_credentials(ident.resource_id + "?api-version=1"),
        lambda: backend.child_scopes(sub + "/resourceGroups/rg#x"),
        lambda: session.resource_app("../../users"),
        lambda: session.federated_credentials(
            replace(ident, kind=IdentityKind.USER, resource_id=sub + "/resourceGroups/%2e%2e")
        ),
        lambda: session.plan_role_assignment(
            ManagedIdentity(injected_guid, "c", "n", IdentityKind.USER, sub), inv.identities[0], sub
        ),
    ):
        with pytest.raises(InvalidInput):
            await call()
    assert stats(emu)["total"] == before  # refused before anything was sent


async def test_a_quoted_filter_value_stays_one_literal(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session = await session_for(emu)
    sub = (await session.load_inventory()).subscriptions[0].scope
    emu.stats.reset()
    # role type comes from the program, but goes through the same quoting: a break-out matches nothing
    found = await session.backend.list_role_definitions(sub, "BuiltInRole' or type eq 'CustomRole")
    assert found == []
    assert _seen(emu, "type eq 'BuiltInRole'' or type eq ''CustomRole'"), list(emu.stats.recent)
    assert len(await session.backend.list_role_definitions(sub, "BuiltInRole")) > 100
