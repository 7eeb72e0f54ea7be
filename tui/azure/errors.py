"""SDK exceptions -> the service layer's errors, each with what went wrong and what to do about it."""

from __future__ import annotations

import re
import ssl
from typing import Any

from tui.services.audit import scrub
from tui.services.errors import (
    AlreadyExists,
    InvalidInput,
    MituiError,
    NotFound,
    PermissionDenied,
    ServiceError,
    SignInRequired,
    Throttled,
    Unreachable,
)
from tui.services.privilege import roles_granting

_ARM_DENIED = re.compile(r"perform action '([^']+)' over scope '([^']*)'", re.IGNORECASE)
GRAPH_WRITE_HINT = (
    "granting or revoking app roles needs the Graph permission AppRoleAssignment.ReadWrite.All, or the directory "
    "role Privileged Role Administrator (or Global Administrator)"
)
GRAPH_READ_HINT = (
    "reading service principals needs Application.Read.All or Directory.Read.All, or a directory role such as "
    "Directory Readers or Global Reader"
)


def _clean(text: Any, limit: int = 400) -> str:
    """One line, no control characters, no token."""
    s = "".join(c if c.isprintable() else " " for c in str(text or ""))
    return scrub(" ".join(s.split()))[:limit]


def _cert_problem(exc: BaseException) -> bool:
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(e):
            return True
        e = e.__cause__ or e.__context__ or getattr(e, "inner_exception", None)
    return False


def untrusted(where: str) -> Unreachable:
    return Unreachable(
        f"The certificate of {where} is not trusted",
        "pass its CA with --ca-file (or set SSL_CERT_FILE / REQUESTS_CA_BUNDLE)",
        code="CertificateUntrusted",
    )


def map_error(exc: BaseException, where: str = "Azure", *, write: bool = False) -> MituiError:
    """Turn any exception raised by an SDK call into a MituiError (never raises)."""
    if isinstance(exc, MituiError):
        return exc
    try:
        return _map(exc, where, write)
    except Exception:  # pragma: no cover - the mapper must never fail
        return ServiceError(f"{where}: {type(exc).__name__}", _clean(exc))


def _map(exc: BaseException, where: str, write: bool) -> MituiError:
    from azure.core import exceptions as ace

    name = type(exc).__name__
    if _cert_problem(exc):
        return untrusted(where)
    if isinstance(exc, ace.ClientAuthenticationError) and getattr(exc, "status_code", None) is None:
        return SignInRequired(
            "Sign-in failed",
            f"{_clean(getattr(exc, 'message', exc), 300)} — sign in (az login, or choose --credential), or try --demo",
        )
    if isinstance(exc, ace.HttpResponseError) and getattr(exc, "status_code", None):
        return _from_arm(exc, where)
    if isinstance(exc, ace.ServiceRequestError):
        return Unreachable(f"Cannot reach {where}", _clean(getattr(exc, "message", exc), 300), code="ConnectFailed")
    if isinstance(exc, ace.ServiceResponseError):
        return Unreachable(
            f"The connection to {where} broke before its answer arrived",
            "the change may or may not have been made; mitui reads it back",
            code="ResponseLost",
        )
    if isinstance(exc, ace.AzureError):
        return ServiceError(f"{where}: {_clean(getattr(exc, 'message', exc), 200)}")
    if name == "ODataError" or hasattr(exc, "response_status_code"):
        return _from_graph(exc, where, write)
    mod = type(exc).__module__
    if mod.startswith("httpx") or mod.startswith("httpcore") or isinstance(exc, OSError | TimeoutError):
        if _answer_lost(exc):
            return Unreachable(
                f"The connection to {where} broke before its answer arrived",
                "the change may or may not have been made; mitui reads it back",
                code="ResponseLost",
            )
        return Unreachable(f"Cannot reach {where}", _clean(f"{name}: {exc}", 300), code="ConnectFailed")
    if isinstance(exc, ValueError | TypeError | KeyError):
        return ServiceError(f"{where} sent an answer mitui cannot read", _clean(f"{name}: {exc}", 300))
    return ServiceError(f"{where}: {name}", _clean(exc, 300))


# A connection that broke after the request went out: httpx's names for it, and aiohttp's (Graph's httpx client
# runs on aiohttp, tui.azure.graph: httpx-aiohttp raises httpx's errors from aiohttp's, and names a server that
# hung up a ConnectTimeout).
_LOST = frozenset(
    {
        "RemoteProtocolError",
        "ReadError",
        "ReadTimeout",
        "WriteError",
        "ServerDisconnectedError",
        "ClientPayloadError",
        "SocketTimeoutError",
        "ClientOSError",
    }
)


def _answer_lost(exc: BaseException) -> bool:
    """Whether the request may have reached the service (its answer lost), not a connection never made."""
    names = {t.__name__ for t in type(exc).__mro__}
    if exc.__cause__ is not None:
        names |= {t.__name__ for t in type(exc.__cause__).__mro__}
    if "ClientConnectorError" in names:  # (aiohttp: connecting failed; a ClientOSError too)
        return False
    return bool(names & _LOST) or "Disconnected" in str(exc)


def _arm_request_id(exc: Any) -> str | None:
    resp = getattr(exc, "response", None)
    headers = getattr(resp, "headers", None) or {}
    try:
        return headers.get("x-ms-request-id") or headers.get("x-ms-correlation-request-id")
    except Exception:
        return None


def _from_arm(exc: Any, where: str) -> MituiError:
    status = int(exc.status_code)
    err = getattr(exc, "error", None)
    code = str(getattr(err, "code", None) or "") or None
    message = _clean(getattr(err, "message", None) or getattr(exc, "message", None) or exc)
    rid = _arm_request_id(exc)
    kw = {"request_id": rid, "status": status, "code": code}
    if status == 401:
        return SignInRequired("Azure rejected the sign-in token", f"{message} — sign in again", **kw)
    if status == 403:
        m = _ARM_DENIED.search(message)
        if m:
            action, scope = m.group(1), m.group(2)
            return PermissionDenied(
                f"Not allowed to {action}",
                f"you need {action} at {scope} or above: {roles_granting(action)} grant it",
                **kw,
            )
        return PermissionDenied(f"{where} denied the request ({code or 403})", message, **kw)
    if status == 409:
        return AlreadyExists("It already exists", message, **kw)
    if code == "PrincipalNotFound":
        return NotFound(
            "The identity is not in the directory yet",
            "a new identity takes a little while to replicate; mitui retries",
            **kw,
        )
    if status == 404:
        return NotFound(f"Not found ({code or 404})", message, **kw)
    if status == 429:
        return Throttled("Azure is throttling requests", "wait a minute and try again", **kw)
    if status >= 500:
        return ServiceError(f"{where} failed ({status} {code or ''})".strip(), message, **kw)
    if status == 400:
        return InvalidInput(f"{where} refused the request ({code or 400})", message, **kw)
    return ServiceError(f"{where} returned {status}", message, **kw)


def _from_graph(exc: Any, where: str, write: bool) -> MituiError:
    status = int(getattr(exc, "response_status_code", 0) or 0)
    err = getattr(exc, "error", None)
    code = str(getattr(err, "code", None) or "") or None
    message = _clean(getattr(err, "message", None) or exc)
    rid = None
    inner = getattr(err, "inner_error", None)
    if inner is not None:
        rid = getattr(inner, "request_id", None)
        if rid is None:
            rid = (getattr(inner, "additional_data", None) or {}).get("request-id")
    headers = getattr(exc, "response_headers", None)
    if rid is None and headers:
        try:
            rid = headers.get("request-id")
            if isinstance(rid, set | list | tuple):
                rid = next(iter(rid), None)
        except Exception:
            rid = None
    kw = {"request_id": rid, "status": status, "code": code}
    where = "Microsoft Graph" if where == "Azure" else where
    if status == 401:
        return SignInRequired("Microsoft Graph rejected the sign-in token", f"{message} — sign in again", **kw)
    if status == 403:
        return PermissionDenied(
            "Microsoft Graph denied the request", GRAPH_WRITE_HINT if write else GRAPH_READ_HINT, **kw
        )
    if status == 400 and "already exist" in message.lower():
        return AlreadyExists("This app role is already granted", message, **kw)
    if status == 400 and "conflicting object" in message.lower():
        # the directory's answer to a duplicate (e.g. a directory role assignment that is already there)
        return AlreadyExists("It already exists in the directory", message, **kw)
    if status == 404:
        return NotFound(f"Not found in the directory ({code or 404})", message, **kw)
    if status == 429:
        return Throttled("Microsoft Graph is throttling requests", "wait a minute and try again", **kw)
    if status >= 500:
        return ServiceError(f"Microsoft Graph failed ({status} {code or ''})".strip(), message, **kw)
    if status == 400:
        return InvalidInput(f"Microsoft Graph refused the request ({code or 400})", message, **kw)
    return ServiceError(f"Microsoft Graph returned {status}", message, **kw)
