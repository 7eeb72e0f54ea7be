"""The Backend of the service layer over the real SDKs: azure-mgmt-* for ARM, msgraph-sdk for Graph.

One thin method per Backend call (tui.services.backend): it validates its arguments, names the request and its
converter (tui.azure.wire); reading to the end and ``$batch`` are in tui.azure.paging, the writes in
tui.azure.writes, the clients and the error mapping in tui.azure.calls. Every method returns domain models and
raises only tui.services.errors. Every listing follows every page; page sizes are at their maximum; nothing is
requested per identity.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from tui.azure import lifecycle, records, wire, writes
from tui.azure.automation import AutomationCalls
from tui.azure.calls import Calls, answer_json
from tui.azure.paging import arm_pages, batched_collections, graph_body, graph_json, graph_pages
from tui.azure.resource_graph import (
    IDENTITY_RESOURCES,
    ROLE_ASSIGNMENTS,
    ROLE_ASSIGNMENTS_ABOVE,
    SUBSCRIPTION_GROUPS,
    query_rows,
)
from tui.azure.usage import UsageReads
from tui.services.backend import (
    GET_BY_IDS_MAX,
    ArmResource,
    DirectoryIdentity,
    DirectoryObject,
    DirectoryRoleListing,
    Written,
)
from tui.services.errors import NotFound
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    DirectoryRoleDefinition,
    FederatedCredential,
    Group,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
    Subscription,
)
from tui.services.odata import arm_id, eq, guid, is_guid, quote
from tui.services.offload import gather_limited
from tui.services.scopes import resource_group_of, scope_level

GRAPH_PAGE = 999
IDENTITIES_AHEAD_FRESH_S = 30.0  # a first page of identities asked for ahead is taken this long at most
# The api-versions the SDK clients send (azure-mgmt-resource 26, azure-mgmt-authorization 4 profile 2022-04-01,
# azure-mgmt-msi 7), for the listings read as plain JSON.
SUBSCRIPTIONS_API = "2022-12-01"
RESOURCES_API = "2025-04-01"
AUTHORIZATION_API = "2022-04-01"
MSI_API = "2024-11-30"
MANAGEMENT_GROUPS_API = "2023-04-01"  # management.json (Microsoft.Management) stable
MANAGEMENT_GROUPS = "/providers/Microsoft.Management/managementGroups"
MI_SELECT = ["id", "appId", "displayName", "servicePrincipalType", "alternativeNames"]
APP_SELECT = ["id", "appId", "displayName", "servicePrincipalType", "appRoles"]
ALL_APPS = "servicePrincipalType eq 'Application'"
# unifiedRoleDefinition / unifiedRoleAssignment (v1.0 resources/unifiedroledefinition.md, unifiedroleassignment.md):
# the fields tui.services.directory_roles and the joins read
DIRECTORY_ROLE_SELECT = ["id", "displayName", "description", "isBuiltIn", "rolePermissions"]
DIRECTORY_ROLE_ASSIGNMENT_SELECT = ["id", "principalId", "roleDefinitionId", "directoryScopeId"]
# group-list-transitivemembers.md: an OData cast needs the advanced query parameters, this header and $count=true
# (without them Graph answers the servicePrincipal cast with an empty collection)
ADVANCED_QUERY = {"ConsistencyLevel": "eventual"}


class AzureBackend(UsageReads, AutomationCalls, Calls):
    """Implements tui.services.backend.Backend."""

    # (read_identities_ahead) when it was asked for, and the page's body
    _identities_ahead: tuple[float, asyncio.Future[bytes | None]] | None = None

    async def close(self) -> None:
        if self._identities_ahead is not None:
            _forget(self._identities_ahead[1])
            self._identities_ahead = None
        await super().close()

    # --- ARM reads ----------------------------------------------------------------------------------------------
    async def list_subscriptions(self) -> list[Subscription]:
        subs = await arm_pages(self, "/subscriptions", {"api-version": SUBSCRIPTIONS_API}, wire.subscription)
        subs.sort(key=lambda s: (s.display_name.lower(), s.id))
        return subs

    async def list_resources(self, subscription_id: str) -> list[ArmResource]:
        sub = guid(subscription_id, "subscription id")
        url = f"/subscriptions/{sub}/resources"
        return await arm_pages(self, url, {"api-version": RESOURCES_API}, records.RESOURCES)

    async def list_user_assigned_identities(self, subscription_id: str) -> list[ArmResource]:
        sub = guid(subscription_id, "subscription id")
        url = f"/subscriptions/{sub}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
        return await arm_pages(self, url, {"api-version": MSI_API}, records.RESOURCES)

    async def list_role_assignments(self, subscription_id: str) -> list[RoleAssignment]:
        sub = guid(subscription_id, "subscription id")
        url = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments"
        return await arm_pages(self, url, {"api-version": AUTHORIZATION_API}, records.ROLE_ASSIGNMENTS)

    async def query_identity_resources(self, subscription_ids: list[str]) -> list[ArmResource]:
        subs = [guid(s, "subscription id") for s in subscription_ids]
        return await query_rows(self, IDENTITY_RESOURCES, subs, records.RESOURCES)

    async def query_role_assignments(self, subscription_ids: list[str] | None) -> list[RoleAssignment]:
        if subscription_ids is None:
            return await query_rows(self, ROLE_ASSIGNMENTS_ABOVE, None, records.ROLE_ASSIGNMENTS)
        subs = [guid(s, "subscription id") for s in subscription_ids]
        return await query_rows(self, ROLE_ASSIGNMENTS, subs, records.ROLE_ASSIGNMENTS)

    async def query_subscription_groups(self, subscription_ids: list[str]) -> dict[str, list[str]]:
        subs = [guid(s, "subscription id") for s in subscription_ids]
        rows = await query_rows(self, SUBSCRIPTION_GROUPS, subs)
        out: dict[str, list[str]] = {}
        for row in rows:
            chain = row.get("chain") if isinstance(row.get("chain"), list) else []
            names = [str(g.get("name")).lower() for g in chain if isinstance(g, dict) and g.get("name")]
            out[str(row.get("subscriptionId") or "").lower()] = names
        return out

    async def list_role_assignments_for_principal(self, scope: str, principal_id: str) -> list[RoleAssignment]:
        scope, pid = arm_id(scope), guid(principal_id, "principal id")
        url = f"{'' if scope == '/' else scope}/providers/Microsoft.Authorization/roleAssignments"
        params = {"$filter": f"principalId eq {quote(pid)}", "api-version": AUTHORIZATION_API}
        return await arm_pages(self, url, params, wire.role_assignment)

    async def get_role_assignment(self, assignment_id: str) -> RoleAssignment | None:
        rid = arm_id(assignment_id, "role assignment id")
        client = self.arm.authorization()
        try:
            ra = await self.arm_call(lambda: client.role_assignments.get_by_id(rid, cls=answer_json))
        except NotFound:
            return None
        return wire.role_assignment(ra) if ra is not None else None

    async def list_role_definitions(self, scope: str, role_type: str | None = None) -> list[RoleDefinition]:
        scope = arm_id(scope)
        params = {"api-version": AUTHORIZATION_API}
        if role_type:
            params["$filter"] = eq("type", role_type)
        url = f"{'' if scope == '/' else scope}/providers/Microsoft.Authorization/roleDefinitions"
        return await arm_pages(self, url, params, wire.role_definition)

    async def list_federated_credentials(self, identity_resource_id: str) -> list[FederatedCredential]:
        rid = arm_id(identity_resource_id, "identity id")
        parts = rid.split("/")
        sub, rg, name = parts[2], resource_group_of(rid) or "", parts[-1]
        url = (
            f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
            f"{name}/federatedIdentityCredentials"
        )
        return await arm_pages(self, url, {"api-version": MSI_API}, wire.federated_credential)

    async def child_scopes(self, scope: str) -> list[tuple[str, str, ScopeLevel]]:
        scope = arm_id(scope)
        level = scope_level(scope)
        parts = scope.split("/")
        if level is ScopeLevel.SUBSCRIPTION:
            url = f"/subscriptions/{parts[2]}/resourcegroups"
            groups = await arm_pages(self, url, {"api-version": RESOURCES_API}, wire.resource)
            out = [(g.id, g.name, ScopeLevel.RESOURCE_GROUP) for g in groups]
        elif level is ScopeLevel.RESOURCE_GROUP:
            url = f"/subscriptions/{parts[2]}/resourcegroups/{parts[4]}/resources"
            items = await arm_pages(self, url, {"api-version": RESOURCES_API}, wire.resource)
            out = [(r.id, f"{r.name} ({r.type})", ScopeLevel.RESOURCE) for r in items]
        elif level is ScopeLevel.ROOT:
            groups = await arm_pages(self, MANAGEMENT_GROUPS, {"api-version": MANAGEMENT_GROUPS_API}, wire.scope_item)
            root = [g for g in groups if g[0].lower() == f"{MANAGEMENT_GROUPS}/{self.tenant_id}".lower()]
            out = root or groups  # the tenant root group, else every group the caller sees
        elif level is ScopeLevel.MANAGEMENT_GROUP:
            # descendants (management.json 2023-04-01), every page; the children are those whose parent is this group
            url = f"{scope}/descendants"
            items = await arm_pages(self, url, {"api-version": MANAGEMENT_GROUPS_API}, wire.descendant)
            key = scope.lower()
            out = [(sid, name, lvl) for sid, name, lvl, parent in items if parent.lower() == key]
        else:
            out = []
        out.sort(key=lambda t: t[1].lower())
        return out

    # --- Graph reads --------------------------------------------------------------------------------------------
    def _service_principals(self, flt: str, select: list[str]) -> Any:
        """The request for every service principal matching ``flt`` (OData), ``select``-ed, by the largest page."""
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.service_principals.service_principals_request_builder import (
            ServicePrincipalsRequestBuilder,
        )

        qp = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=flt, select=select, top=GRAPH_PAGE
        )
        return self.graph.service_principals.to_get_request_information(RequestConfiguration(query_parameters=qp))

    async def list_managed_identity_principals(
        self, on_page: Callable[[list[DirectoryIdentity]], None] | None = None
    ) -> list[DirectoryIdentity]:
        info = self._service_principals("servicePrincipalType eq 'ManagedIdentity'", MI_SELECT)
        first, self._identities_ahead = self._identities_ahead, None
        if first is not None and time.monotonic() - first[0] > IDENTITIES_AHEAD_FRESH_S:
            _forget(first[1])  # (asked for too long ago: read afresh)
            first = None
        # (the longest chain of a load, and the first rows a table shows: decoded ahead of the other pages)
        return await graph_pages(
            self, info, records.MANAGED_IDENTITIES, on_page=on_page, urgent=True, first=first[1] if first else None
        )

    def read_identities_ahead(self) -> None:
        if self._identities_ahead is not None:
            return
        info = self._service_principals("servicePrincipalType eq 'ManagedIdentity'", MI_SELECT)
        page = asyncio.ensure_future(graph_body(self, info))
        page.add_done_callback(lambda f: f.cancelled() or f.exception())  # (a failed one is asked for again)
        self._identities_ahead = (time.monotonic(), page)

    async def list_resource_apps(self) -> list[ResourceApp]:
        return [
            wire.resource_app(sp)
            for sp in await graph_pages(self, self._service_principals(ALL_APPS, APP_SELECT))
            if sp.get("appRoles")
        ]

    async def get_resource_app(self, app_id: str) -> ResourceApp | None:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.service_principals_with_app_id.service_principals_with_app_id_request_builder import (
            ServicePrincipalsWithAppIdRequestBuilder,
        )

        app_id = guid(app_id, "application (client) id")
        qp = ServicePrincipalsWithAppIdRequestBuilder.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters(
            select=APP_SELECT
        )
        builder = self.graph.service_principals_with_app_id(app_id)
        try:
            sp = await graph_json(self, builder.to_get_request_information(RequestConfiguration(query_parameters=qp)))
        except NotFound:
            return None
        return wire.resource_app(sp) if isinstance(sp, dict) else None

    async def search_resource_apps(self, text: str) -> list[ResourceApp]:
        text = text.strip()
        if is_guid(text):
            app = await self.get_resource_app(text)
            return [app] if app and app.app_roles else []
        flt = f"startswith(displayName,{quote(text)})" if text else ALL_APPS
        items = await graph_pages(self, self._service_principals(flt, APP_SELECT))
        apps = [wire.resource_app(sp) for sp in items if sp.get("appRoles")]
        apps.sort(key=lambda a: a.display_name.lower())
        return apps

    async def list_app_role_assigned_to(self, resource_ids: list[str]) -> list[AppRoleAssignment]:
        ids = [guid(r, "service principal id") for r in resource_ids]
        urls = {rid: f"/servicePrincipals/{rid}/appRoleAssignedTo?$top={GRAPH_PAGE}" for rid in ids}
        # (tens of thousands of grants: decoded straight into records, converted in the CPU worker)
        pages = await batched_collections(self, urls, convert=records.APP_ROLE_GRANTS)
        return [g for rid in ids for g in pages.get(rid, [])]

    async def list_app_role_assignments(self, principal_ids: list[str]) -> dict[str, list[AppRoleAssignment]]:
        ids = [guid(p, "principal id") for p in principal_ids]
        if len(ids) == 1:  # a single identity (planning a change): one plain request
            builder = self.graph.service_principals.by_service_principal_id(ids[0]).app_role_assignments
            return {ids[0]: await graph_pages(self, builder.to_get_request_information(), records.APP_ROLE_GRANTS)}
        urls = {pid: f"/servicePrincipals/{pid}/appRoleAssignments?$top={GRAPH_PAGE}" for pid in ids}
        pages = await batched_collections(self, urls, convert=records.APP_ROLE_GRANTS)
        return {pid: pages.get(pid, []) for pid in ids}

    async def list_directory_role_assignments_of(self, principal_id: str) -> list[DirectoryRoleAssignment]:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.role_management.directory.role_assignments.role_assignments_request_builder import (
            RoleAssignmentsRequestBuilder,
        )

        pid = guid(principal_id, "principal id")
        qp = RoleAssignmentsRequestBuilder.RoleAssignmentsRequestBuilderGetQueryParameters(
            filter=f"principalId eq {quote(pid)}"
        )
        builder = self.graph.role_management.directory.role_assignments
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=qp))
        return [a for a, _ in await graph_pages(self, info, wire.directory_role_assignment)]

    async def existing_object_ids(self, object_ids: list[str]) -> set[str]:
        return set(await self.get_directory_objects(object_ids))

    async def get_directory_objects(self, object_ids: list[str]) -> dict[str, DirectoryObject]:
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation

        ids = list(dict.fromkeys(guid(i, "object id").lower() for i in object_ids))
        found: dict[str, DirectoryObject] = {}

        async def chunk(part: list[str]) -> None:
            # (plain JSON, as the listings: kiota would build a model of every user, group and service principal)
            info = RequestInformation()
            info.http_method = Method.POST
            info.url = self.graph.request_adapter.base_url.rstrip("/") + "/directoryObjects/getByIds"
            info.set_stream_content(json.dumps({"ids": part}).encode(), "application/json")
            answer = await graph_json(self, info)
            for item in answer.get("value") or () if isinstance(answer, dict) else ():
                if isinstance(item, dict):
                    obj = wire.directory_object(item)
                    found[obj.id.lower()] = obj

        parts = [ids[i : i + GET_BY_IDS_MAX] for i in range(0, len(ids), GET_BY_IDS_MAX)]
        await gather_limited([chunk(p) for p in parts], self.concurrency)
        return found

    async def list_directory_role_definitions(self) -> list[DirectoryRoleDefinition]:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.role_management.directory.role_definitions.role_definitions_request_builder import (
            RoleDefinitionsRequestBuilder,
        )

        qp = RoleDefinitionsRequestBuilder.RoleDefinitionsRequestBuilderGetQueryParameters(select=DIRECTORY_ROLE_SELECT)
        builder = self.graph.role_management.directory.role_definitions
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=qp))
        return await graph_pages(self, info, wire.directory_role_definition)

    async def list_directory_role_assignments(self) -> DirectoryRoleListing:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.role_management.directory.role_assignments.role_assignments_request_builder import (
            RoleAssignmentsRequestBuilder,
        )

        qp = RoleAssignmentsRequestBuilder.RoleAssignmentsRequestBuilderGetQueryParameters(
            select=DIRECTORY_ROLE_ASSIGNMENT_SELECT, expand=["principal"]
        )
        builder = self.graph.role_management.directory.role_assignments
        info = builder.to_get_request_information(RequestConfiguration(query_parameters=qp))
        listing = DirectoryRoleListing()
        groups: dict[str, Group] = {}
        for assignment, principal in await graph_pages(self, info, wire.directory_role_assignment):
            kind = principal.kind if principal is not None else ""
            if kind == "group":
                groups.setdefault(principal.id.lower(), principal.as_group())
            if kind in ("servicePrincipal", "group"):
                listing.assignments.append(assignment)
        listing.groups.extend(groups.values())
        return listing

    async def list_group_service_principal_members(self, group_ids: list[str]) -> dict[str, list[str]]:
        ids = list(dict.fromkeys(guid(g, "group id").lower() for g in group_ids))
        urls = {
            gid: f"/groups/{gid}/transitiveMembers/microsoft.graph.servicePrincipal?$select=id&$count=true"
            f"&$top={GRAPH_PAGE}"
            for gid in ids
        }
        pages = await batched_collections(self, urls, ADVANCED_QUERY)
        return {gid: [_s_lower(m.get("id")) for m in pages.get(gid, []) if m.get("id")] for gid in ids}

    # --- writes -------------------------------------------------------------------------------------------------
    async def create_role_assignment(
        self,
        scope: str,
        name: str,
        role_definition_id: str,
        principal_id: str,
        *,
        condition: str | None = None,
        condition_version: str | None = None,
        description: str | None = None,
    ) -> Written:
        return await writes.create_role_assignment(
            self,
            scope,
            name,
            role_definition_id,
            principal_id,
            condition=condition,
            condition_version=condition_version,
            description=description,
        )

    async def delete_role_assignment(self, assignment_id: str) -> Written:
        return await writes.delete_role_assignment(self, assignment_id)

    async def create_app_role_assignment(self, principal_id: str, resource_id: str, app_role_id: str) -> Written:
        return await writes.create_app_role_assignment(self, principal_id, resource_id, app_role_id)

    async def delete_app_role_assignment(self, principal_id: str, assignment_id: str) -> Written:
        return await writes.delete_app_role_assignment(self, principal_id, assignment_id)

    async def create_directory_role_assignment(
        self, principal_id: str, role_definition_id: str, directory_scope_id: str = "/"
    ) -> Written:
        return await writes.create_directory_role_assignment(self, principal_id, role_definition_id, directory_scope_id)

    async def delete_directory_role_assignment(self, assignment_id: str) -> Written:
        return await writes.delete_directory_role_assignment(self, assignment_id)

    # --- the identity's life ----------------------------------------------------------------------------------------
    async def resource_api_version(self, resource_id: str) -> str:
        return await lifecycle.resource_api_version(self, resource_id)

    async def get_resource(self, resource_id: str, api_version: str | None = None) -> ArmResource | None:
        return await lifecycle.get_resource(self, resource_id, api_version)

    async def update_resource_identity(
        self, resource_id: str, identity: dict, api_version: str | None = None
    ) -> Written:
        return await lifecycle.update_resource_identity(self, resource_id, identity, api_version)

    async def get_user_assigned_identity(self, identity_id: str) -> ArmResource | None:
        return await lifecycle.get_user_assigned_identity(self, identity_id)

    async def create_user_assigned_identity(
        self, subscription_id: str, resource_group: str, name: str, location: str, tags: dict[str, str]
    ) -> Written:
        return await lifecycle.create_user_assigned_identity(
            self, subscription_id, resource_group, name, location, tags
        )

    async def delete_user_assigned_identity(self, identity_id: str) -> Written:
        return await lifecycle.delete_user_assigned_identity(self, identity_id)

    async def create_federated_credential(
        self, identity_id: str, name: str, issuer: str, subject: str, audiences: list[str]
    ) -> Written:
        return await lifecycle.create_federated_credential(self, identity_id, name, issuer, subject, audiences)

    async def delete_federated_credential(self, identity_id: str, name: str) -> Written:
        return await lifecycle.delete_federated_credential(self, identity_id, name)


def _s_lower(value: Any) -> str:
    return str(value).lower()


def _forget(page: asyncio.Future[bytes | None]) -> None:
    """A page asked for ahead that nobody takes: cancelled if still on its way."""
    if not page.done():
        page.cancel()
