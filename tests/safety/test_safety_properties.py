"""Property-based tests (hypothesis) that complete tests/services/test_pure.py: the filter language on hostile
identities and an inventory, its canonical text for any words, and app-role plans (grant / revoke) whose summary
and commands agree for arbitrary apps, roles and identities. (Role-assignment plans: test_safety_hostile.py.)"""

from __future__ import annotations

import json
import shlex
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st
from safety_helpers import ps_tokens

from tui.services.errors import InvalidInput
from tui.services.filtering import IdentityFilter, parse_filter
from tui.services.models import (
    AppRole,
    AppRoleAssignment,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    ResourceApp,
    RoleAssignment,
)
from tui.services.plans import PlanAction, app_role_grant_plan, app_role_revoke_plan

guids = st.uuids().map(str)
texts = st.text(max_size=60)
privileges = st.sampled_from(list(Privilege))
identities = st.builds(
    ManagedIdentity,
    principal_id=guids,
    client_id=guids,
    name=texts,
    kind=st.sampled_from(list(IdentityKind)),
    resource_id=texts,
    subscription_id=st.none() | guids,
    resource_group=st.none() | texts,
    resource_type=st.none() | texts,
)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=120), ident=identities, role_name=texts, priv=privileges, sub_name=texts)
def test_any_filter_on_any_identity_only_raises_invalid_input(
    text: str, ident: ManagedIdentity, role_name: str, priv: Privilege, sub_name: str
) -> None:
    from tui.services.models import Subscription

    inv = Inventory(
        tenant_id="t",
        cloud="c",
        caller=None,
        subscriptions=[Subscription(id=ident.subscription_id or str(uuid.uuid4()), display_name=sub_name)],
        identities=[ident],
        role_assignments={
            ident.principal_id.lower(): [
                RoleAssignment("/x", "/", "/r", ident.principal_id, role_name=role_name, privilege=priv)
            ]
        },
    )
    try:
        flt = parse_filter(text)
    except InvalidInput as err:
        assert err.title and "\n" not in err.one_line()
        return
    assert isinstance(flt.matches(ident, inv), bool)
    assert isinstance(flt.matches(ident, None), bool)
    again = parse_filter(flt.to_text())
    assert again == flt  # the canonical text of any parsed filter parses back to it


@settings(max_examples=150, deadline=None)
@given(words=st.lists(st.text(min_size=1, max_size=20), max_size=4))
def test_a_word_matches_an_identity_named_with_it(words: list[str]) -> None:
    words = [w for w in words if w.strip() == w and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in w)]
    flt = IdentityFilter(tuple(words), ())
    name = " ".join(words)
    ident = ManagedIdentity(str(uuid.uuid4()), str(uuid.uuid4()), name, IdentityKind.USER, "/subscriptions/x")
    try:
        parsed = parse_filter(flt.to_text())
    except InvalidInput:
        raise AssertionError(f"the canonical text of {flt!r} does not parse") from None
    assert parsed.matches(ident)  # free words match the name, whatever characters it has


@settings(max_examples=150, deadline=None)
@given(
    ident=identities,
    app_id=guids,
    app_sp=guids,
    app_name=texts,
    role_id=guids,
    value=texts,
    description=texts,
    priv=privileges,
    exists=st.booleans(),
    graph_url=st.sampled_from(["https://graph.microsoft.com", "https://graph.microsoft.us/", "https://127.0.0.1:9"]),
    assignment_id=st.text(st.characters(whitelist_categories=("Lu", "Ll", "Nd"), max_codepoint=127), min_size=1)
    | st.just("a'b c;$(x)"),
)
def test_app_role_plans_agree_with_their_commands(
    ident: ManagedIdentity,
    app_id: str,
    app_sp: str,
    app_name: str,
    role_id: str,
    value: str,
    description: str,
    priv: Privilege,
    exists: bool,
    graph_url: str,
    assignment_id: str,
) -> None:
    role = AppRole(role_id, value, description=description, privilege=priv)
    app = ResourceApp(app_sp, app_id, app_name, (role,))
    existing = AppRoleAssignment(assignment_id, ident.principal_id, app_sp, role_id) if exists else None
    grant = app_role_grant_plan(ident, app, role, existing, graph_url)
    rows = dict(grant.summary())
    assert grant.action is PlanAction.GRANT_APP_ROLE and rows["Action"] == "Grant app role"
    assert rows["Identity"] == ident.name and rows["App role"] == value and rows["Resource app"] == app_name
    assert rows["Privilege"] == priv.value and grant.nothing_to_do is exists
    assert grant.requires_typed_confirmation is (priv is Privilege.CRITICAL)
    args = shlex.split(grant.az_command)
    assert args[:4] == ["az", "rest", "--method", "POST"] and len(args) == 10
    assert args[args.index("--uri") + 1] == (
        f"{graph_url.rstrip('/')}/v1.0/servicePrincipals/{ident.principal_id}/appRoleAssignments"
    )
    body = json.loads(args[args.index("--body") + 1])
    assert body == {"principalId": ident.principal_id, "resourceId": app_sp, "appRoleId": role_id}
    tokens = ps_tokens(grant.powershell_command)
    assert tokens[0] == "New-MgServicePrincipalAppRoleAssignment" and len(tokens) == 9
    assert dict(zip(tokens[1::2], tokens[2::2], strict=True)) == {
        "-ServicePrincipalId": ident.principal_id,
        "-PrincipalId": ident.principal_id,
        "-ResourceId": app_sp,
        "-AppRoleId": role_id,
    }

    held = AppRoleAssignment(
        assignment_id, ident.principal_id, app_sp, role_id, resource_display_name=app_name, app_role_value=value
    )
    revoke = app_role_revoke_plan(ident, held, exists, graph_url)
    assert revoke.nothing_to_do is (not exists) and revoke.existing_id == assignment_id
    args = shlex.split(revoke.az_command)
    assert args[:4] == ["az", "rest", "--method", "DELETE"] and len(args) == 6
    assert args[-1].endswith(f"/appRoleAssignments/{assignment_id}")
    tokens = ps_tokens(revoke.powershell_command)
    assert tokens == [
        "Remove-MgServicePrincipalAppRoleAssignment",
        "-ServicePrincipalId",
        ident.principal_id,
        "-AppRoleAssignmentId",
        assignment_id,
    ]
    assert dict(revoke.summary())["App role"] == (value or role_id)
