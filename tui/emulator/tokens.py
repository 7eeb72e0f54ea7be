"""Access tokens of the sandbox tenant, and the endpoints that hand them out.

Tokens are JWT-shaped (``header.payload.signature``, base64url) with Entra's standard claims, signed with
HMAC-SHA256 under a secret only this emulator knows, so a client cannot forge one. Clients decode them without
checking the signature (as they do with Entra's); the emulator checks it and takes the caller from ``oid``.

Endpoints (see :func:`add_msi_routes` and :func:`add_login_routes`):

* managed identity, App Service / Automation flavour: ``GET /msi/token?api-version=2019-08-01&resource=...``
  with header ``X-IDENTITY-HEADER`` (reach it with ``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER``);
* managed identity, IMDS flavour: ``GET /metadata/identity/oauth2/token`` with ``Metadata: true`` (reach it with
  ``AZURE_POD_IDENTITY_AUTHORITY_HOST``);
* login authority: ``/{tenant}/v2.0/.well-known/openid-configuration`` and ``POST /{tenant}/oauth2/v2.0/token``
  (client credentials).

With no ``client_id`` / ``object_id`` / ``mi_res_id``, the managed-identity endpoints sign in the emulator's
default caller: the tenant's admin user (or ``Emulator(caller=...)``), i.e. "the person running mitui".
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tui.emulator.activity import ARM_APP_ID, GRAPH_APP_ID
from tui.emulator.ids import MICROSOFT_GRAPH_APP_ID
from tui.emulator.tenant import ServicePrincipal, Tenant, User

TOKEN_LIFETIME_S = 3600
DEMO_CLIENT_SECRET = "mitui-sandbox-client-secret"
"""A client secret every application (not managed identity) of a sandbox tenant accepts, besides the ones the
tenant itself records in ``tenant.client_secrets``."""

ARM_AUDIENCES = ("https://management.azure.com", "https://management.core.windows.net")
GRAPH_AUDIENCES = ("https://graph.microsoft.com", MICROSOFT_GRAPH_APP_ID)


class TokenError(Exception):
    """A token that is missing, malformed, badly signed, expired or not yet valid. ``code`` is ARM's name."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def resource_from_scope(scope: str) -> str:
    """``https://graph.microsoft.com/.default`` → ``https://graph.microsoft.com`` (as Entra does)."""
    scope = scope.strip()
    for suffix in ("/.default", ".default"):
        if scope.endswith(suffix):
            return scope[: -len(suffix)] or scope
    return scope


def principal_by_name(tenant: Tenant, name: str) -> User | ServicePrincipal | None:
    """A principal by object id, app id, user principal name or display name (case-insensitive)."""
    found = tenant.principal(name)
    if found is not None:
        return found
    low = name.lower()
    with tenant.lock:
        for user in tenant.users.values():
            if low in (user.user_principal_name.lower(), user.display_name.lower()):
                return user
        sp = tenant.service_principal_by_app_id(name)
        if sp is not None:
            return sp
        for sp in tenant.service_principals.values():
            if sp.display_name.lower() == low:
                return sp
    return None


def managed_identity_resource_id(sp: ServicePrincipal) -> str | None:
    for name in sp.alternative_names:
        if name.startswith("/"):
            return name
    return None


class TokenIssuer:
    """Issues and verifies this emulator's tokens."""

    def __init__(self, tenant: Tenant, secret: bytes | None = None, graph_url: str | None = None):
        self.tenant = tenant
        self.graph_url = graph_url
        self._secret = secret or secrets.token_bytes(32)

    # --- issuing ------------------------------------------------------------------------------------------
    def claims_for(self, principal: User | ServicePrincipal, resource: str, now: int | None = None) -> dict:
        now = int(time.time()) if now is None else now
        tid = self.tenant.tenant_id
        claims: dict[str, Any] = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{tid}/",
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_S,
            "oid": principal.id,
            "sub": principal.id,
            "tid": tid,
            "ver": "1.0",
            "uti": _b64(secrets.token_bytes(16)),
        }
        if isinstance(principal, User):
            claims.update(
                idtyp="user",
                name=principal.display_name,
                upn=principal.user_principal_name,
                unique_name=principal.user_principal_name,
                appid="04b07795-8ddb-461a-bbee-02f9e1bf7b46",  # Azure CLI, the public client a person signs in with
                scp="user_impersonation",
            )
        else:
            claims.update(idtyp="app", appid=principal.app_id, appidacr="2")
            mirid = managed_identity_resource_id(principal)
            if principal.service_principal_type == "ManagedIdentity" and mirid:
                claims["xms_mirid"] = mirid
            if is_graph_audience(resource, self.graph_url):
                roles = self.graph_app_roles_of(principal.id)
                if roles:
                    claims["roles"] = roles
        return claims

    def graph_app_roles_of(self, principal_id: str) -> list[str]:
        """The values of the Microsoft Graph app roles ``principal_id`` holds (what ``roles`` carries)."""
        tenant = self.tenant
        with tenant.lock:
            graph = tenant.service_principal_by_app_id(MICROSOFT_GRAPH_APP_ID)
            if graph is None:
                return []
            by_id = {r["id"].lower(): r["value"] for r in graph.app_roles}
            pid, gid = principal_id.lower(), graph.id.lower()
            values = {
                by_id[a.app_role_id.lower()]
                for a in tenant.app_role_assignments.values()
                if a.principal_id.lower() == pid and a.resource_id.lower() == gid and a.app_role_id.lower() in by_id
            }
        return sorted(values)

    def issue(self, principal: User | ServicePrincipal, resource: str, now: int | None = None) -> tuple[str, dict]:
        """A signed token for ``principal`` to ``resource``; a service principal's sign-in is recorded (as Entra's
        sign-in logs and last-sign-in activity record it)."""
        claims = self.claims_for(principal, resource, now)
        if isinstance(principal, ServicePrincipal):
            graph = is_graph_audience(resource, self.graph_url)
            self.tenant.activity.record_sign_in(
                principal_id=principal.id,
                app_id=principal.app_id,
                display_name=principal.display_name,
                managed_identity=principal.service_principal_type == "ManagedIdentity",
                mi_resource_id=managed_identity_resource_id(principal),
                resource_app_id=GRAPH_APP_ID if graph else ARM_APP_ID,
                resource_name="Microsoft Graph" if graph else "Windows Azure Service Management API",
                ts=float(claims["iat"]),
            )
        return self.sign(claims), claims

    def sign(self, claims: dict) -> str:
        header = {"typ": "JWT", "alg": "HS256", "kid": "mitui-sandbox"}
        signing_input = (
            _b64(json.dumps(header, separators=(",", ":")).encode())
            + "."
            + _b64(json.dumps(claims, separators=(",", ":")).encode())
        )
        sig = hmac.new(self._secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        return signing_input + "." + _b64(sig)

    # --- verifying ----------------------------------------------------------------------------------------
    def verify(self, token: str, now: int | None = None) -> dict:
        """The claims of a token this emulator issued; :class:`TokenError` if it is not one, or is expired."""
        parts = token.split(".")
        if len(parts) != 3 or not all(parts):
            raise TokenError("InvalidAuthenticationToken", "The access token is invalid.")
        expected = hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode("ascii"), hashlib.sha256).digest()
        try:
            sig = _unb64(parts[2])
            claims = json.loads(_unb64(parts[1]))
        except (ValueError, UnicodeDecodeError) as e:
            raise TokenError("InvalidAuthenticationToken", "The access token is invalid.") from e
        if not hmac.compare_digest(sig, expected) or not isinstance(claims, dict):
            raise TokenError(
                "InvalidAuthenticationToken", "The access token is invalid: the signature does not verify."
            )
        now = int(time.time()) if now is None else now
        exp, nbf = claims.get("exp"), claims.get("nbf")
        if not isinstance(exp, int) or not isinstance(nbf, int):
            raise TokenError("InvalidAuthenticationToken", "The access token is invalid.")
        if now >= exp:
            raise TokenError(
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time '"
                + time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(exp))
                + "' is earlier than current UTC time '"
                + time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(now))
                + "'.",
            )
        if now + 300 < nbf:
            raise TokenError("InvalidAuthenticationToken", "The access token is not yet valid.")
        return claims


def _norm(url: str) -> str:
    return url.strip().rstrip("/").lower()


def is_arm_audience(aud: str, arm_url: str | None) -> bool:
    candidates = {_norm(a) for a in ARM_AUDIENCES}
    if arm_url:
        candidates.add(_norm(arm_url))
    return _norm(aud) in candidates


def is_graph_audience(aud: str, graph_url: str | None) -> bool:
    candidates = {_norm(a) for a in GRAPH_AUDIENCES}
    if graph_url:
        candidates.add(_norm(graph_url))
    return _norm(aud) in candidates


# ------------------------------------------------------------------------------------------------------------
# managed-identity endpoints (plain http, as in Azure)
# ------------------------------------------------------------------------------------------------------------
def select_managed_identity(
    tenant: Tenant, client_id: str | None, object_id: str | None, mi_res_id: str | None
) -> ServicePrincipal | None:
    """The managed identity a token request names, or None if it names one that does not exist."""
    with tenant.lock:
        if client_id:
            sp = tenant.service_principal_by_app_id(client_id)
        elif object_id:
            sp = tenant.service_principals.get(object_id.lower())
        else:
            res = tenant.resource(mi_res_id or "")
            if res is None:
                return None
            pid = res.principal_id if res.is_user_assigned_identity else res.system_principal_id
            sp = tenant.service_principals.get(pid.lower()) if pid else None
    if sp is None or sp.service_principal_type != "ManagedIdentity":
        return None
    return sp


def add_msi_routes(
    app: web.Application,
    issuer: TokenIssuer,
    identity_header: str,
    default_caller: Callable[[], User | ServicePrincipal | None],
) -> None:
    tenant = issuer.tenant

    def _token_for(request: web.Request) -> tuple[int, dict]:
        q = request.query
        resource = q.get("resource", "").strip()
        if not resource:
            return 400, {
                "error": "invalid_request",
                "error_description": "Required query variable 'resource' is missing",
            }
        client_id = q.get("client_id") or q.get("clientid")
        object_id = q.get("object_id") or q.get("principal_id")
        mi_res_id = q.get("mi_res_id") or q.get("msi_res_id")
        if client_id or object_id or mi_res_id:
            principal: User | ServicePrincipal | None = select_managed_identity(tenant, client_id, object_id, mi_res_id)
            if principal is None:
                return 400, {
                    "error": "invalid_request",
                    "error_description": "Identity not found",
                    "statusCode": 400,
                    "message": "No User Assigned or Delegated Managed Identity found for specified "
                    "ClientId/ResourceId/PrincipalId.",
                }
        else:
            principal = default_caller()
            if principal is None:
                return 400, {"error": "invalid_request", "error_description": "Identity not found"}
        if isinstance(principal, ServicePrincipal) and not principal.account_enabled:
            # Entra refuses a token to a disabled service principal, a managed identity's too (AADSTS7000112)
            return 400, {
                "error": "unauthorized_client",
                "error_description": f"AADSTS7000112: Application '{principal.app_id}' is disabled.",
            }
        token, claims = issuer.issue(principal, resource)
        body = {
            "access_token": token,
            "expires_on": str(claims["exp"]),
            "expires_in": str(claims["exp"] - claims["iat"]),
            "ext_expires_in": str(claims["exp"] - claims["iat"]),
            "not_before": str(claims["nbf"]),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": claims.get("appid", ""),
        }
        return 200, body

    async def app_service_token(request: web.Request) -> web.Response:
        supplied = request.headers.get("X-IDENTITY-HEADER")
        if supplied is None:
            return web.json_response(
                {"statusCode": 400, "message": "Required header 'X-IDENTITY-HEADER' is missing."}, status=400
            )
        if not hmac.compare_digest(supplied.encode(), identity_header.encode()):
            return web.json_response({"statusCode": 401, "message": "Unauthorized request."}, status=401)
        status, body = _token_for(request)
        if status != 200 and "statusCode" in body:
            body = {"statusCode": status, "message": body["message"]}
        elif status == 200:
            body.pop("expires_in")
            body.pop("ext_expires_in")
            body.pop("not_before")
        return web.json_response(body, status=status)

    async def imds_token(request: web.Request) -> web.Response:
        if request.headers.get("Metadata", "").lower() != "true":
            return web.json_response(
                {"error": "invalid_request", "error_description": "Required metadata header not specified"},
                status=400,
            )
        status, body = _token_for(request)
        if status != 200:
            body = {"error": body["error"], "error_description": body["error_description"]}
        return web.json_response(body, status=status)

    app.router.add_get("/msi/token", app_service_token)
    app.router.add_get("/metadata/identity/oauth2/token", imds_token)


# ------------------------------------------------------------------------------------------------------------
# login authority (https)
# ------------------------------------------------------------------------------------------------------------
def _aad_error(status: int, error: str, code: int, text: str) -> web.Response:
    now = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    return web.json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {corr} Timestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": corr,
        },
        status=status,
    )


def add_login_routes(app: web.Application, issuer: TokenIssuer, login_url: Callable[[], str]) -> None:
    tenant = issuer.tenant

    def _tenant_ok(segment: str) -> bool:
        return segment.lower() in ("organizations", "common", tenant.tenant_id.lower(), tenant.default_domain.lower())

    async def openid_configuration(request: web.Request) -> web.Response:
        seg = request.match_info["tenant"]
        if not _tenant_ok(seg) and seg.lower() != "consumers":
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{seg}' not found.")
        base = login_url()
        tid = tenant.tenant_id
        return web.json_response(
            {
                "token_endpoint": f"{base}/{seg}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/{seg}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/{tid if _tenant_ok(seg) and seg.lower() == tid.lower() else '{tenantid}'}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{base}/oidc/userinfo",
                "authorization_endpoint": f"{base}/{seg}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/{seg}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/{seg}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "oid", "tid", "name"],
                "kerberos_endpoint": f"{base}/{seg}/kerberos",
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
            }
        )

    async def token(request: web.Request) -> web.Response:
        seg = request.match_info["tenant"]
        if not _tenant_ok(seg):
            return _aad_error(400, "invalid_tenant", 90002, f"Tenant '{seg}' not found.")
        try:
            form = await request.post()
        except Exception:  # noqa: BLE001 - any unreadable body is a bad request
            return _aad_error(
                400, "invalid_request", 900144, "The request body must contain the parameter 'grant_type'."
            )
        grant = str(form.get("grant_type", ""))
        if grant != "client_credentials":
            return _aad_error(
                400,
                "unsupported_grant_type",
                70003,
                f"The app requested an unsupported grant type '{grant}'.",
            )
        client_id = str(form.get("client_id", ""))
        secret = str(form.get("client_secret", ""))
        if not client_id and request.headers.get("Authorization", "").lower().startswith("basic "):
            try:
                raw = base64.b64decode(request.headers["Authorization"][6:]).decode()
                client_id, _, secret = raw.partition(":")
            except (ValueError, UnicodeDecodeError):
                pass
        scope = str(form.get("scope", ""))
        if not client_id:
            return _aad_error(
                400, "invalid_request", 900144, "The request body must contain the parameter 'client_id'."
            )
        if not scope:
            return _aad_error(400, "invalid_request", 900144, "The request body must contain the parameter 'scope'.")
        sp = tenant.service_principal_by_app_id(client_id)
        if sp is None or sp.service_principal_type != "Application" or not sp.account_enabled:
            return _aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{tenant.default_domain}'.",
            )
        known = getattr(tenant, "client_secrets", {}).get(sp.app_id.lower(), [])
        if not secret or not (
            hmac.compare_digest(secret, DEMO_CLIENT_SECRET) or any(hmac.compare_digest(secret, s) for s in known)
        ):
            return _aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                f"value, not the client secret ID, for a secret added to app '{sp.app_id}'.",
            )
        scopes = scope.split()
        if len(scopes) != 1 or not scopes[0].endswith("/.default"):
            return _aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {scope} is not valid. Client credential flows must have a scope "
                "value with /.default suffixed to the resource identifier (application ID URI).",
            )
        access_token, claims = issuer.issue(sp, resource_from_scope(scopes[0]))
        lifetime = claims["exp"] - claims["iat"]
        return web.json_response(
            {
                "token_type": "Bearer",
                "expires_in": lifetime,
                "ext_expires_in": lifetime,
                "access_token": access_token,
            }
        )

    app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", openid_configuration)
    app.router.add_get("/{tenant}/.well-known/openid-configuration", openid_configuration)
    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
