"""The listings' JSON text, written directly for speed, is byte for byte what encoding the dict shapes gives: for any
field values (non-ASCII, quotes, control characters, empty and missing optional fields, a fixture's None), and for
every item of a generated tenant."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.emulator.arm.shapes import resource_json, resource_text, role_assignment_json, role_assignment_text
from tui.emulator.graph.shapes import assignment_json, assignment_text, sp_json, sp_json_selected
from tui.emulator.tenant import AppRoleAssignment, Resource, RoleAssignment, Tenant, arm_key
from tui.emulator.tenants.generated import build_generated_tenant
from tui.emulator.wire import dumps

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
maybe_text = st.none() | text
guid = st.uuids().map(str)


@given(
    name=guid,
    scope=text,
    role_definition_id=text,
    principal_id=text,
    principal_type=maybe_text,
    description=maybe_text,
    condition=maybe_text,
    condition_version=maybe_text,
    created_on=maybe_text,
    updated_on=maybe_text,
    created_by=maybe_text,
    updated_by=maybe_text,
)
@settings(max_examples=300, deadline=None)
def test_role_assignment_text_is_the_encoded_dict(**fields: str | None) -> None:
    ra = RoleAssignment(**fields)  # type: ignore[arg-type]
    assert role_assignment_text(ra) == dumps(role_assignment_json(ra))


@given(
    rid=text,
    name=text,
    type_=text,
    location=maybe_text,
    tags=st.dictionaries(text, maybe_text | st.integers(), max_size=3),
    kind=maybe_text,
    sku=st.none() | st.dictionaries(text, text | st.integers() | st.booleans(), max_size=2),
    system=maybe_text,
    uami_principal=maybe_text,
    user_ids=st.lists(st.sampled_from(["/uami/one", "/UAMI/ONE", "/uami/two", "/missing"]), max_size=3),
    expand=st.frozensets(st.sampled_from(["createdtime", "changedtime", "provisioningstate", "other"])),
)
@settings(max_examples=300, deadline=None)
def test_resource_text_is_the_encoded_dict(
    rid: str,
    name: str,
    type_: str,
    location: str | None,
    tags: dict,
    kind: str | None,
    sku: dict | None,
    system: str | None,
    uami_principal: str | None,
    user_ids: list[str],
    expand: frozenset[str],
) -> None:
    tenant = Tenant("tid-ü\"'", "admin")
    for uid in ("/uami/one", "/uami/two"):
        tenant.resources[uid] = Resource(
            id=uid,
            name=uid,
            type="Microsoft.ManagedIdentity/userAssignedIdentities",
            location="westeurope",
            subscription_id="s",
            resource_group="g",
            principal_id=uami_principal,
            client_id=None if uid.endswith("two") else "client",
        )
    res = Resource(
        id=rid,
        name=name,
        type=type_,
        location=location,  # type: ignore[arg-type]
        subscription_id="s",
        resource_group="g",
        tags=tags,
        kind=kind,
        sku=sku,
        system_principal_id=system,
        user_assigned_identity_ids=user_ids,
    )
    assert resource_text(res, tenant, expand) == dumps(resource_json(res, tenant, expand))


def test_every_item_of_a_generated_tenant() -> None:
    tenant = build_generated_tenant(3, 300, seed=5)
    for ra in tenant.role_assignments.values():
        assert role_assignment_text(ra) == dumps(role_assignment_json(ra))
    for res in tenant.resources.values():
        assert resource_text(res, tenant) == dumps(resource_json(res, tenant))
        assert resource_text(res, tenant, frozenset({"createdtime"})) == dumps(
            resource_json(res, tenant, frozenset({"createdtime"}))
        )


def test_grant_text_is_the_encoded_dict() -> None:
    tenant = build_generated_tenant(2, 200, seed=2)
    grants = list(tenant.app_role_assignments.values())
    assert grants
    for grant in grants:
        assert assignment_text(grant, tenant) == dumps(assignment_json(grant, tenant))
    grant = grants[0]
    grant.created_date_time = ""  # written as null
    tenant.service_principals[grant.resource_id].display_name = 'Graph "ü"'
    orphan = AppRoleAssignment(id="x" * 43, principal_id="gone", resource_id="gone", app_role_id="r")
    admin = tenant.principal(tenant.admin_user_id)
    assert admin is not None
    to_user = AppRoleAssignment(id="y" * 43, principal_id=admin.id, resource_id=grant.resource_id, app_role_id="r")
    for g in (grant, orphan, to_user):
        assert assignment_text(g, tenant) == dumps(assignment_json(g, tenant))


def test_selected_service_principal_properties_are_those_of_the_full_shape() -> None:
    tenant = build_generated_tenant(2, 50, seed=1)
    every = list(sp_json(next(iter(tenant.service_principals.values())), tenant))
    selects = [None, ["id"], ["appRoles", "id", "displayName"], ["displayName", "displayName", "nope"], every[::-1]]
    for sp in tenant.service_principals.values():
        full = sp_json(sp, tenant)
        for select in selects:
            want = full if select is None else {k: full[k] for k in select if k in full}
            got = sp_json_selected(sp, tenant, select)
            assert list(got.items()) == list(want.items())


@given(st.text(alphabet="/aB.-İ", max_size=14))
@settings(max_examples=500, deadline=None)
def test_arm_key_fast_path_is_the_general_rule(resource_id: str) -> None:
    assert arm_key(resource_id) == "/" + "/".join(p for p in resource_id.lower().split("/") if p)
