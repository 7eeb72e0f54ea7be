"""The shapes: a role assignment's text and dict, both driven by one property table, agree for any field values; a
service principal's selected properties are those of its full shape, in its order; ARM's resource key rule."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.emulator.arm.shapes import role_assignment_json, role_assignment_text
from tui.emulator.graph.shapes import sp_json, sp_json_selected
from tui.emulator.tenant import RoleAssignment, arm_key
from tui.emulator.tenants.generated import build_generated_tenant
from tui.emulator.wire import dumps

text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
maybe_text = st.none() | text


@given(
    name=st.uuids().map(str),
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
