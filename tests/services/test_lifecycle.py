"""An identity's life through the Session: plan, confirm-worthy preview, apply, audit, read back; against a fresh
sandbox tenant through the real SDKs, checked from azure-mgmt-msi / azure-mgmt-resource and the tenant itself."""

from __future__ import annotations

import json

import pytest
from azure.identity.aio import ManagedIdentityCredential

from tui.services import lifecycle_rules as rules
from tui.services.errors import InvalidInput, NotFound, ReadOnlyRefused
from tui.services.models import IdentityKind, Inventory, ManagedIdentity
from tui.services.plans import PlanAction
from tui.services.session import Session

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _identity(inv: Inventory, name: str) -> ManagedIdentity:
    return next(i for i in inv.identities if i.name == name)


def _resource(emu, name: str):  # noqa: ANN001, ANN202
    return next(r for r in emu.tenant.resources.values() if r.name == name)


async def test_system_identity_off_warns_with_its_rights_then_on_again(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    aa = _resource(emu, "aa-ops-prod")
    ident = next(i for i in inv.identities if i.resource_id.lower() == aa.id.lower())
    rights = list(inv.rights_of(ident))
    assert rights, "the demo's automation account holds rights"

    off = await session.plan_system_identity(aa.id, enable=False, inventory=inv)
    assert off.action is PlanAction.DISABLE_SYSTEM_IDENTITY and off.already_exists and not off.nothing_to_do
    assert any("Rights lost" in w for w in off.warnings)
    assert off.privilege is inv.highest_privilege(ident)
    assert off.requires_typed_confirmation == (off.privilege.value != "normal")
    assert "az rest --method PATCH" in off.az_command and "Invoke-AzRestMethod -Method PATCH" in off.powershell_command
    assert json.loads(off.param("identity")) == {"type": "None"}

    change = await session.apply(off)
    assert change.outcome == "applied", change.message
    assert aa.system_principal_id is None and ident.principal_id not in emu.tenant.service_principals
    orphans = [ra for ra in emu.tenant.role_assignments.values() if ra.principal_id.lower() == ident.principal_id]
    assert orphans  # Azure role assignments stay behind

    again = await session.plan_system_identity(aa.id, enable=False, inventory=inv)
    assert again.nothing_to_do
    on = await session.plan_system_identity(aa.id, enable=True)
    assert on.action is PlanAction.ENABLE_SYSTEM_IDENTITY and not on.already_exists
    change = await session.apply(on)
    assert change.outcome == "applied", change.message
    assert aa.system_principal_id and aa.system_principal_id != ident.principal_id
    entries = session.audit.entries()
    assert [e["action"] for e in entries] == ["disable-system-identity"] * 2 + ["enable-system-identity"] * 2
    assert entries[-1]["result"] == "applied" and entries[-1]["where"]["targetId"] == aa.id


async def test_attach_keeps_the_others_and_detach(emulator_factory, session_for, arm_kwargs) -> None:  # noqa: ANN001
    from azure.mgmt.resource.resources.aio import ResourceManagementClient

    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    site = _resource(emu, "app-orders-prod")
    before = list(site.user_assigned_identity_ids)
    uami = _identity(inv, "id-legacy-unused")
    plan = await session.plan_attach_user_identity(site.id, uami, inv)
    assert plan.action is PlanAction.ATTACH_USER_IDENTITY and not plan.already_exists
    block = json.loads(plan.param("identity"))
    assert block["type"] == "SystemAssigned, UserAssigned"
    assert set(block["userAssignedIdentities"]) == {*before, uami.resource_id}
    assert any("can act as id-legacy-unused" in w for w in plan.warnings)
    assert (await session.apply(plan)).outcome == "applied"
    assert site.system_principal_id  # kept
    assert {u.lower() for u in site.user_assigned_identity_ids} == {u.lower() for u in [*before, uami.resource_id]}

    sub = site.subscription_id
    async with (
        ManagedIdentityCredential() as cred,
        ResourceManagementClient(cred, sub, **arm_kwargs(emu)) as rm,
    ):
        read = await rm.resources.get_by_id(site.id, api_version="2023-12-01")
        assert uami.resource_id.lower() in {k.lower() for k in read.identity.user_assigned_identities}

    assert (await session.plan_attach_user_identity(site.id, uami, inv)).nothing_to_do
    detach = await session.plan_detach_user_identity(site.id, uami)
    assert detach.already_exists
    assert (await session.apply(detach)).outcome == "applied"
    assert [u.lower() for u in site.user_assigned_identity_ids] == [u.lower() for u in before]
    assert emu.tenant.resource(uami.resource_id) is not None


async def test_create_add_credentials_and_delete_user_identity(emulator_factory, session_for, arm_kwargs) -> None:  # noqa: ANN001
    from azure.mgmt.msi.aio import ManagedServiceIdentityClient

    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    home = _identity(inv, "id-legacy-unused")  # the admin may write in its group
    sub, group = home.subscription_id, home.resource_group
    plan = await session.plan_create_user_identity(sub, group, "id-new-runner", "West Europe", "team=ops, env=prod")
    assert plan.action is PlanAction.CREATE_USER_IDENTITY and not plan.already_exists
    assert "--tags team=ops env=prod" in plan.az_command and "New-AzUserAssignedIdentity" in plan.powershell_command
    change = await session.apply(plan)
    assert change.outcome == "applied", change.message
    assert (await session.plan_create_user_identity(sub, group, "id-new-runner", "westeurope")).nothing_to_do
    with pytest.raises(InvalidInput):
        await session.plan_create_user_identity(sub, group, "id-new-runner", "eastus")

    inv = await session.load_inventory()
    made = _identity(inv, "id-new-runner")
    assert made.kind is IdentityKind.USER and dict(made.tags) == {"team": "ops", "env": "prod"}
    github = rules.github_actions("gh-main", "contoso/orders", branch="main")
    add = await session.plan_add_federated_credential(made, github, inv)
    assert add.param("subject") == "repo:contoso/orders:ref:refs/heads/main"
    assert (await session.apply(add)).outcome == "applied"
    k8s = rules.kubernetes("aks-worker", "https://westeurope.oic.prod-aks.azure.com/t/c/", "jobs", "runner")
    assert (await session.apply(await session.plan_add_federated_credential(made, k8s))).outcome == "applied"
    with pytest.raises(InvalidInput):  # the same issuer and subject under another name
        await session.plan_add_federated_credential(made, rules.github_actions("gh-2", "contoso/orders", branch="main"))

    async with (
        ManagedIdentityCredential() as cred,
        ManagedServiceIdentityClient(cred, sub, **arm_kwargs(emu)) as msi,
    ):
        listed = {u.name async for u in msi.user_assigned_identities.list_by_resource_group(group)}
        assert "id-new-runner" in listed
        got = await msi.user_assigned_identities.get(group, "id-new-runner")
        assert got.tags == {"team": "ops", "env": "prod"} and got.location == "westeurope"
        fics = {f.name: f async for f in msi.federated_identity_credentials.list(group, "id-new-runner")}
        assert fics["aks-worker"].subject == "system:serviceaccount:jobs:runner"
        assert fics["gh-main"].issuer == rules.GITHUB_ISSUER

    remove = await session.plan_remove_federated_credential(made, "gh-main")
    assert remove.already_exists and (await session.apply(remove)).outcome == "applied"
    delete = await session.plan_delete_user_identity(made, inv)
    assert any("aks-worker" in w for w in delete.warnings)
    assert (await session.apply(delete)).outcome == "applied"
    assert emu.tenant.resource(made.resource_id) is None and made.principal_id not in emu.tenant.service_principals
    assert (await session.plan_delete_user_identity(made, inv)).nothing_to_do


async def test_delete_lists_attached_resources_and_rights(demo_session) -> None:  # noqa: ANN001
    inv = await demo_session.load_inventory()
    uami = next(i for i in inv.identities if i.kind is IdentityKind.USER and len(i.used_by) > 1 and inv.roles_of(i))
    plan = await demo_session.plan_delete_user_identity(uami, inv)
    assert plan.already_exists and plan.right_name == uami.name
    joined = " ".join(plan.warnings)
    assert all(u in joined for u in uami.used_by if u.lower() != uami.resource_id.lower())
    assert "Rights lost" in joined


async def test_bad_input_is_refused_before_anything_is_sent(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    sub = inv.subscriptions[0].id
    writes_before = len(session.audit.entries())
    for args in [
        ("not-a-guid", "rg", "id-x", "westeurope"),
        (sub, "rg.", "id-x", "westeurope"),
        (sub, "rg", "-x", "westeurope"),
        (sub, "rg", "id-x", "West Europe!"),
        (sub, "rg", "id-x", "westeurope", "novalue"),
    ]:
        with pytest.raises(InvalidInput):
            await session.plan_create_user_identity(*args)
    with pytest.raises(InvalidInput):
        rules.github_actions("gh", "not a repo", branch="main")
    with pytest.raises(InvalidInput):
        rules.github_actions("gh-x", "c/o", branch="main", environment="prod")
    with pytest.raises(InvalidInput):
        rules.kubernetes("k8s-x", "http://insecure", "ns", "sa")
    with pytest.raises(InvalidInput):
        rules.kubernetes("k8s-x", "https://issuer", "Bad_NS", "sa")
    system = next(i for i in inv.identities if i.kind is IdentityKind.SYSTEM)
    with pytest.raises(InvalidInput):
        await session.plan_delete_user_identity(system, inv)
    with pytest.raises(NotFound):
        await session.plan_system_identity(system.resource_id + "-gone", enable=True)
    with pytest.raises(InvalidInput):
        await session.plan_system_identity("/subscriptions/" + sub, enable=True)
    assert len(session.audit.entries()) == writes_before


async def test_read_only_refuses_lifecycle_writes(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu, read_only=True)
    aa = _resource(emu, "aa-dev")
    plan = await session.plan_system_identity(aa.id, enable=False)
    with pytest.raises(ReadOnlyRefused):
        await session.apply(plan)
    assert aa.system_principal_id
    assert [e["result"] for e in session.audit.entries() if e["event"] == "outcome"] == ["refused"]


async def test_containment_can_detach_and_restore_attaches_again(emulator_factory, session_for, tmp_path) -> None:  # noqa: ANN001
    from tui.services.containment import KIND_ATTACHMENT, kind_of, read_restore_file

    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    uami = next(
        i
        for i in inv.identities
        if i.kind is IdentityKind.USER
        and i.name == "id-orders-shared"
        and [u for u in i.used_by if u.lower() != i.resource_id.lower()]
    )
    resources = [u for u in uami.used_by if u.lower() != uami.resource_id.lower()]
    plain = await session.plan_containment(uami, inv)
    assert not any(kind_of(p) == KIND_ATTACHMENT for p in plain.items)
    plan = await session.plan_containment(uami, inv, detach=True)
    detaches = [p for p in plan.items if p.action is PlanAction.DETACH_USER_IDENTITY]
    assert sorted(p.target_id for p in detaches) == sorted(resources)
    results = await session.contain(plan, restore_dir=tmp_path)
    assert results.ok, results.summary()
    for rid in resources:
        assert all(u.lower() != uami.resource_id.lower() for u in emu.tenant.resource(rid).user_assigned_identity_ids)
    restore = read_restore_file(results.restore_file)
    assert sorted(restore.detached_resources) == sorted(resources)
    plans = await session.plan_restore(restore)
    attaches = [p for p in plans if p.action is PlanAction.ATTACH_USER_IDENTITY]
    assert len(attaches) == len(resources) and not any(p.already_exists for p in attaches)
    changes = await session.apply_each(plans)
    assert all(c.ok for c in changes), [c.message for c in changes]
    for rid in resources:
        assert uami.resource_id.lower() in {u.lower() for u in emu.tenant.resource(rid).user_assigned_identity_ids}


async def test_a_type_mitui_does_not_know_takes_its_providers_api_version(emulator_factory, session_for) -> None:  # noqa: ANN001
    from tui.emulator.arm.resources import PROVIDER_API_VERSIONS

    emu = emulator_factory()
    session: Session = await session_for(emu)
    aks = next(r for r in emu.tenant.resources.values() if r.type == "Microsoft.ContainerService/managedClusters")
    assert rules.resource_type_of(aks.id) not in rules.RESOURCE_API_VERSIONS
    plan = await session.plan_system_identity(aks.id, enable=True)
    newest_stable = max(v for v in PROVIDER_API_VERSIONS if "preview" not in v)
    assert plan.param("api_version") == newest_stable
    assert (
        f"api-version={newest_stable}" in plan.az_command and f"api-version={newest_stable}" in plan.powershell_command
    )
    assert (await session.apply(plan)).outcome == "applied"
    assert aks.system_principal_id and aks.user_assigned_identity_ids  # turned on, its user-assigned identity kept


async def test_the_audit_line_says_what_was_sent(emulator_factory, session_for) -> None:  # noqa: ANN001
    emu = emulator_factory()
    session: Session = await session_for(emu)
    inv = await session.load_inventory()
    uami = _identity(inv, "id-legacy-unused")
    credential = rules.kubernetes("aks-audit", "https://oidc.example.com/cluster/", "ops", "runner")
    change = await session.apply(await session.plan_add_federated_credential(uami, credential, inv))
    assert change.outcome == "applied"
    intent, outcome = session.audit.entries()[-2:]
    for entry in (intent, outcome):
        assert entry["action"] == "add-federated-credential" and entry["identity"]["principalId"] == uami.principal_id
        assert entry["sent"]["subject"] == "system:serviceaccount:ops:runner"
        assert entry["sent"]["issuer"] == "https://oidc.example.com/cluster/"
    assert outcome["result"] == "applied" and outcome["requestIds"]
