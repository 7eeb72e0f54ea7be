"""The pure parts of the service layer: filter language, quoting of commands, OData, privilege, text."""

from __future__ import annotations

import json
import shlex

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.services.errors import InvalidInput
from tui.services.filtering import IdentityFilter, parse_filter
from tui.services.models import IdentityKind, ManagedIdentity, Privilege, RoleDefinition
from tui.services.odata import arm_id, guid, quote
from tui.services.plans import az_app_role_grant, az_role_assign, ps_quote, ps_role_assign, sh_quote
from tui.services.privilege import classify_app_role, classify_role
from tui.services.text import csv_cell, plain

GRAPH = "00000003-0000-0000-c000-000000000000"
PID = "11111111-2222-3333-4444-555555555555"


def _ident(**kw: object) -> ManagedIdentity:
    base = dict(
        principal_id=PID,
        client_id="aaaaaaaa-2222-3333-4444-555555555555",
        name="func-orders",
        kind=IdentityKind.SYSTEM,
        resource_id="/subscriptions/x/resourceGroups/rg-web/providers/Microsoft.Web/sites/func-orders",
        resource_group="rg-web",
        resource_type="Microsoft.Web/sites",
    )
    base.update(kw)
    return ManagedIdentity(**base)  # type: ignore[arg-type]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=200))
def test_filter_never_raises_anything_but_invalid_input(text: str) -> None:
    try:
        f = parse_filter(text)
    except InvalidInput as err:
        assert err.title
        return
    f.matches(_ident())


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(min_size=1, max_size=20).filter(lambda s: s.strip() == s and s), max_size=4),
    st.lists(
        st.one_of(
            st.tuples(st.just("kind"), st.sampled_from(["user", "system"])),
            st.tuples(st.just("priv"), st.sampled_from(["critical", "high", "normal"])),
            st.tuples(st.sampled_from(["rg", "sub", "type"]), st.text(min_size=1, max_size=20).filter(str.strip)),
        ),
        max_size=3,
    ),
)
def test_filter_round_trips(words: list[str], quals: list[tuple[str, str]]) -> None:
    words = [w for w in words if not any(ord(c) < 0x20 or ord(c) == 0x7F for c in w)]
    quals = [(k, v) for k, v in quals if not any(ord(c) < 0x20 or ord(c) == 0x7F for c in v)]
    f = IdentityFilter(tuple(words), tuple(quals))
    assert parse_filter(f.to_text()) == f


def test_filter_matches() -> None:
    ident = _ident()
    assert parse_filter("orders kind:system").matches(ident)
    assert parse_filter('rg:"rg-web"').matches(ident)
    assert not parse_filter("kind:user").matches(ident)
    assert parse_filter("type:sites").matches(ident)
    for bad in ('"open', "bogus:x", "kind:", "kind:both", "priv:extreme", 'a"b'):
        with pytest.raises(InvalidInput):
            parse_filter(bad)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_shell_quoting_cannot_be_broken_out_of(value: str) -> None:
    value = value.replace("\x00", "")
    assert shlex.split("cmd " + sh_quote(value)) == ["cmd", value]
    quoted = ps_quote(value)
    inner = quoted[1:-1]
    # every single-quote character inside is doubled: the string never ends early
    i = 0
    while i < len(inner):
        if inner[i] in "'\u2018\u2019\u201a\u201b":
            assert inner[i + 1] == inner[i]
            i += 2
        else:
            i += 1


def test_commands_are_filled_in_and_quoted() -> None:
    scope = "/subscriptions/0c00c5f2-91b2-5d5e-b7ee-28a0a0156f13/resourceGroups/rg-o'brien $(x)"
    rd = "/subscriptions/0c00/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
    az = az_role_assign(PID, rd, scope)
    assert shlex.split(az)[-1] == scope
    assert "--assignee-principal-type ServicePrincipal" in az and "acdd72a7-3385-48ef-bd42-f606fba81ae7" in az
    assert "-Scope '/subscriptions/0c00c5f2-91b2-5d5e-b7ee-28a0a0156f13/resourceGroups/rg-o''brien $(x)'" in (
        ps_role_assign(PID, rd, scope)
    )
    cmd = az_app_role_grant("https://graph.microsoft.us", PID, PID, PID)
    args = shlex.split(cmd)
    assert (
        args[args.index("--uri") + 1] == f"https://graph.microsoft.us/v1.0/servicePrincipals/{PID}/appRoleAssignments"
    )
    assert json.loads(args[args.index("--body") + 1]) == {"principalId": PID, "resourceId": PID, "appRoleId": PID}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_odata_quote_cannot_be_broken_out_of(value: str) -> None:
    try:
        q = quote(value)
    except InvalidInput:
        assert any(ord(c) < 0x20 or ord(c) == 0x7F for c in value)
        return
    inner = q[1:-1]
    assert q[0] == q[-1] == "'" and inner.replace("''", "").count("'") == 0
    assert inner.replace("''", "'") == value


def test_ids_are_validated() -> None:
    assert guid(PID.upper()) == PID
    for bad in ("", "x", PID + "' or 1 eq 1", "../" + PID):
        with pytest.raises(InvalidInput):
            guid(bad)
    assert arm_id("/subscriptions/" + PID + "/resourceGroups/rg/") == "/subscriptions/" + PID + "/resourceGroups/rg"
    for bad in ("subscriptions/x", "/subscriptions/nope", f"/subscriptions/{PID}/../x", f"/subscriptions/{PID}?a=b"):
        with pytest.raises(InvalidInput):
            arm_id(bad)


def _rd(actions: list[str], not_actions: list[str] = (), data: list[str] = ()) -> RoleDefinition:  # type: ignore[assignment]
    return RoleDefinition(
        "id", "n", "r", actions=tuple(actions), not_actions=tuple(not_actions), data_actions=tuple(data)
    )


def test_azure_roles_are_classified_from_their_actions() -> None:
    assert classify_role(_rd(["*"])) is Privilege.CRITICAL  # Owner
    contributor = _rd(
        ["*"],
        [
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
        ],
    )
    assert classify_role(contributor) is Privilege.CRITICAL  # its "*" runs code as the VMs' identities
    assert classify_role(_rd(["*/read"])) is Privilege.NORMAL
    assert classify_role(_rd(["*/read", "Microsoft.Authorization/*"])) is Privilege.CRITICAL  # UAA
    assert classify_role(_rd(["Microsoft.Authorization/roleAssignments/write"])) is Privilege.CRITICAL
    mio = _rd(
        [
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
            "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
        ]
    )
    assert classify_role(mio) is Privilege.CRITICAL
    assert classify_role(_rd([], data=["Microsoft.KeyVault/vaults/secrets/getSecret/action"])) is Privilege.HIGH
    assert classify_role(_rd(["Microsoft.Storage/storageAccounts/listKeys/action"])) is Privilege.HIGH


def test_app_roles_are_classified() -> None:
    for v in ("RoleManagement.ReadWrite.Directory", "AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All"):
        assert classify_app_role(GRAPH, v) is Privilege.CRITICAL
    assert classify_app_role(GRAPH, "Policy.ReadWrite.ConditionalAccess") is Privilege.CRITICAL  # who signs in
    assert classify_app_role(GRAPH, "User.Read.All") is Privilege.NORMAL
    # the same value on another resource app is not Microsoft Graph's
    assert classify_app_role("11111111-0000-0000-0000-000000000000", "RoleManagement.ReadWrite.Directory") is (
        Privilege.NORMAL
    )


def test_hostile_text_is_shown_literally() -> None:
    hostile = "\x1b]52;c;aGk=\x07\x1b[31mred\u202egnp.exe\u200b[bold]"
    out = plain(hostile)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\u200b" not in out
    assert "\\x1b" in out and "[bold]" in out
    assert csv_cell("=HYPERLINK(1)").startswith("'=")
