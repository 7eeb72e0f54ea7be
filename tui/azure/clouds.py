"""Azure clouds: the public, US Government and China clouds by name, and any custom cloud (Azure Stack Hub,
the sandbox tenant) found from its ARM endpoint's ``/metadata/endpoints``."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from tui.services.errors import InvalidInput, Unreachable


@dataclass(frozen=True)
class Cloud:
    name: str  # "AzureCloud", "AzureUSGovernment", "AzureChinaCloud", or the custom cloud's name
    arm_url: str  # no trailing slash
    graph_url: str  # no trailing slash, no /v1.0
    login_url: str  # the Entra authority host
    arm_audience: str  # token audience of ARM, e.g. "https://management.azure.com/"
    graph_audience: str
    custom: bool = False

    @property
    def arm_scope(self) -> str:
        return self.arm_audience.rstrip("/") + "/.default"

    @property
    def graph_scope(self) -> str:
        return self.graph_audience.rstrip("/") + "/.default"

    @property
    def graph_host(self) -> str:
        return urlsplit(self.graph_url).hostname or ""


PUBLIC = Cloud(
    "AzureCloud",
    "https://management.azure.com",
    "https://graph.microsoft.com",
    "https://login.microsoftonline.com",
    "https://management.azure.com/",
    "https://graph.microsoft.com/",
)
USGOV = Cloud(
    "AzureUSGovernment",
    "https://management.usgovcloudapi.net",
    "https://graph.microsoft.us",
    "https://login.microsoftonline.us",
    "https://management.usgovcloudapi.net/",
    "https://graph.microsoft.us/",
)
CHINA = Cloud(
    "AzureChinaCloud",
    "https://management.chinacloudapi.cn",
    "https://microsoftgraph.chinacloudapi.cn",
    "https://login.chinacloudapi.cn",
    "https://management.chinacloudapi.cn/",
    "https://microsoftgraph.chinacloudapi.cn/",
)
CLOUDS: dict[str, Cloud] = {"public": PUBLIC, "usgov": USGOV, "china": CHINA}


def cloud_by_name(name: str | None) -> Cloud:
    key = (name or "public").lower()
    aliases = {"azurecloud": "public", "azureusgovernment": "usgov", "azurechinacloud": "china"}
    key = aliases.get(key, key)
    if key not in CLOUDS:
        raise InvalidInput(f"Unknown cloud {name!r}", "use public, usgov or china, or --arm-endpoint URL")
    return CLOUDS[key]


def ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """Default trust plus ``ca_file`` (if given); ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE`` are honoured."""
    import os

    ctx = ssl.create_default_context()
    for path in (os.environ.get("REQUESTS_CA_BUNDLE"), ca_file):
        if path:
            try:
                ctx.load_verify_locations(cafile=path)
            except (OSError, ssl.SSLError) as err:
                raise InvalidInput(f"Cannot read the CA file {path!r}", str(err)) from None
    return ctx


def env_proxy_applies(url: str) -> bool:
    """True when the environment names a proxy for ``url`` (``HTTPS_PROXY`` / ``ALL_PROXY``, less ``NO_PROXY``).

    aiohttp with ``trust_env`` looks the proxy and ~/.netrc up again for every request, in a worker thread each
    time (two thread hops per request, queued behind any page being decoded): it is only asked to when a proxy
    is configured at all."""
    import urllib.request
    from urllib.parse import urlsplit

    proxies = urllib.request.getproxies_environment()
    parts = urlsplit(url)
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not urllib.request.proxy_bypass_environment(parts.hostname or "", proxies)


def _validate_endpoint(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise InvalidInput(
            f"Not a valid ARM endpoint: {url[:80]!r}", "expected e.g. https://management.local.azurestack.external"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


_TRANSIENT_STATUS = frozenset({429, 500, 502, 503, 504})


def _read_metadata(url: str, timeout: float, context: ssl.SSLContext, attempts: int = 5) -> object:
    """GET the metadata, retrying throttling (honouring Retry-After), 5xx and a connection that broke before the
    answer arrived, as the SDKs do for every other request; anything else is raised at once."""
    import http.client
    import time

    for attempt in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=timeout, context=context) as resp:  # noqa: S310
                return json.loads(resp.read(2_000_000))
        except urllib.error.HTTPError as err:
            if err.code not in _TRANSIENT_STATUS or attempt == attempts - 1:
                raise
            try:
                wait = min(float(err.headers.get("Retry-After", "")), 10.0)
            except (TypeError, ValueError):
                wait = 0.5 * 2**attempt
        except (http.client.RemoteDisconnected, http.client.IncompleteRead, ConnectionResetError):
            if attempt == attempts - 1:
                raise
            wait = 0.5 * 2**attempt
        except urllib.error.URLError as err:
            if not isinstance(err.reason, ConnectionResetError) or attempt == attempts - 1:
                raise
            wait = 0.5 * 2**attempt
        time.sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover


def discover_cloud(arm_endpoint: str, ca_file: str | None = None, timeout: float = 15.0) -> Cloud:
    """Read ``{arm}/metadata/endpoints?api-version=2022-09-01`` (blocking; call it in a thread)."""
    arm = _validate_endpoint(arm_endpoint)
    url = f"{arm}/metadata/endpoints?api-version=2022-09-01"
    try:
        data = _read_metadata(url, timeout, ssl_context(ca_file))
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(reason):
            raise Unreachable(
                f"The certificate of {arm} is not trusted",
                "pass its CA with --ca-file (or set SSL_CERT_FILE / REQUESTS_CA_BUNDLE)",
            ) from None
        if isinstance(err, urllib.error.HTTPError) and err.code in _TRANSIENT_STATUS:
            raise Unreachable(
                f"{arm} keeps failing (HTTP {err.code}, also after retries)", "try again in a few minutes"
            ) from None
        if isinstance(err, urllib.error.HTTPError):
            raise Unreachable(
                f"{arm} has no cloud metadata (HTTP {err.code})", "check --arm-endpoint: it must be an ARM endpoint"
            ) from None
        raise Unreachable(f"Cannot reach {arm}", f"{reason}; check --arm-endpoint and the network") from None
    except (OSError, ValueError) as err:
        raise Unreachable(f"Cannot read the cloud metadata of {arm}", str(err)[:200]) from None
    if isinstance(data, list):  # older form: a list of clouds
        data = data[0] if data else {}
    try:
        auth = data.get("authentication", {})
        audiences = auth.get("audiences") or [f"{arm}/"]
        graph = (data.get("microsoftGraphResourceId") or data.get("graphAudience") or "").rstrip("/")
        if not graph:
            raise KeyError("microsoftGraphResourceId")
        return Cloud(
            name=str(data.get("name") or "AzureCustomCloud"),
            arm_url=(data.get("resourceManager") or arm).rstrip("/"),
            graph_url=graph,
            login_url=str(auth.get("loginEndpoint") or "").rstrip("/"),
            arm_audience=audiences[0],
            graph_audience=(data.get("graphAudience") or graph + "/"),
            custom=True,
        )
    except (AttributeError, KeyError, IndexError, TypeError) as err:
        raise Unreachable(f"The cloud metadata of {arm} is incomplete", f"missing {err}") from None
