"""Tenants from JSON fixture files (``mitui emulator --tenant FILE``): names resolve, errors name the JSON path,
and the hostile fixture's strings reach clients byte for byte (and never break the server)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from graph_support import raw_client, validate_graph

from tui.emulator.tenant import Tenant, arm_key
from tui.emulator.tenants.fixture import build_tenant_from_dict, load_tenant_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SMALL = FIXTURES / "small-tenant.json"
HOSTILE = FIXTURES / "hostile-tenant.json"


def _small() -> dict[str, Any]:
    return json.loads(SMALL.read_text(encoding="utf-8"))


def test_small_fixture_builds_what_it_says() -> None:
    data = _small()
    tenant = load_tenant_file(SMALL)
    assert tenant.default_domain == data["tenant"]["domain"]
    assert {s.display_name for s in tenant.subscriptions.values()} == {s["displayName"] for s in data["subscriptions"]}
    admin = tenant.users[tenant.admin_user_id]
    assert admin.display_name == "Nora Admin" and admin.directory_roles == ["Privileged Role Administrator"]
    names = {r.name for r in tenant.resources.values()}
    assert {"aa-ops", "aa-ops/Rotate-Keys", "func-orders", "id-deploy", "id-spare"} <= names
    assert "func-retired" not in names, "deletedResources are deleted"
    func = next(r for r in tenant.resources.values() if r.name == "func-orders")
    deploy = next(r for r in tenant.resources.values() if r.name == "id-deploy")
    assert [arm_key(i) for i in func.user_assigned_identity_ids] == [arm_key(deploy.id)]
    assert len(tenant.role_assignments) == len(data["roleAssignments"])
    orphans = [ra for ra in tenant.role_assignments.values() if tenant.directory_object(ra.principal_id) is None]
    assert len(orphans) == 1
    assert len(tenant.app_role_assignments) == len(data["appRoleGrants"])
    assert [f.subject for f in tenant.federated_credentials.values()] == ["repo:northwind/app:ref:refs/heads/main"]
    assert _ids(load_tenant_file(SMALL)) == _ids(tenant), "a fixture always loads the same"


def _ids(t: Tenant) -> tuple:
    return (t.tenant_id, sorted(t.service_principals), sorted(t.role_assignments), sorted(t.app_role_assignments))


def _broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(_small())
    change(data)
    return data


def _rg(d: dict) -> dict:
    return d["subscriptions"][0]["resourceGroups"][0]


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda d: d.pop("subscriptions"), "$.subscriptions", "required"),
        (lambda d: d.update(colour="blue"), "$.colour", "unknown key"),
        (
            lambda d: _rg(d)["resources"][0].update(type="automation"),
            "$.subscriptions[0].resourceGroups[0].resources[0].type",
            "Provider/type",
        ),
        (
            lambda d: _rg(d)["resources"][1].update(userAssignedIdentities=["id-nobody"]),
            "$.subscriptions[0].resourceGroups[0].resources[1].userAssignedIdentities[0]",
            "no user-assigned identity",
        ),
        (
            lambda d: _rg(d).update(name="rg/with/slashes"),
            "$.subscriptions[0].resourceGroups[0]",
            "invalid resource group name",
        ),
        (
            lambda d: _rg(d)["resources"][0].update(name="aa\u001b[31m"),
            "$.subscriptions[0].resourceGroups[0].resources[0]",
            "invalid resource name",
        ),
        (
            lambda d: _rg(d)["resources"][0].update(systemAssignedIdentity="yes"),
            "$.subscriptions[0].resourceGroups[0].resources[0].systemAssignedIdentity",
            "true or false",
        ),
        (lambda d: _rg(d).update(tags={"a": 1}), "$.subscriptions[0].resourceGroups[0].tags", "object of strings"),
        (lambda d: d["roleAssignments"][0].update(principal="Nobody"), "$.roleAssignments[0].principal", "no user"),
        (lambda d: d["roleAssignments"][0].update(role="Supreme Leader"), "$.roleAssignments[0]", "does not exist"),
        (
            lambda d: d["roleAssignments"][0].update(scope="Northwind Moon"),
            "$.roleAssignments[0].scope",
            "no subscription",
        ),
        (
            lambda d: d["roleAssignments"][0].update(scope="Northwind Production/rg-none"),
            "$.roleAssignments[0].scope",
            "no resource group",
        ),
        (
            lambda d: d["roleAssignments"].append(dict(d["roleAssignments"][0])),
            "$.roleAssignments[7]",
            "already assigned",
        ),
        (lambda d: d["appRoleGrants"][0].update(appRole="Everything.All"), "$.appRoleGrants[0]", "defines no app role"),
        (
            lambda d: d["appRoleGrants"][0].update(resource="Nowhere API"),
            "$.appRoleGrants[0].resource",
            "no resource app",
        ),
        (lambda d: d["appRoleGrants"].append(dict(d["appRoleGrants"][0])), "$.appRoleGrants[3]", "already granted"),
        (lambda d: d["tenant"].update(id="not-a-guid"), "$.tenant.id", "GUID"),
        (
            lambda d: d["users"].append(
                {"displayName": "Nora Admin", "userPrincipalName": "nora@northwind.onmicrosoft.com"}
            ),
            "$.users[2]",
            "already exists",
        ),
        (
            lambda d: d["subscriptions"].append({"displayName": "Northwind Sandbox"}),
            "$.subscriptions[2].displayName",
            "duplicate",
        ),
        (
            lambda d: d["deletedResources"].append("Northwind Production/rg-ops/nothing"),
            "$.deletedResources[1]",
            "no resource",
        ),
        (lambda d: d["applications"][0]["appRoles"].append({"value": "Orders.Read.All"}), "$.applications[0]", "twice"),
        (lambda d: d["customRoles"][0].update(actions="all"), "$.customRoles[0].actions", "array"),
    ],
)
def test_bad_fixtures_name_the_json_path(change, path, words) -> None:
    with pytest.raises(ValueError) as err:
        build_tenant_from_dict(_broken(change))
    message = str(err.value)
    assert message.startswith(path + ":"), message
    assert words in message, message


def test_ambiguous_names_ask_for_the_object_form() -> None:
    def clash(d: dict) -> None:
        _rg(d)["resources"].append({"name": "id-spare", "type": "Microsoft.Web/sites", "systemAssignedIdentity": True})
        d["roleAssignments"].append({"principal": "id-spare", "role": "Reader", "scope": "Northwind Production"})

    with pytest.raises(ValueError, match=r"^\$\.roleAssignments\[7\]\.principal: .*ambiguous"):
        build_tenant_from_dict(_broken(clash))

    def resolved(d: dict) -> None:
        clash(d)
        d["roleAssignments"][-1]["principal"] = {"identity": "id-spare"}

    tenant = build_tenant_from_dict(_broken(resolved))
    assert len(tenant.role_assignments) == len(json.loads(SMALL.read_text())["roleAssignments"]) + 1


def test_unreadable_files_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_tenant_file(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_tenant_file(bad)
    with pytest.raises(ValueError, match=r"^\$: expected an object"):
        build_tenant_from_dict([1])


# --- the hostile fixture -------------------------------------------------------------------------------------------
HOSTILE_MARKERS = ("[@click=app.quit]", "\u001b[31m", "\u001b]52;", "\u202e", "\u200b", "\u0007", "🔥")


def test_hostile_fixture_loads_and_carries_every_kind_of_hostile_text() -> None:
    tenant = load_tenant_file(HOSTILE)
    texts = [sp.display_name for sp in tenant.service_principals.values()]
    texts += [s.display_name for s in tenant.subscriptions.values()]
    texts += [u.display_name for u in tenant.users.values()]
    texts += [r.name for r in tenant.resources.values()] + [g.name for g in tenant.resource_groups.values()]
    texts += [v for r in tenant.resources.values() for kv in r.tags.items() for v in kv]
    texts += [rd.role_name + rd.description for rd in tenant.role_definitions.values() if rd.role_type == "CustomRole"]
    texts += [
        r["description"]
        for sp in tenant.service_principals.values()
        for r in sp.app_roles
        if sp.app_owner_organization_id == tenant.tenant_id
    ]
    joined = "\n".join(texts)
    for marker in HOSTILE_MARKERS:
        assert marker in joined, repr(marker)
    assert any(len(t) >= 500 for t in texts)
    assert any("[" in r.name for r in tenant.resources.values()), "markup in a resource name"
    assert any(ra for ra in tenant.role_assignments.values() if tenant.principal(ra.principal_id) is None)


async def test_hostile_strings_reach_graph_clients_byte_for_byte(emulator_factory) -> None:
    emu = emulator_factory(str(HOSTILE))
    tenant = emu.tenant
    async with raw_client(emu) as http:
        response = await http.get("/servicePrincipals", params={"$top": "999"})
        assert response.status_code == 200
        body = response.json()
        by_id = {v["id"]: v for v in body["value"]}
        for sp in tenant.service_principals.values():
            validate_graph("microsoft.graph.servicePrincipal", by_id[sp.id])
            assert by_id[sp.id]["displayName"] == sp.display_name
            assert by_id[sp.id]["appRoles"] == sp.app_roles
        app = next(sp for sp in tenant.service_principals.values() if "[link=" in sp.display_name)
        found = await http.get(
            "/servicePrincipals",
            params={"$filter": f"displayName eq '{app.display_name.replace(chr(39), chr(39) * 2)}'"},
        )
        assert [v["id"] for v in found.json()["value"]] == [app.id]
        grants = await http.get(f"/servicePrincipals/{app.id}/appRoleAssignedTo")
        assert grants.status_code == 200
        assert {g["principalDisplayName"] for g in grants.json()["value"]} == {
            tenant.principal(g.principal_id).display_name
            for g in tenant.app_role_assignments.values()
            if g.resource_id == app.id
        }
