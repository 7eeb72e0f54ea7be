"""The Graph shapes: a service principal's selected properties are those of its full shape, in its order; ARM's
resource key rule."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.emulator.graph.shapes import sp_json, sp_json_selected
from tui.emulator.tenant import arm_key
from tui.emulator.tenants.generated import build_generated_tenant


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
