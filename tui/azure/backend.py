"""The Backend of the service layer over the real SDKs: azure-mgmt-* for ARM, msgraph-sdk for Graph.

Every method returns domain models and raises only tui.services.errors (through :func:`map_error`).
Every listing follows every page; page sizes are at their maximum; nothing is requested per identity.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

from tui.azure.arm import ArmClients
from tui.azure.clouds import Cloud
from tui.azure.errors import map_error
from tui.azure.policies import Gate, gather_limited
from tui.services.backend import ArmResource, DirectoryIdentity, Written
from tui.services.errors import MituiError, NotFound, ServiceError, Throttled, Unreachable
from tui.services.models import (
    AppRole,
    AppRoleAssignment,
    Caller,
    FederatedCredential,
    Privilege,
    ResourceApp,
    RoleAssignment,
    RoleDefinition,
    ScopeLevel,
    Subscription,
)
from tui.services.odata import arm_id, eq, guid, is_guid, quote
from tui.services.offload import off_loop
from tui.services.scopes import resource_group_of, scope_level

T = TypeVar("T")
GRAPH_PAGE = 999
GRAPH_BATCH = 20
GET_BY_IDS_MAX = 1000
# The api-versions the SDK clients send (azure-mgmt-resource 26, azure-mgmt-authorization 4 profile 2022-04-01),
# for the bulk listings read as plain JSON below.
RESOURCES_API = "2025-04-01"
AUTHORIZATION_API = "2022-04-01"
READ_ATTEMPTS = 4  # reading an ARM page's body (the pipeline retries everything before it)
MI_SELECT = ["id", "appId", "displayName", "servicePrincipalType", "alternativeNames"]
APP_SELECT = ["id", "appId", "displayName", "servicePrincipalType", "appRoles"]


def _s(value: Any) -> str:
    return value if type(value) is str else "" if value is None else str(value)  # noqa: E721 - exact str: fast path


def _enum_text(value: Any) -> str:
    """An SDK enum's wire value (``"Enabled"``), not its ``str()`` (``"SubscriptionState.ENABLED"``); any other
    value as text (the SDK keeps values it does not know as plain strings)."""
    return _s(value.value if isinstance(value, Enum) else value)


def _tags(tags: Any) -> tuple[tuple[str, str], ...]:
    if not tags:
        return ()
    items = tags.items() if isinstance(tags, dict) else dict(tags).items()
    out = [(k if type(k) is str else str(k), v if type(v) is str else _s(v)) for k, v in items]  # noqa: E721
    if len(out) > 1:
        out.sort()
    return tuple(out)


def _decode_page(
    body: bytes | None, convert: Callable[[dict], Any] | None, next_link: str
) -> tuple[list[Any], str | None]:
    """(the items of an ARM or Graph page, ``convert``-ed; the link to the next page, under ``next_link``)."""
    import json

    page = json.loads(body or b"{}")
    if not isinstance(page, dict):
        raise ValueError("not a JSON object")
    values = [v for v in page.get("value") or [] if isinstance(v, dict)]
    return ([convert(v) for v in values] if convert else values), page.get(next_link)


class AzureBackend:
    """Implements tui.services.backend.Backend."""

    def __init__(
        self,
        credential: Any,
        cloud: Cloud,
        caller: Caller,
        tenant_id: str,
        *,
        ca_file: str | None = None,
        read_only: bool = False,
        graph_max_retries: int = 3,
        concurrency: int = 32,
    ) -> None:
        self.credential = credential
        self.cloud = cloud
        self.cloud_name = cloud.name
        self.caller = caller
        self.tenant_id = tenant_id
        self.graph_url = cloud.graph_url
        self.arm_url = cloud.arm_url
        self.ca_file = ca_file
        self.gate = Gate(read_only)
        self.concurrency = concurrency
        self.batch_size = GRAPH_BATCH
        self.arm = ArmClients(credential, cloud, ca_file, self.gate)
        self._graph: Any = None
        self._graph_http: Any = None
        self._graph_max_retries = graph_max_retries

    @property
    def read_only(self) -> bool:
        return self.gate.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self.gate.read_only = value

    def set_retry_listener(self, listener: Callable[[str], None] | None) -> None:
        self.gate.retry_listener = listener

    # --- plumbing -----------------------------------------------------------------------------------------------
    @property
    def graph(self) -> Any:
        if self._graph is None:
            from tui.azure.graph import make_graph_client

            self._graph, self._graph_http = make_graph_client(
                self.credential,
                self.cloud,
                self.ca_file,
                self.gate,
                max_retries=self._graph_max_retries,
                ssl=self.arm.ssl,
            )
        return self._graph

    def prepare(self) -> None:
        """Build what the first reads need — the TLS trust and the Graph client (~0.2 s of CPU; the modules they
        use are imported by tui.azure.connect beforehand) — so that it is not done on the event loop in the middle
        of a load. Call it once, in a worker thread, before the backend is used."""
        _ = self.arm.ssl
        _ = self.graph

    async def _arm(self, what: Callable[[], Awaitable[T]], *, write: bool = False) -> T:
        try:
            return await what()
        except MituiError:
            raise
        except asyncio.CancelledError:
            raise
        except Exception as err:
            raise map_error(err, "Azure Resource Manager", write=write) from None

    async def _graph_call(self, what: Callable[[], Awaitable[T]], *, write: bool = False) -> T:
        """One Graph call. Reads are retried on 5xx, 429 and broken connections (kiota itself retries only
        429/503/504); writes are not: Session.apply reconciles them by reading back."""
        attempts = 1 if write else self._graph_max_retries + 1
        for attempt in range(attempts):
            try:
                return await what()
            except (MituiError, asyncio.CancelledError):
                raise
            except Exception as err:
                mapped = map_error(err, "Microsoft Graph", write=write)
                retriable = isinstance(mapped, ServiceError | Throttled) or (
                    isinstance(mapped, Unreachable) and mapped.code != "CertificateUntrusted"
                )
                if not retriable or attempt == attempts - 1:
                    raise mapped from None
                self.gate.note_retry(f"Microsoft Graph: {mapped.title}")
                await asyncio.sleep(min(0.5 * 2**attempt, 4.0))
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    async def _collect(it: AsyncIterator[Any]) -> list[Any]:
        return [x async for x in it]

    async def _arm_json_pages(
        self, url: str, params: dict[str, str], convert: Callable[[dict], T] | None = None
    ) -> list[Any]:
        """Every item of an ARM collection as plain JSON (or ``convert``-ed), through the SDK client's pipeline
        (auth, retries, the read-only gate) but without the SDK's model deserialization, which costs ~0.4 ms per
        role assignment and ~0.15 ms per resource: seconds for a tenant with tens of thousands of them. Each
        page is decoded and converted in a worker thread, so that the event loop (a UI's) is never held for
        more than a moment."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            IncompleteReadError,
            ResourceExistsError,
            ResourceNotFoundError,
            ServiceResponseError,
        )
        from azure.core.exceptions import map_error as sdk_map_error
        from azure.core.rest import HttpRequest
        from azure.mgmt.core.exceptions import ARMErrorFormat

        client = self.arm.subscriptions()  # any ARM client's pipeline will do: the URL carries everything
        error_map = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}
        request = HttpRequest("GET", url, params=params, headers={"Accept": "application/json"})
        items: list[dict] = []
        while True:

            async def get(request: Any = request) -> Any:
                # stream=True: azure-core's ContentDecodePolicy would otherwise json-decode every page on the
                # event loop, only for this method to decode it again (in a worker thread). The body is then read
                # here, outside the pipeline's retries, so a connection lost while reading is retried here.
                for attempt in range(READ_ATTEMPTS):
                    response = await client.send_request(request, stream=True)
                    try:
                        await response.read()
                        break
                    except (IncompleteReadError, ServiceResponseError):
                        if attempt == READ_ATTEMPTS - 1:
                            raise
                    finally:
                        await response.close()
                    await asyncio.sleep(0.5 * 2**attempt)
                if response.status_code != 200:
                    sdk_map_error(status_code=response.status_code, response=response, error_map=error_map)
                    raise HttpResponseError(response=response, error_format=ARMErrorFormat)
                return response.body()

            body = await self._arm(get)
            try:
                values, link = await off_loop(_decode_page, body, convert, "nextLink")
            except (ValueError, TypeError, AttributeError) as err:
                raise map_error(ValueError(f"unreadable ARM page: {err}"), "Azure Resource Manager") from None
            items.extend(values)
            if not link:
                return items
            request = HttpRequest("GET", link, headers={"Accept": "application/json"})

    async def _graph_json_pages(self, info: Any, convert: Callable[[dict], T] | None = None) -> list[Any]:
        """Every item of a Graph collection as plain JSON (or ``convert``-ed), through the SDK's request adapter
        (auth, retry, redirects) but without kiota's model parsing, which costs ~13 ms per object (msgraph's Entity
        deserializer map is rebuilt for each one) — far too slow for tens of thousands of identities. Each page is
        decoded and converted in a worker thread, as ARM's are."""
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        adapter = self.graph.request_adapter
        error_map = {"XXX": ODataError}
        info.headers.try_add("Accept", "application/json")
        items: list[Any] = []
        while True:
            raw = await self._graph_call(lambda info=info: adapter.send_primitive_async(info, "bytes", error_map))
            try:
                values, link = await off_loop(_decode_page, raw, convert, "@odata.nextLink")
            except (ValueError, TypeError, AttributeError) as err:
                raise map_error(ValueError(f"unreadable Graph page: {err}"), "Microsoft Graph") from None
            items.extend(values)
            if not link:
                return items
            from kiota_abstractions.request_information import RequestInformation

            nxt = RequestInformation()
            nxt.http_method = info.http_method
            nxt.url = link
            nxt.headers.try_add("Accept", "application/json")
            info = nxt

    # --- ARM reads ----------------------------------------------------------------------------------------------
    async def list_subscriptions(self) -> list[Subscription]:
        client = self.arm.subscriptions()
        subs = await self._arm(lambda: self._collect(client.subscriptions.list()))
        out = [
            Subscription(
                id=_s(s.subscription_id),
                display_name=_s(s.display_name),
                state=_enum_text(getattr(s, "state", None)) or "Enabled",
                tenant_id=_s(getattr(s, "tenant_id", None)) or None,
            )
            for s in subs
        ]
        out.sort(key=lambda s: (s.display_name.lower(), s.id))
        return out

    async def list_resources(self, subscription_id: str) -> list[ArmResource]:
        sub = guid(subscription_id, "subscription id")
        return await self._arm_json_pages(
            f"/subscriptions/{sub}/resources", {"api-version": RESOURCES_API}, self._resource_json
        )

    @staticmethod
    def _resource_json(r: dict) -> ArmResource:
        ident = r.get("identity")
        system_pid = None
        users: dict[str, tuple[str | None, str | None]] = {}
        if isinstance(ident, dict):
            kind = _s(ident.get("type")).lower().replace(" ", "")
            if "systemassigned" in kind or ident.get("principalId"):
                system_pid = _s(ident.get("principalId")) or None
            for uid, v in (ident.get("userAssignedIdentities") or {}).items():
                v = v if isinstance(v, dict) else {}
                users[str(uid)] = (_s(v.get("principalId")) or None, _s(v.get("clientId")) or None)
        props = r.get("properties")
        pid = cid = None
        if isinstance(props, dict):
            pid, cid = props.get("principalId"), props.get("clientId")
        return ArmResource(
            id=_s(r.get("id")),
            name=_s(r.get("name")),
            type=_s(r.get("type")),
            location=_s(r.get("location")) or None,
            tags=_tags(r.get("tags")),
            system_principal_id=system_pid,
            user_assigned=users,
            principal_id=pid,
            client_id=cid,
        )

    @staticmethod
    def _resource(r: Any) -> ArmResource:
        ident = getattr(r, "identity", None)
        system_pid = None
        users: dict[str, tuple[str | None, str | None]] = {}
        if ident is not None:
            kind = _s(getattr(ident, "type", None)).lower()
            if "systemassigned" in kind.replace(" ", "") or getattr(ident, "principal_id", None):
                system_pid = _s(getattr(ident, "principal_id", None)) or None
            for uid, v in (getattr(ident, "user_assigned_identities", None) or {}).items():
                users[str(uid)] = (
                    _s(getattr(v, "principal_id", None)) or None if v is not None else None,
                    _s(getattr(v, "client_id", None)) or None if v is not None else None,
                )
        props = getattr(r, "properties", None)
        pid = cid = None
        if isinstance(props, dict):
            pid, cid = props.get("principalId"), props.get("clientId")
        return ArmResource(
            id=_s(r.id),
            name=_s(r.name),
            type=_s(r.type),
            location=_s(getattr(r, "location", None)) or None,
            tags=_tags(getattr(r, "tags", None)),
            system_principal_id=system_pid,
            user_assigned=users,
            principal_id=pid,
            client_id=cid,
        )

    async def list_user_assigned_identities(self, subscription_id: str) -> list[ArmResource]:
        sub = guid(subscription_id, "subscription id")
        client = self.arm.msi(sub)
        items = await self._arm(lambda: self._collect(client.user_assigned_identities.list_by_subscription()))
        return [
            ArmResource(
                id=_s(u.id),
                name=_s(u.name),
                type="Microsoft.ManagedIdentity/userAssignedIdentities",
                location=_s(u.location) or None,
                tags=_tags(u.tags),
                principal_id=_s(u.principal_id) or None,
                client_id=_s(u.client_id) or None,
            )
            for u in items
        ]

    @staticmethod
    def _assignment(ra: Any) -> RoleAssignment:
        created = getattr(ra, "created_on", None)
        return RoleAssignment(
            id=_s(ra.id),
            name=_s(ra.name),
            scope=_s(ra.scope),
            role_definition_id=_s(ra.role_definition_id),
            principal_id=_s(ra.principal_id),
            principal_type=_s(getattr(ra, "principal_type", None) or "ServicePrincipal"),
            scope_level=scope_level(_s(ra.scope)),
            created_on=created.isoformat() if hasattr(created, "isoformat") else (created or None),
        )

    async def list_role_assignments(self, subscription_id: str) -> list[RoleAssignment]:
        sub = guid(subscription_id, "subscription id")
        return await self._arm_json_pages(
            f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments",
            {"api-version": AUTHORIZATION_API},
            self._assignment_json,
        )

    @staticmethod
    def _assignment_json(ra: dict) -> RoleAssignment:
        # (called for each of tens of thousands of assignments: positional arguments, one dict look-up each)
        props = ra.get("properties")
        get = props.get if isinstance(props, dict) else {}.get
        scope = _s(get("scope"))
        return RoleAssignment(
            _s(ra.get("id")),
            _s(ra.get("name")),
            scope,
            _s(get("roleDefinitionId")),
            _s(get("principalId")),
            _s(get("principalType") or "ServicePrincipal"),
            "",
            scope_level(scope),
            False,
            Privilege.NORMAL,
            _s(get("createdOn")) or None,  # as ARM sends it (ISO 8601)
        )

    async def list_role_assignments_for_principal(self, scope: str, principal_id: str) -> list[RoleAssignment]:
        scope, pid = arm_id(scope), guid(principal_id, "principal id")
        client = self.arm.authorization()
        flt = f"principalId eq {quote(pid)}"
        items = await self._arm(lambda: self._collect(client.role_assignments.list_for_scope(scope, filter=flt)))
        return [self._assignment(ra) for ra in items]

    async def get_role_assignment(self, assignment_id: str) -> RoleAssignment | None:
        rid = arm_id(assignment_id, "role assignment id")
        client = self.arm.authorization()
        try:
            ra = await self._arm(lambda: client.role_assignments.get_by_id(rid))
        except NotFound:
            return None
        return self._assignment(ra) if ra is not None else None

    async def list_role_definitions(self, scope: str, role_type: str | None = None) -> list[RoleDefinition]:
        scope = arm_id(scope)
        params = {"api-version": AUTHORIZATION_API}
        if role_type:
            params["$filter"] = eq("type", role_type)
        prefix = "" if scope == "/" else scope
        items = await self._arm_json_pages(f"{prefix}/providers/Microsoft.Authorization/roleDefinitions", params)
        out = []
        for rd in items:
            props = rd.get("properties") or {}
            perms = [p for p in props.get("permissions") or [] if isinstance(p, dict)]
            out.append(
                RoleDefinition(
                    id=_s(rd.get("id")),
                    name=_s(rd.get("name")),
                    role_name=_s(props.get("roleName")),
                    description=_s(props.get("description")),
                    role_type=_s(props.get("type")) or "BuiltInRole",
                    actions=tuple(a for p in perms for a in (p.get("actions") or [])),
                    not_actions=tuple(a for p in perms for a in (p.get("notActions") or [])),
                    data_actions=tuple(a for p in perms for a in (p.get("dataActions") or [])),
                    not_data_actions=tuple(a for p in perms for a in (p.get("notDataActions") or [])),
                    assignable_scopes=tuple(props.get("assignableScopes") or ()),
                )
            )
        return out

    async def list_federated_credentials(self, identity_resource_id: str) -> list[FederatedCredential]:
        rid = arm_id(identity_resource_id, "identity id")
        parts = rid.split("/")
        sub, rg, name = parts[2], resource_group_of(rid) or "", parts[-1]
        client = self.arm.msi(sub)
        items = await self._arm(lambda: self._collect(client.federated_identity_credentials.list(rg, name)))
        return [
            FederatedCredential(
                name=_s(f.name), issuer=_s(f.issuer), subject=_s(f.subject), audiences=tuple(f.audiences or ())
            )
            for f in items
        ]

    async def child_scopes(self, scope: str) -> list[tuple[str, str, ScopeLevel]]:
        scope = arm_id(scope)
        level = scope_level(scope)
        parts = scope.split("/")
        if level is ScopeLevel.SUBSCRIPTION:
            client = self.arm.resources(parts[2])
            groups = await self._arm(lambda: self._collect(client.resource_groups.list()))
            out = [(_s(g.id), _s(g.name), ScopeLevel.RESOURCE_GROUP) for g in groups]
        elif level is ScopeLevel.RESOURCE_GROUP:
            client = self.arm.resources(parts[2])
            rg = parts[4]
            items = await self._arm(lambda: self._collect(client.resources.list_by_resource_group(rg)))
            out = [(_s(r.id), f"{_s(r.name)} ({_s(r.type)})", ScopeLevel.RESOURCE) for r in items]
        elif level in (ScopeLevel.ROOT, ScopeLevel.MANAGEMENT_GROUP):
            subs = await self.list_subscriptions()
            out = [(s.scope, s.display_name, ScopeLevel.SUBSCRIPTION) for s in subs]
        else:
            out = []
        out.sort(key=lambda t: t[1].lower())
        return out

    # --- ARM writes ---------------------------------------------------------------------------------------------
    async def create_role_assignment(
        self, scope: str, name: str, role_definition_id: str, principal_id: str
    ) -> Written:
        from azure.mgmt.authorization.v2022_04_01.models import RoleAssignmentCreateParameters

        from tui.azure.policies import request_ids

        scope, name, pid = arm_id(scope), guid(name, "assignment name"), guid(principal_id, "principal id")
        rd_id = arm_id(role_definition_id, "role definition id")
        client = self.arm.authorization()
        params = RoleAssignmentCreateParameters(
            role_definition_id=rd_id, principal_id=pid, principal_type="ServicePrincipal"
        )
        ids: list[str] = []
        token = request_ids.set(ids)
        # A write whose answer was lost is not sent again by the SDK (azure-core counts a server disconnect after
        # the request as a connection error, and a retried DELETE answers 204: the removal just made would be
        # logged as "already gone"); Session.apply reads back and decides.
        try:
            ra = await self._arm(
                lambda: client.role_assignments.create(scope, name, params, retry_read=0, retry_connect=0), write=True
            )
        finally:
            request_ids.reset(token)
        return Written(self._assignment(ra), tuple(ids))

    async def delete_role_assignment(self, assignment_id: str) -> Written:
        from tui.azure.policies import request_ids

        rid = arm_id(assignment_id, "role assignment id")
        client = self.arm.authorization()
        ids: list[str] = []
        token = request_ids.set(ids)
        try:
            ra = await self._arm(
                lambda: client.role_assignments.delete_by_id(rid, retry_read=0, retry_connect=0), write=True
            )
        finally:
            request_ids.reset(token)
        return Written(self._assignment(ra) if ra is not None else None, tuple(ids))

    # --- Graph reads --------------------------------------------------------------------------------------------
    async def list_managed_identity_principals(self) -> list[DirectoryIdentity]:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.service_principals.service_principals_request_builder import (
            ServicePrincipalsRequestBuilder,
        )

        qp = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter="servicePrincipalType eq 'ManagedIdentity'", select=MI_SELECT, top=GRAPH_PAGE
        )
        info = self.graph.service_principals.to_get_request_information(RequestConfiguration(query_parameters=qp))
        return await self._graph_json_pages(info, self._directory_identity_json)

    @staticmethod
    def _directory_identity_json(sp: dict) -> DirectoryIdentity:
        explicit, resource_id = False, ""
        for n in sp.get("alternativeNames") or ():
            n = n if type(n) is str else str(n)  # noqa: E721 - exact str: fast path
            if not resource_id and n[:1] == "/":
                resource_id = n
            elif not explicit and len(n) == 15 and n.lower() == "isexplicit=true":
                explicit = True
        return DirectoryIdentity(
            _s(sp.get("id")), _s(sp.get("appId")), _s(sp.get("displayName")), resource_id, explicit
        )

    @staticmethod
    def _app_json(sp: dict) -> ResourceApp:
        roles = tuple(
            AppRole(
                id=_s(r.get("id")),
                value=_s(r.get("value")),
                display_name=_s(r.get("displayName")),
                description=_s(r.get("description")),
                allowed_member_types=tuple(str(t) for t in (r.get("allowedMemberTypes") or ())),
                is_enabled=r.get("isEnabled") is not False,
            )
            for r in (sp.get("appRoles") or [])
            if isinstance(r, dict)
        )
        return ResourceApp(
            id=_s(sp.get("id")), app_id=_s(sp.get("appId")), display_name=_s(sp.get("displayName")), app_roles=roles
        )

    @staticmethod
    def _app(sp: Any) -> ResourceApp:
        roles = tuple(
            AppRole(
                id=_s(r.id),
                value=_s(r.value),
                display_name=_s(r.display_name),
                description=_s(r.description),
                allowed_member_types=tuple(r.allowed_member_types or ()),
                is_enabled=bool(r.is_enabled) if r.is_enabled is not None else True,
            )
            for r in (sp.app_roles or [])
        )
        return ResourceApp(id=_s(sp.id), app_id=_s(sp.app_id), display_name=_s(sp.display_name), app_roles=roles)

    async def list_resource_apps(self) -> list[ResourceApp]:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.service_principals.service_principals_request_builder import (
            ServicePrincipalsRequestBuilder,
        )

        qp = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter="servicePrincipalType eq 'Application'", select=APP_SELECT, top=GRAPH_PAGE
        )
        info = self.graph.service_principals.to_get_request_information(RequestConfiguration(query_parameters=qp))
        return [self._app_json(sp) for sp in await self._graph_json_pages(info) if sp.get("appRoles")]

    async def get_resource_app(self, app_id: str) -> ResourceApp | None:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.service_principals_with_app_id.service_principals_with_app_id_request_builder import (
            ServicePrincipalsWithAppIdRequestBuilder,
        )

        app_id = guid(app_id, "application (client) id")
        qp = ServicePrincipalsWithAppIdRequestBuilder.ServicePrincipalsWithAppIdRequestBuilderGetQueryParameters(
            select=APP_SELECT
        )
        cfg = RequestConfiguration(query_parameters=qp)
        try:
            sp = await self._graph_call(
                lambda: self.graph.service_principals_with_app_id(app_id).get(request_configuration=cfg)
            )
        except NotFound:
            return None
        return self._app(sp) if sp is not None else None

    async def search_resource_apps(self, text: str) -> list[ResourceApp]:
        from kiota_abstractions.base_request_configuration import RequestConfiguration
        from msgraph.generated.service_principals.service_principals_request_builder import (
            ServicePrincipalsRequestBuilder,
        )

        text = text.strip()
        if is_guid(text):
            app = await self.get_resource_app(text)
            return [app] if app and app.app_roles else []
        flt = f"startswith(displayName,{quote(text)})" if text else "servicePrincipalType eq 'Application'"
        qp = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            filter=flt, select=APP_SELECT, top=GRAPH_PAGE
        )
        info = self.graph.service_principals.to_get_request_information(RequestConfiguration(query_parameters=qp))
        apps = [self._app_json(sp) for sp in await self._graph_json_pages(info) if sp.get("appRoles")]
        apps.sort(key=lambda a: a.display_name.lower())
        return apps

    @staticmethod
    def _grant_json(g: dict) -> AppRoleAssignment:
        get = g.get
        return AppRoleAssignment(
            _s(get("id")),
            _s(get("principalId")),
            _s(get("resourceId")),
            _s(get("appRoleId")),
            _s(get("principalDisplayName")),
            _s(get("resourceDisplayName")),
            "",
            "",
            "",
            Privilege.NORMAL,
            _s(get("createdDateTime")) or None,
        )

    @staticmethod
    def _grant(g: Any) -> AppRoleAssignment:
        created = getattr(g, "created_date_time", None)
        return AppRoleAssignment(
            id=_s(g.id),
            principal_id=_s(g.principal_id),
            resource_id=_s(g.resource_id),
            app_role_id=_s(g.app_role_id),
            principal_display_name=_s(g.principal_display_name),
            resource_display_name=_s(g.resource_display_name),
            created=created.isoformat() if hasattr(created, "isoformat") else None,
        )

    async def _batched_collections(self, urls: dict[str, str]) -> dict[str, list[dict]]:
        """GET each relative URL (by key) through Graph ``$batch``, 20 per request, then follow each nextLink.

        Items answered 429 / 503 / 504 inside a batch are sent again (after their Retry-After), a bounded number
        of times; any other failed item fails the whole read."""
        keys = list(urls)
        results: dict[str, list[Any]] = {}
        next_links: dict[str, str] = {}

        async def one_batch(chunk: list[str]) -> None:
            pending = list(chunk)
            for attempt in range(self._graph_max_retries + 2):
                answers = await self._post_batch([urls[k] for k in pending])
                retry: list[str] = []
                wait = 0.0
                for key, (status, headers, body) in zip(pending, answers, strict=True):
                    if status == 200:
                        page = body if isinstance(body, dict) else {}
                        results[key] = list(page.get("value") or [])
                        if page.get("@odata.nextLink"):
                            next_links[key] = page["@odata.nextLink"]
                    elif status in (429, 503, 504) and attempt <= self._graph_max_retries:
                        self.gate.note_retry(f"Microsoft Graph answered {status}")
                        retry.append(key)
                        wait = max(wait, _retry_after(headers, attempt))
                    else:
                        raise map_error(_BatchItemError(status, body), "Microsoft Graph")
                if not retry:
                    return
                pending = retry
                await asyncio.sleep(wait)

        chunks = [keys[i : i + GRAPH_BATCH] for i in range(0, len(keys), GRAPH_BATCH)]
        await gather_limited([one_batch(c) for c in chunks], self.concurrency)

        async def follow(key: str, link: str) -> None:
            from kiota_abstractions.method import Method
            from kiota_abstractions.request_information import RequestInformation

            info = RequestInformation()
            info.http_method = Method.GET
            info.url = link
            results[key].extend(await self._graph_json_pages(info))

        await gather_limited([follow(k, v) for k, v in next_links.items()], self.concurrency)
        return results

    async def _post_batch(self, relative_urls: list[str]) -> list[tuple[int, dict, Any]]:
        """One ``POST /$batch`` of GETs; the (status, headers, body) of each, in order."""
        import json

        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation
        from msgraph.generated.models.o_data_errors.o_data_error import ODataError

        adapter = self.graph.request_adapter
        info = RequestInformation()
        info.http_method = Method.POST
        info.url = adapter.base_url.rstrip("/") + "/$batch"
        info.headers.try_add("Accept", "application/json")
        payload = {"requests": [{"id": str(i), "method": "GET", "url": u} for i, u in enumerate(relative_urls)]}
        info.set_stream_content(json.dumps(payload).encode(), "application/json")
        error_map = {"XXX": ODataError}
        raw = await self._graph_call(lambda info=info: adapter.send_primitive_async(info, "bytes", error_map))
        try:
            data = json.loads(raw or b"{}")
            by_id = {str(r.get("id")): r for r in data.get("responses", [])}
        except (ValueError, AttributeError) as err:
            raise map_error(ValueError(f"unreadable $batch answer: {err}"), "Microsoft Graph") from None
        out = []
        for i in range(len(relative_urls)):
            r = by_id.get(str(i)) or {"status": 0, "body": {"error": {"code": "MissingResponse"}}}
            out.append((int(r.get("status") or 0), dict(r.get("headers") or {}), r.get("body")))
        return out

    async def list_app_role_assigned_to(self, resource_ids: list[str]) -> list[AppRoleAssignment]:
        ids = [guid(r, "service principal id") for r in resource_ids]
        urls = {rid: f"/servicePrincipals/{rid}/appRoleAssignedTo?$top={GRAPH_PAGE}" for rid in ids}
        pages = await self._batched_collections(urls)
        return [self._grant_json(g) for rid in ids for g in pages.get(rid, [])]

    async def list_app_role_assignments(self, principal_ids: list[str]) -> dict[str, list[AppRoleAssignment]]:
        ids = [guid(p, "principal id") for p in principal_ids]
        if len(ids) == 1:  # a single identity (planning a change): one plain request
            builder = self.graph.service_principals.by_service_principal_id(ids[0]).app_role_assignments
            items = await self._graph_json_pages(builder.to_get_request_information())
            return {ids[0]: [self._grant_json(g) for g in items]}
        urls = {pid: f"/servicePrincipals/{pid}/appRoleAssignments?$top={GRAPH_PAGE}" for pid in ids}
        pages = await self._batched_collections(urls)
        return {pid: [self._grant_json(g) for g in pages.get(pid, [])] for pid in ids}

    async def existing_object_ids(self, object_ids: list[str]) -> set[str]:
        from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import (
            GetByIdsPostRequestBody,
        )

        ids = [guid(i, "object id") for i in object_ids]
        found: set[str] = set()

        async def chunk(part: list[str]) -> None:
            body = GetByIdsPostRequestBody(ids=part)
            resp = await self._graph_call(lambda: self.graph.directory_objects.get_by_ids.post(body))
            for obj in (resp.value or []) if resp else []:
                found.add(_s(obj.id).lower())

        parts = [ids[i : i + GET_BY_IDS_MAX] for i in range(0, len(ids), GET_BY_IDS_MAX)]
        await gather_limited([chunk(p) for p in parts], self.concurrency)
        return found

    # --- Graph writes -------------------------------------------------------------------------------------------
    async def create_app_role_assignment(self, principal_id: str, resource_id: str, app_role_id: str) -> Written:
        import uuid

        from msgraph.generated.models.app_role_assignment import AppRoleAssignment as GraphGrant

        from tui.azure.policies import request_ids

        pid = guid(principal_id, "principal id")
        body = GraphGrant(
            principal_id=uuid.UUID(pid),
            resource_id=uuid.UUID(guid(resource_id, "resource app id")),
            app_role_id=uuid.UUID(guid(app_role_id, "app role id")),
        )
        ids: list[str] = []
        token = request_ids.set(ids)
        try:
            g = await self._graph_call(
                lambda: self.graph.service_principals.by_service_principal_id(pid).app_role_assignments.post(body),
                write=True,
            )
        finally:
            request_ids.reset(token)
        return Written(self._grant(g) if g is not None else None, tuple(ids))

    async def delete_app_role_assignment(self, principal_id: str, assignment_id: str) -> Written:
        from tui.azure.policies import request_ids

        pid = guid(principal_id, "principal id")
        aid = (assignment_id or "").strip()
        if not aid or not all(c.isalnum() or c in "-_" for c in aid) or len(aid) > 100:
            from tui.services.errors import InvalidInput

            raise InvalidInput("Not a valid app role assignment id", aid[:60])
        ids: list[str] = []
        token = request_ids.set(ids)
        try:
            await self._graph_call(
                lambda: (
                    self.graph.service_principals.by_service_principal_id(pid)
                    .app_role_assignments.by_app_role_assignment_id(aid)
                    .delete()
                ),
                write=True,
            )
        finally:
            request_ids.reset(token)
        return Written(None, tuple(ids))

    async def close(self) -> None:
        try:
            await self.arm.close()
        finally:
            if self._graph_http is not None:
                await self._graph_http.aclose()
                self._graph_http = None
            close = getattr(self.credential, "close", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result


def _retry_after(headers: dict, attempt: int) -> float:
    for k, v in headers.items():
        if k.lower() == "retry-after":
            try:
                return min(float(v), 60.0)
            except (TypeError, ValueError):
                break
    return min(0.5 * 2**attempt, 8.0)


class _BatchItemError(Exception):
    """A failed request inside a Graph $batch, shaped like an ODataError for map_error."""

    def __init__(self, status: int, body: Any) -> None:
        self.response_status_code = status
        err = body.get("error", {}) if isinstance(body, dict) else {}
        self.error = type("E", (), {"code": err.get("code"), "message": err.get("message"), "inner_error": None})()
        super().__init__(f"{status} {err.get('code')}")
