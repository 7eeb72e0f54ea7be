"""Metadata, tenants, subscriptions, resource groups and resources."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from tui.emulator import rbac
from tui.emulator.arm.call import ArmCall, ok
from tui.emulator.arm.errors import authorization_failed, bad_request, resource_group_not_found, resource_not_found
from tui.emulator.arm.filters import FilterError, resource_predicate, tag_predicate
from tui.emulator.arm.paging import RESOURCE_GROUPS_PAGE_SIZE, RESOURCES_PAGE_SIZE, SUBSCRIPTIONS_PAGE_SIZE
from tui.emulator.arm.shapes import generic_resource_json, resource_group_json, resource_text, subscription_json
from tui.emulator.tenant import Resource, Tenant, arm_key
from tui.emulator.wire import ApiError, json_text_response

if TYPE_CHECKING:
    from tui.emulator.arm.api import ArmApi


async def get_metadata(api: ArmApi, call: ArmCall) -> web.Response:
    ctx = api.ctx
    return ok(
        {
            "portal": "https://portal.azure.com",
            "authentication": {
                "loginEndpoint": ctx.login_url,
                "audiences": [
                    f"{ctx.arm_url}/",
                    "https://management.core.windows.net/",
                    "https://management.azure.com/",
                ],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "media": "https://rest.media.azure.net",
            "graphAudience": f"{ctx.graph_url}/",
            "graph": f"{ctx.graph_url}/",
            "name": "MituiSandbox",
            "suffixes": {
                "azureDataLakeStoreFileSystem": "azuredatalakestore.net",
                "acrLoginServer": "azurecr.io",
                "sqlServerHostname": "database.windows.net",
                "azureDataLakeAnalyticsCatalogAndJob": "azuredatalakeanalytics.net",
                "keyVaultDns": "vault.azure.net",
                "storage": "core.windows.net",
                "azureFrontDoorEndpointSuffix": "azurefd.net",
                "storageSyncEndpointSuffix": "afs.azure.net",
                "mhsmDns": "managedhsm.azure.net",
                "mysqlServerEndpoint": "mysql.database.azure.com",
                "postgresqlServerEndpoint": "postgres.database.azure.com",
                "mariadbServerEndpoint": "mariadb.database.azure.com",
                "synapseAnalytics": "dev.azuresynapse.net",
                "attestationEndpoint": "attest.azure.net",
            },
            "batch": "https://batch.core.windows.net/",
            "resourceManager": f"{ctx.arm_url}/",
            "vmImageAliasDoc": "https://raw.githubusercontent.com/Azure/azure-rest-api-specs/main/arm-compute/"
            "quickstart-templates/aliases.json",
            "activeDirectoryDataLake": "https://datalake.azure.net/",
            "sqlManagement": "https://management.core.windows.net:8443/",
            "microsoftGraphResourceId": f"{ctx.graph_url}/",
            "appInsightsResourceId": "https://api.applicationinsights.io",
            "appInsightsTelemetryChannelResourceId": "https://dc.applicationinsights.azure.com/v2/track",
            "attestationResourceId": "https://attest.azure.net",
            "synapseAnalyticsResourceId": "https://dev.azuresynapse.net",
            "logAnalyticsResourceId": "https://api.loganalytics.io",
            "ossrDbmsResourceId": "https://ossrdbms-aad.database.windows.net",
        }
    )


async def list_tenants(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    return ok(
        {
            "value": [
                {
                    "id": f"/tenants/{t.tenant_id}",
                    "tenantId": t.tenant_id,
                    "countryCode": "US",
                    "displayName": t.default_domain.split(".")[0].capitalize(),
                    "domains": [t.default_domain],
                    "tenantCategory": "Home",
                    "defaultDomain": t.default_domain,
                    "tenantType": "AAD",
                }
            ]
        }
    )


async def list_subscriptions(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    with t.lock:
        items = [
            subscription_json(s, t)
            for s in t.subscriptions.values()
            if rbac.has_any_right_in(t, call.caller.id, f"/subscriptions/{s.subscription_id}")
        ]
    return ok(api.page(call, items, SUBSCRIPTIONS_PAGE_SIZE))


async def get_subscription(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        scope = f"/subscriptions/{sub.subscription_id}"
        if not rbac.has_any_right_in(t, call.caller.id, scope):
            raise authorization_failed(call, "Microsoft.Resources/subscriptions/read", scope)
        return ok(subscription_json(sub, t))


async def list_resource_groups(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    node = api.parse(call)
    tag_pred = tag_predicate(node)
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        scope = f"/subscriptions/{sub.subscription_id}"
        if not rbac.has_any_right_in(t, call.caller.id, scope):
            raise authorization_failed(call, "Microsoft.Resources/subscriptions/resourceGroups/read", scope)
        items = [
            resource_group_json(rg)
            for rg in t.resource_groups.values()
            if rg.subscription_id.lower() == sub.subscription_id.lower()
            and tag_pred(rg.tags)
            and api.can(call, "Microsoft.Resources/subscriptions/resourceGroups/read", rg.id)
        ]
    return ok(api.page(call, items, RESOURCE_GROUPS_PAGE_SIZE, top=True))


async def get_resource_group(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        name = call.params["resourceGroupName"]
        scope = f"/subscriptions/{sub.subscription_id}/resourceGroups/{name}"
        api.require(call, "Microsoft.Resources/subscriptions/resourceGroups/read", scope)
        rg = api.resource_group(sub.subscription_id, name)
        if rg is None:
            raise resource_group_not_found(name)
        if call.method == "HEAD":
            return web.Response(status=204)
        return ok(resource_group_json(rg))


_ResourceIndex = tuple[tuple[int, str | None], dict[str, list[str]]]
_resource_indexes: weakref.WeakKeyDictionary[Tenant, _ResourceIndex] = weakref.WeakKeyDictionary()


def resources_under(t: Tenant, prefix: str) -> list[Resource]:
    """The resources whose key starts with ``prefix`` (``arm_key(scope) + "/"`` of a subscription or a group
    below it), in the tenant's order, through an index by subscription: a listing per subscription then costs
    that subscription's resources, not the tenant's. The index is rebuilt when the tenant's resources change
    (their count or the last one added; every change goes through the builder, which adds at the end)."""
    stamp = (len(t.resources), next(reversed(t.resources), None))
    entry = _resource_indexes.get(t)
    if entry is None or entry[0] != stamp:
        by_sub: dict[str, list[str]] = {}
        for key in t.resources:
            parts = key.split("/", 3)
            if len(parts) > 2 and parts[1] == "subscriptions":
                by_sub.setdefault(parts[2], []).append(key)
        entry = (stamp, by_sub)
        _resource_indexes[t] = entry
    parts = prefix.split("/", 3)
    keys = entry[1].get(parts[2], []) if len(parts) > 2 and parts[1] == "subscriptions" else []
    out = []
    for key in keys:
        if key.startswith(prefix):
            res = t.resources.get(key)
            if res is not None:
                out.append(res)
    return out


def readable_below(
    api: ArmApi, call: ArmCall, scope: str, action_of: Callable[[Resource], str]
) -> Callable[[Resource], bool]:
    """Whether the caller may read a resource below ``scope``: an assignment at or above ``scope`` applies to
    all of them, so that is checked once per action; each resource is checked on its own only when it is not."""
    at_scope: dict[str, bool] = {}  # by resource type (the action follows from it)

    def readable(res: Resource) -> bool:
        ok_ = at_scope.get(res.type)
        if ok_ is None:
            ok_ = at_scope[res.type] = api.can(call, action_of(res), scope)
        return ok_ or api.can(call, action_of(res), res.id)

    return readable


async def list_resources(api: ArmApi, call: ArmCall) -> web.Response:
    assert call.caller is not None
    t = api.tenant
    node = api.parse(call)
    try:
        pred = resource_predicate(node, t)
    except FilterError as e:
        raise bad_request("InvalidFilter", f"Invalid $filter '{call.query.get('$filter')}': {e}") from e
    expand = frozenset(x.strip().lower() for x in call.query.get("$expand", "").split(",") if x.strip())
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        rg_name = call.params.get("resourceGroupName")
        if rg_name is None:
            scope = f"/subscriptions/{sub.subscription_id}"
            if not rbac.has_any_right_in(t, call.caller.id, scope):
                raise authorization_failed(call, "Microsoft.Resources/subscriptions/resources/read", scope)
            prefix = arm_key(scope) + "/"
        else:
            scope = f"/subscriptions/{sub.subscription_id}/resourceGroups/{rg_name}"
            if not rbac.has_any_right_in(t, call.caller.id, scope):
                raise authorization_failed(
                    call, "Microsoft.Resources/subscriptions/resourceGroups/resources/read", scope
                )
            if api.resource_group(sub.subscription_id, rg_name) is None:
                raise resource_group_not_found(rg_name)
            prefix = arm_key(scope) + "/"
        readable = readable_below(api, call, scope, lambda r: f"{r.type}/read")
        try:
            items = [res for res in resources_under(t, prefix) if pred(res) and readable(res)]
        except FilterError as e:
            raise bad_request("InvalidFilter", str(e)) from e
        encode = (lambda chunk: [resource_text(r, t, expand) for r in chunk]) if expand else api.resource_texts.texts
        text = api.page_text(call, items, RESOURCES_PAGE_SIZE, encode, top=True)
        return json_text_response(text)


async def get_generic_resource(api: ArmApi, call: ArmCall) -> web.Response:
    t = api.tenant
    rid = call.params["resourceId"]
    with t.lock:
        api.subscription(call.params["subscriptionId"])
        res = t.resource(rid)
        parts = rid.strip("/").split("/")
        typ = "/".join([parts[5]] + parts[6::2]) if len(parts) > 6 else ""
        api.require(call, f"{res.type if res else typ}/read", rid)
        if res is None:
            if api.resource_group(call.params["subscriptionId"], call.params["resourceGroupName"]) is None:
                raise resource_group_not_found(call.params["resourceGroupName"])
            raise resource_not_found(typ, parts[-1], call.params["resourceGroupName"])
        if call.method == "HEAD":
            return web.Response(status=204)
        return ok(generic_resource_json(res, t))


# The api-versions the sandbox lists for every resource type of a provider (it serves any dated version; a client
# that discovers versions, as az does, picks the newest stable one).
PROVIDER_API_VERSIONS = ["2024-01-01", "2023-11-01", "2023-06-01-preview", "2022-09-01"]


async def get_provider(api: ArmApi, call: ArmCall) -> web.Response:
    """``Providers_Get``: a resource provider's registration and its resource types (those the tenant hosts)."""
    assert call.caller is not None
    t = api.tenant
    namespace = call.params["resourceProviderNamespace"]
    with t.lock:
        sub = api.subscription(call.params["subscriptionId"])
        scope = f"/subscriptions/{sub.subscription_id}"
        if not rbac.has_any_right_in(t, call.caller.id, scope):
            raise authorization_failed(call, "Microsoft.Resources/subscriptions/providers/read", scope)
        types: dict[str, set[str]] = {}
        for res in t.resources.values():
            provider, _, rest = res.type.partition("/")
            if provider.lower() == namespace.lower() and rest:
                types.setdefault(rest, set()).add(res.location)
        if not types and not namespace.lower().startswith("microsoft."):
            raise ApiError(404, "InvalidResourceNamespace", f"The resource namespace '{namespace}' is invalid.")
        name = next(
            (
                r.type.partition("/")[0]
                for r in t.resources.values()
                if r.type.lower().startswith(namespace.lower() + "/")
            ),
            namespace,
        )
        return ok(
            {
                "id": f"{scope}/providers/{name}",
                "namespace": name,
                "registrationState": "Registered",
                "registrationPolicy": "RegistrationRequired",
                "resourceTypes": [
                    {"resourceType": rt, "locations": sorted(locs), "apiVersions": list(PROVIDER_API_VERSIONS)}
                    for rt, locs in sorted(types.items())
                ],
            }
        )
