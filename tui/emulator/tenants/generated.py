"""Large generated tenants for ``mitui emulator --scale SUBSCRIPTIONS:IDENTITIES`` and for benchmarks.

Deterministic from the seed (same arguments, same tenant, byte for byte). Proportions follow what large Azure
estates look like:

* 3–8 resource groups per subscription, each with a Key Vault and a Storage account as targets;
* about 70 % system-assigned identities (on Automation Accounts, Function/Web Apps, Logic Apps, VMs, Data
  Factories, SQL servers, Container Apps) and 30 % user-assigned ones; of the user-assigned ones about 15 %
  are attached to nothing, about 30 % are shared by 2–4 resources;
* about 4 Azure role assignments per identity (mostly at resource and resource-group scope, some at
  subscription scope, a few Owner / User Access Administrator), and about 0.5 Microsoft Graph app role grants
  per identity (a few of them high-privilege);
* 1 % more system-assigned identities are created and their resources deleted afterwards: their role
  assignments are orphaned (the tenant still holds exactly ``identities`` managed identities).

The admin (``Alex Admin``, Privileged Role Administrator) is Owner of every third subscription, User Access
Administrator of the next and Reader of the others.
"""

from __future__ import annotations

import contextlib
import random

from tui.emulator.builder import TenantBuilder
from tui.emulator.ids import AUTOMATION, CONTAINER_APP, DATA_FACTORY, LOGIC, SITES, SQL, STORAGE, VAULT, VM
from tui.emulator.tenant import Resource, RoleDefinition, Subscription, Tenant, remove_resources

UNITS = (
    "Retail",
    "Payments",
    "Logistics",
    "Data Platform",
    "HR",
    "Marketing",
    "Security",
    "Analytics",
    "Manufacturing",
    "Support",
    "Finance",
    "Web",
)
ENVS = ("Production", "Development", "Test", "Shared")
LOCATIONS = ("westeurope", "northeurope", "eastus", "eastus2", "westus3", "uksouth", "swedencentral")
APPS = (
    "orders",
    "billing",
    "catalog",
    "search",
    "crm",
    "etl",
    "reports",
    "auth",
    "inventory",
    "shipping",
    "pricing",
    "events",
    "notify",
    "ledger",
    "portal",
    "gateway",
)

# (type, kind, name prefix, weight) of resources that carry a system-assigned identity
SYSTEM_HOSTS = (
    (AUTOMATION, None, "aa", 14),
    (SITES, "functionapp", "func", 26),
    (SITES, "app,linux", "app", 18),
    (LOGIC, None, "logic", 12),
    (VM, None, "vm", 12),
    (DATA_FACTORY, None, "adf", 6),
    (SQL, None, "sql", 5),
    (CONTAINER_APP, None, "ca", 7),
)
# (role name, weight, scope level) for role assignments
ROLE_MIX = (
    ("Reader", 14, "group"),
    ("Contributor", 9, "group"),
    ("Key Vault Secrets User", 16, "vault"),
    ("Key Vault Secrets Officer", 3, "vault"),
    ("Storage Blob Data Reader", 12, "storage"),
    ("Storage Blob Data Contributor", 12, "storage"),
    ("Storage Queue Data Contributor", 5, "storage"),
    ("Monitoring Metrics Publisher", 6, "group"),
    ("AcrPull", 5, "group"),
    ("Reader", 5, "subscription"),
    ("Contributor", 3, "subscription"),
    ("Website Contributor", 3, "group"),
    ("Owner", 1, "subscription"),
    ("User Access Administrator", 1, "group"),
    ("Managed Identity Operator", 2, "group"),
    ("Virtual Machine Contributor", 3, "subscription"),
)
GRAPH_MIX = (
    ("User.Read.All", 20),
    ("Directory.Read.All", 12),
    ("Group.Read.All", 12),
    ("Mail.Send", 8),
    ("Sites.Read.All", 6),
    ("Application.Read.All", 8),
    ("GroupMember.Read.All", 6),
    ("Device.Read.All", 4),
    ("AuditLog.Read.All", 4),
    ("User.ReadWrite.All", 3),
    ("Group.ReadWrite.All", 3),
    ("Application.ReadWrite.All", 1),
    ("AppRoleAssignment.ReadWrite.All", 1),
    ("RoleManagement.ReadWrite.Directory", 1),
)


def build_generated_tenant(subscriptions: int, identities: int, seed: int = 0) -> Tenant:
    """A tenant with ``subscriptions`` subscriptions and ``identities`` managed identities, from ``seed``."""
    if subscriptions < 1 or identities < 0:
        raise ValueError("a generated tenant needs at least one subscription and a non-negative identity count")
    rng = random.Random(f"mitui-generated:{seed}")
    b = TenantBuilder(seed=f"generated:{seed}:{subscriptions}:{identities}", default_domain="fabrikam.onmicrosoft.com")
    graph = b.graph_sp
    admin = b.add_user(
        "Alex Admin",
        "alex.admin@fabrikam.onmicrosoft.com",
        directory_roles=["Privileged Role Administrator"],
        admin=True,
    )
    b.add_user("Dana Developer", "dana.developer@fabrikam.onmicrosoft.com")
    roles = {name: b.role_definition(name) for name, _, _ in ROLE_MIX}
    owner, uaa, reader = (b.role_definition(n) for n in ("Owner", "User Access Administrator", "Reader"))

    # --- subscriptions, groups and target resources --------------------------------------------------------------
    subs: list[Subscription] = []
    groups: list[tuple[object, Resource, Resource]] = []  # (group, vault, storage)
    for i in range(subscriptions):
        unit, env = UNITS[i % len(UNITS)], ENVS[(i // len(UNITS)) % len(ENVS)]
        sub = b.add_subscription(f"Fabrikam {unit} {env} {i + 1:03d}")
        subs.append(sub)
        b.assign_role(admin, (owner, uaa, reader)[i % 3], sub)
        short = env[:4].lower()
        for g in range(rng.randint(3, 8)):
            app = rng.choice(APPS)
            location = rng.choice(LOCATIONS)
            tags = {"env": short, "app": app, "costCenter": f"CC-{rng.randint(1000, 9999)}"}
            group = b.add_resource_group(sub, f"rg-{app}-{short}-{i + 1:03d}-{g + 1}", location, tags=tags)
            suffix = f"{i + 1:03d}{g + 1}{rng.randint(100, 999)}"
            vault = b.add_resource(group, VAULT, f"kv-{app}-{suffix}", tags=tags)
            storage = b.add_resource(group, STORAGE, f"st{app}{suffix}", kind="StorageV2", tags=tags)
            groups.append((group, vault, storage))

    # --- identities -----------------------------------------------------------------------------------------------
    host_weights = [w for *_, w in SYSTEM_HOSTS]
    system_count = round(identities * 0.7)
    deleted = identities // 100  # extra hosts, deleted at the end so that `identities` identities remain
    principals: list[tuple[Resource, tuple]] = []  # (resource carrying the identity, its (group, vault, storage))
    hosts: list[Resource] = []
    for n in range(system_count + deleted):
        place = rng.choice(groups)
        rtype, kind, prefix, _ = rng.choices(SYSTEM_HOSTS, host_weights)[0]
        res = b.add_resource(
            place[0],
            rtype,
            f"{prefix}-{rng.choice(APPS)}-{n:05d}",
            kind=kind,
            system_identity=True,
            tags=dict(place[0].tags),
        )
        principals.append((res, place))
        hosts.append(res)
    for n in range(identities - system_count):
        place = rng.choice(groups)
        uami = b.add_user_assigned_identity(place[0], f"id-{rng.choice(APPS)}-{n:05d}", tags=dict(place[0].tags))
        principals.append((uami, place))
        r = rng.random()
        users = 0 if r < 0.15 else (1 if r < 0.70 else rng.randint(2, 4))
        for target in rng.sample(hosts, min(users, len(hosts))):
            b.attach_user_identity(target, uami)
        if rng.random() < 0.05:
            b.add_federated_credential(
                uami,
                "github-deploy",
                "https://token.actions.githubusercontent.com",
                f"repo:fabrikam/{uami.name}:environment:production",
            )

    # --- role assignments (about 4 per identity) and Graph grants (about 0.5 per identity) ---------------------
    mix = [(roles[name], level) for name, _, level in ROLE_MIX]
    mix_weights = [w for _, w, _ in ROLE_MIX]
    graph_values = [v for v, _ in GRAPH_MIX]
    graph_weights = [w for _, w in GRAPH_MIX]
    for res, (group, vault, storage) in principals:
        for rd, level in rng.choices(mix, mix_weights, k=rng.choice((1, 2, 3, 4, 4, 5, 5, 6, 7, 8))):
            scope = {
                "group": group,
                "vault": vault,
                "storage": storage,
                "subscription": f"/subscriptions/{res.subscription_id}",
            }[level]
            _assign(b, res, rd, scope)
        if rng.random() < 0.35:
            for value in set(rng.choices(graph_values, graph_weights, k=rng.choice((1, 1, 1, 2, 2, 3)))):
                b.grant_app_role(res, graph, value)

    _add_directory_roles_and_groups(b, principals, subs, seed)
    _add_management_group(b, [res for res, _ in principals[:2]], subs)

    # --- history: about 1 % of the system-assigned identities' resources were deleted ------------------------------
    remove_resources(b.tenant, [res.id for res in rng.sample(hosts, deleted)])
    return b.build()


def _add_management_group(b: TenantBuilder, holders: list[Resource], subs: list[Subscription]) -> None:
    """One management group above every subscription, where the first two identities hold Reader and
    Contributor (inherited by every subscription's listing: no request more for the loader)."""
    mg = b.add_management_group("mg-fabrikam", "Fabrikam")
    for sub in subs:
        b.move_subscription(sub, mg)
    for res, role in zip(holders, ("Reader", "Contributor"), strict=False):
        _assign(b, res, b.role_definition(role), mg)


def _assign(b: TenantBuilder, principal: Resource, rd: RoleDefinition, scope: object) -> None:
    # the same role at the same scope may be drawn twice: Azure would refuse the second one too
    with contextlib.suppress(ValueError):
        b.assign_role(principal, rd, scope)  # type: ignore[arg-type]


# Entra directory roles held by managed identities, by how often an estate has them (Directory Readers for Azure
# SQL's identities, Exchange Administrator for Exchange Online automation, ...), and the Azure roles groups hold.
DIRECTORY_ROLE_MIX: tuple[tuple[str, int], ...] = (
    ("Directory Readers", 40),
    ("Exchange Administrator", 15),
    ("Global Reader", 10),
    ("User Administrator", 8),
    ("Groups Administrator", 6),
    ("Security Reader", 6),
    ("Application Administrator", 5),
    ("Cloud Application Administrator", 4),
    ("Global Administrator", 3),
    ("Privileged Role Administrator", 3),
)
GROUP_RBAC_ROLES = ("Owner", "Contributor", "Reader", "Key Vault Secrets User", "Storage Blob Data Reader")


def _add_directory_roles_and_groups(
    b: TenantBuilder, principals: list[tuple[Resource, tuple]], subs: list[Subscription], seed: int
) -> None:
    """About 2 % of the identities hold a directory role, about 5 % are members of security groups (about ten
    members a group), a handful of groups hold Azure roles on subscriptions and one role-assignable group a
    directory role. A random stream of its own, so that the rest of the tenant is drawn as before."""
    rng = random.Random(f"mitui-generated-directory:{seed}")
    if not principals:
        return
    names = [n for n, _ in DIRECTORY_ROLE_MIX]
    weights = [w for _, w in DIRECTORY_ROLE_MIX]
    for res, _place in rng.sample(principals, max(1, len(principals) // 50)):
        b.assign_directory_role(res, rng.choices(names, weights)[0])
    members = rng.sample(principals, max(1, len(principals) // 20))
    count = max(1, len(members) // 10)
    groups = [
        b.add_group(
            f"sg-{UNITS[i % len(UNITS)].lower()}-{APPS[i % len(APPS)]}-{i + 1:03d}",
            description=f"{UNITS[i % len(UNITS)]} workload identities",
            is_assignable_to_role=i == 0,
        )
        for i in range(count)
    ]
    for n, (res, _place) in enumerate(members):
        b.add_group_member(groups[n % count], res)
    b.assign_directory_role(groups[0], "Global Reader")
    for i, group in enumerate(groups[: min(5, count)]):
        b.assign_role(group, GROUP_RBAC_ROLES[i % len(GROUP_RBAC_ROLES)], subs[i % len(subs)])
