"""Management groups: list, get (``$expand=children``, ``$recurse=true``), descendants.

Shapes from azure-rest-api-specs ``specification/managementgroups/resource-manager/Microsoft.Management/stable/
2023-04-01/management.json`` (ManagementGroup, ManagementGroupChildInfo, DescendantInfo) and its 2021-04-01
examples ``ListManagementGroups.json``, ``GetManagementGroupWithExpand.json``, ``GetDescendants.json``.
Descendants is ``GET .../managementGroups/{groupId}/descendants`` (paged by ``nextLink``), not a POST.
A caller sees the groups it holds a right at, above or below (as ARM lists them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tui.emulator import rbac
from tui.emulator.arm.call import ArmCall, ok
from tui.emulator.arm.errors import authorization_failed
from tui.emulator.tenant import ManagementGroup, Subscription, Tenant

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi

MG_TYPE = "Microsoft.Management/managementGroups"
SUB_CHILD_TYPE = "/subscriptions"
DESCENDANT_SUB_TYPE = "Microsoft.Management/managementGroups/subscriptions"
MANAGEMENT_GROUPS_PAGE_SIZE = 1000
READ = "Microsoft.Management/managementGroups/read"


def _children(t: Tenant, mg: ManagementGroup) -> tuple[list[ManagementGroup], list[Subscription]]:
    key = mg.name.lower()
    groups = [g for g in t.management_groups.values() if (g.parent or "").lower() == key]
    subs = [s for s in t.subscriptions.values() if (s.management_group or t.tenant_id).lower() == key]
    return groups, subs


def _child_json(t: Tenant, child: ManagementGroup | Subscription, recurse: bool) -> dict[str, Any]:
    if isinstance(child, Subscription):
        sid = child.subscription_id
        return {"id": f"/subscriptions/{sid}", "type": SUB_CHILD_TYPE, "name": sid, "displayName": child.display_name}
    out: dict[str, Any] = {"id": child.id, "type": MG_TYPE, "name": child.name, "displayName": child.display_name}
    if recurse:
        groups, subs = _children(t, child)
        out["children"] = [_child_json(t, c, True) for c in [*groups, *subs]] or None
    return out


def management_group_json(t: Tenant, mg: ManagementGroup, *, children: bool = False, recurse: bool = False) -> dict:
    parent = t.management_group(mg.parent) if mg.parent else None
    details: dict[str, Any] = {
        "version": 1,
        "updatedTime": mg.updated_time,
        "updatedBy": mg.updated_by,
        "parent": {"id": parent.id, "name": parent.name, "displayName": parent.display_name} if parent else None,
    }
    props: dict[str, Any] = {"tenantId": t.tenant_id, "displayName": mg.display_name, "details": details}
    if children:
        groups, subs = _children(t, mg)
        props["children"] = [_child_json(t, c, recurse) for c in [*groups, *subs]]
    return {"id": mg.id, "type": MG_TYPE, "name": mg.name, "properties": props}


def _visible(api: ArmApi, call: ArmCall, mg: ManagementGroup) -> bool:
    assert call.caller is not None
    return rbac.has_any_right_in(api.tenant, call.caller.id, mg.id)


async def list_management_groups(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        items = [
            {
                "id": mg.id,
                "type": MG_TYPE,
                "name": mg.name,
                "properties": {"tenantId": t.tenant_id, "displayName": mg.display_name},
            }
            for mg in t.management_groups.values()
            if _visible(api, call, mg)
        ]
        return ok(api.page(call, items, MANAGEMENT_GROUPS_PAGE_SIZE))


def _readable(api: ArmApi, call: ArmCall) -> ManagementGroup:
    mg = api.management_group(call.params["groupId"])
    if not _visible(api, call, mg):
        raise authorization_failed(call, READ, mg.id)
    return mg


async def get_management_group(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    expand = call.query.get("$expand", "").lower()
    recurse = call.query.get("$recurse", "").lower() == "true"
    with t.lock:
        mg = _readable(api, call)
        return ok(management_group_json(t, mg, children=expand == "children", recurse=recurse))


def descendants_of(t: Tenant, mg: ManagementGroup) -> list[dict[str, Any]]:
    """Every group and subscription below ``mg``, each with its parent's id, breadth first."""
    out: list[dict[str, Any]] = []
    frontier = [mg]
    while frontier:
        nxt: list[ManagementGroup] = []
        for parent in frontier:
            groups, subs = _children(t, parent)
            for g in groups:
                item = {"id": g.id, "type": MG_TYPE, "name": g.name}
                out.append({**item, "properties": {"displayName": g.display_name, "parent": {"id": parent.id}}})
            for s in subs:
                sid = s.subscription_id
                out.append(
                    {
                        "id": f"/subscriptions/{sid}",
                        "type": DESCENDANT_SUB_TYPE,
                        "name": sid,
                        "properties": {"displayName": s.display_name, "parent": {"id": parent.id}},
                    }
                )
            nxt += groups
        frontier = nxt
    return out


async def get_descendants(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        mg = _readable(api, call)
        return ok(api.page(call, descendants_of(t, mg), MANAGEMENT_GROUPS_PAGE_SIZE, top=True))
