"""120 days of what happened in the demo tenant: sign-ins, Activity Log events and directory audits.

The stories the usage views are for:

* **aa-dev** holds Owner on Contoso Development and has done nothing at all: no sign-in, no operation (idle).
* **aa-ops-prod** holds Contributor on Contoso Production and only ever restarted ``vm-batch-prod-01`` (the
  right-size case: Virtual Machine Contributor on that VM would do).
* **app-orders-prod** signed in ten minutes ago, and **id-github-deploy** deployed to it forty minutes ago (active).
* **id-dev-ci** wrote a burst of role assignments in rg-dev-apps at night, two days ago.
* The other identities sign in every day or few days; some hold rights they never exercise.

Everything is generated from a fixed seed relative to now, so the demo always has "the last 24 hours".
"""

from __future__ import annotations

import random
import time
import uuid

from tui.emulator.activity import ARM_APP_ID, GRAPH_APP_ID
from tui.emulator.tenant import Resource, ServicePrincipal, Tenant

DAY = 86400.0
HISTORY_DAYS = 120
# identities (by resource name) that never sign in: idle, whatever they hold
IDLE = {"aa-dev", "id-hr-onboarding", "id-backup-operator"}


def _sp_of(tenant: Tenant, res: Resource) -> ServicePrincipal:
    pid = res.principal_id if res.is_user_assigned_identity else res.system_principal_id
    assert pid, res.name
    return tenant.service_principals[pid.lower()]


def _claims(tenant: Tenant, sp: ServicePrincipal, res: Resource, ts: float) -> dict:
    return {
        "aud": "https://management.core.windows.net/",
        "iss": f"https://sts.windows.net/{tenant.tenant_id}/",
        "iat": int(ts),
        "nbf": int(ts),
        "exp": int(ts) + 86400,
        "oid": sp.id,
        "sub": sp.id,
        "tid": tenant.tenant_id,
        "appid": sp.app_id,
        "appidacr": "2",
        "idtyp": "app",
        "ver": "1.0",
        "xms_mirid": res.id,
    }


def _sign_in(tenant: Tenant, sp: ServicePrincipal, res: Resource, ts: float, graph: bool = False) -> None:
    tenant.activity.record_sign_in(
        principal_id=sp.id,
        app_id=sp.app_id,
        display_name=sp.display_name,
        managed_identity=True,
        mi_resource_id=res.id,
        resource_app_id=GRAPH_APP_ID if graph else ARM_APP_ID,
        resource_name="Microsoft Graph" if graph else "Windows Azure Service Management API",
        ts=ts,
    )


def _operate(
    tenant: Tenant, sp: ServicePrincipal, res: Resource, ts: float, operation: str, target: str, method: str
) -> None:
    _sign_in(tenant, sp, res, ts - 30)
    tenant.activity.record_operation(
        tenant_id=tenant.tenant_id,
        claims=_claims(tenant, sp, res, ts - 30),
        caller=sp.id,
        operation=operation,
        resource_id=target,
        method=method,
        status_code=202 if operation.endswith("/action") else 200,
        ts=ts,
    )


def add_demo_history(tenant: Tenant, now: float | None = None) -> None:
    """Record the demo tenant's history (see the module's docstring) into ``tenant.activity``."""
    now = time.time() if now is None else now
    rng = random.Random("mitui-demo-history")
    by_name = {r.name: r for r in tenant.resources.values()}
    identities = [
        r for r in tenant.resources.values() if r.is_user_assigned_identity or r.system_principal_id is not None
    ]
    story = {"aa-ops-prod", "app-orders-prod", "id-github-deploy", "id-dev-ci"}
    # everyday sign-ins (to ARM, some to Graph) of the identities without a story of their own
    for res in sorted(identities, key=lambda r: r.name):
        if res.name in IDLE or res.name in story:
            continue
        pid = res.principal_id if res.is_user_assigned_identity else res.system_principal_id
        if not pid or pid.lower() not in tenant.service_principals:
            continue
        sp = tenant.service_principals[pid.lower()]
        every = rng.choice((1, 2, 3, 7))
        day = HISTORY_DAYS
        while day > 0:
            # (whole hours and a half before now: "Last used" shows the same hours while the seconds go by)
            _sign_in(tenant, sp, res, now - day * DAY + rng.randrange(8) * 3600 + 1800, graph=rng.random() < 0.2)
            day -= every

    # aa-ops-prod: Contributor on Contoso Production, only ever restarts vm-batch-prod-01 (every ~5 days)
    ops, vm = by_name.get("aa-ops-prod"), by_name.get("vm-batch-prod-01")
    if ops is not None and vm is not None:
        sp = _sp_of(tenant, ops)
        for day in range(HISTORY_DAYS - 2, 0, -5):
            _operate(tenant, sp, ops, now - day * DAY + 3 * 3600, "Microsoft.Compute/virtualMachines/restart/action",
                     vm.id, "POST")  # fmt: skip
        # and reads the directory with its Graph rights (a sign-in to Graph; reads leave no Activity Log event)
        _sign_in(tenant, sp, ops, now - 2 * DAY, graph=True)

    # app-orders-prod: active in the last hour; id-github-deploy deployed to it 40 minutes ago
    app, gh = by_name.get("app-orders-prod"), by_name.get("id-github-deploy")
    if app is not None:
        sp = _sp_of(tenant, app)
        for minutes in range(60 * 24 * 30, -1, -60):
            _sign_in(tenant, sp, app, now - minutes * 60 - 600)
    if gh is not None and app is not None:
        sp = _sp_of(tenant, gh)
        for day in (60, 31, 14, 6, 1):
            _operate(tenant, sp, gh, now - day * DAY, "Microsoft.Web/sites/write", app.id, "PUT")
        _operate(tenant, sp, gh, now - 40 * 60, "Microsoft.Web/sites/write", app.id, "PUT")
        _operate(tenant, sp, gh, now - 39 * 60, "Microsoft.Web/sites/restart/action", app.id, "POST")

    # id-dev-ci: a burst of role-assignment writes in rg-dev-apps at 02:00 UTC, two nights ago
    ci = by_name.get("id-dev-ci")
    if ci is not None:
        sp = _sp_of(tenant, ci)
        night = (now // DAY) * DAY - 2 * DAY + 2 * 3600
        sub = ci.id.split("/")[2]
        for i in range(12):
            ra = f"/subscriptions/{sub}/resourceGroups/rg-dev-apps/providers/Microsoft.Authorization/roleAssignments/"
            _operate(tenant, sp, ci, night + i * 40, "Microsoft.Authorization/roleAssignments/write",
                     ra + str(uuid.UUID(int=rng.getrandbits(128))), "PUT")  # fmt: skip
        # its deployments, before and since (the last one 20 hours ago, after the night whatever the time of day)
        _operate(tenant, sp, ci, now - 20 * 3600, "Microsoft.Web/sites/write",
                 f"/subscriptions/{sub}/resourceGroups/rg-dev-apps/providers/Microsoft.Web/sites/func-dev-sandbox",
                 "PUT")  # fmt: skip
        for day in range(HISTORY_DAYS - 1, 3, -4):
            _operate(tenant, sp, ci, now - day * DAY + 10 * 3600, "Microsoft.Web/sites/write",
                     f"/subscriptions/{sub}/resourceGroups/rg-dev-apps/providers/Microsoft.Web/sites/func-dev-sandbox",
                     "PUT")  # fmt: skip

    # a directory change by aa-ops-prod three days ago (it holds RoleManagement.ReadWrite.Directory)
    if ops is not None:
        sp = _sp_of(tenant, ops)
        group = next(iter(sorted(tenant.groups.values(), key=lambda g: g.display_name)), None)
        if group is not None:
            tenant.activity.record_audit(
                activity="Add member to group",
                category="GroupManagement",
                operation_type="Assign",
                initiated_by={
                    "app": {
                        "appId": sp.app_id,
                        "displayName": sp.display_name,
                        "servicePrincipalId": sp.id,
                        "servicePrincipalName": sp.display_name,
                    },
                    "user": None,
                },
                targets=[
                    {"id": group.id, "displayName": group.display_name, "type": "Group", "modifiedProperties": []}
                ],
                ts=now - 3 * DAY,
            )
