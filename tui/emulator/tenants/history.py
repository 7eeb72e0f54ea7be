"""A generated tenant's history, for the benchmark's usage run: ``per_day`` Azure operations per subscription per day
over ``days`` days, each by one of the tenant's managed identities (with its sign-in), on a resource of that
subscription (``mitui emulator --scale S:I --activity-per-day N``)."""

from __future__ import annotations

import random
import time

from tui.emulator.activity import ARM_APP_ID
from tui.emulator.tenant import Tenant

OPERATIONS = (
    "Microsoft.Compute/virtualMachines/restart/action",
    "Microsoft.Compute/virtualMachines/write",
    "Microsoft.Web/sites/write",
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.Authorization/roleAssignments/write",
)


def add_generated_history(tenant: Tenant, per_day: int, days: int = 90, seed: int = 0, now: float | None = None) -> int:
    """Record the history into ``tenant.activity``; the number of operations recorded."""
    if per_day <= 0:
        return 0
    now = time.time() if now is None else now
    rng = random.Random(f"history:{seed}")
    by_sub: dict[str, list] = {}
    for res in tenant.resources.values():
        by_sub.setdefault(res.subscription_id.lower(), []).append(res)
    actors = [sp for sp in tenant.service_principals.values() if sp.service_principal_type == "ManagedIdentity"]
    if not actors:
        return 0
    count = 0
    for resources in by_sub.values():
        for day in range(days):
            for _ in range(per_day):
                sp, res = rng.choice(actors), rng.choice(resources)
                ts = now - day * 86400 - rng.uniform(0, 86400)
                claims = {"oid": sp.id, "appid": sp.app_id, "tid": tenant.tenant_id, "idtyp": "app"}
                tenant.activity.record_operation(
                    tenant_id=tenant.tenant_id,
                    claims=claims,
                    caller=sp.id,
                    operation=rng.choice(OPERATIONS),
                    resource_id=res.id,
                    method="POST",
                    status_code=200,
                    ts=ts,
                )
                tenant.activity.record_sign_in(
                    principal_id=sp.id,
                    app_id=sp.app_id,
                    display_name=sp.display_name,
                    managed_identity=True,
                    mi_resource_id=None,
                    resource_app_id=ARM_APP_ID,
                    resource_name="Windows Azure Service Management API",
                    ts=ts - 30,
                )
                count += 1
    return count
