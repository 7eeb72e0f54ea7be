"""mitui against the physical limit: how long the inventory takes, how many requests it costs, how the TUI holds up.

    .venv/bin/python benchmarks/bench.py [--sizes 10:2000,50:10000,200:40000] [--latency-ms 50]

For every size SUBSCRIPTIONS:IDENTITIES it starts ``mitui emulator --scale S:I --latency-ms N`` as a separate
process (the stand-in for Azure: it must not share our CPU time slices or our event loop), and measures:

* ``inventory_s``   the full inventory (identities, their role assignments and app role grants) through the
                    service layer in this process: ``Session.load_inventory()`` on a fresh session (the first load
                    of a session, so the lazy SDK imports it triggers are paid, as they are in the TUI);
                    ``inventory_warm_s`` is a second load on the same session;
* ``inventory_proc_s``  ``mitui inventory --format json`` as a whole process, from spawn to exit;
* ``requests``      ARM + Graph requests the emulator served for the service-layer load (``/_emulator/stats``,
                    reset before each measurement; token requests are counted apart as ``token_requests``);
* ``min_requests``  the fewest the tenant's size and the APIs' page sizes allow (see :func:`request_plan`);
* ``bound_s``       the critical path of that plan: the longest chain of requests that must follow one another,
                    times the latency (see :func:`request_plan`);
* the TUI on the same tenant, headless through Textual's test driver (``App.run_test``) in a child process:
  ``loaded_s`` (app start until the first frame in which the identity table lists every identity),
  ``filter_ms`` (median keystroke-to-repaint in the filter box), ``stall_ms`` (the longest the event loop was
  blocked while loading), ``rss_mb`` (the child's peak resident memory);
* ``first_frame_s`` ``mitui --demo`` from process start to the first frame with content, in a pseudo-terminal.

It prints a table, the growth ratios between consecutive sizes, the targets, and last a single line
``RESULT size=... inventory_s=... bound_s=... requests=... min_requests=... loaded_s=... filter_ms=...
stall_ms=... rss_mb=... first_frame_s=...`` for the middle size.

Measurement methods, in detail
------------------------------
``stall_ms``: a probe task in the app's own event loop sleeps 5 ms at a time and records how late it wakes up;
the longest lateness between app start and 0.3 s after the table was filled is the stall (a blocked loop, or a
thread holding the GIL, shows up as lateness; asyncio's own timer slack is well under a millisecond).

``filter_ms``: after the load, ``/`` opens the filter; then keystrokes are posted to the app one at a time
(``orders func`` typed, then erased: 21 keys, each one a new filter over every identity). For each key the clock
runs from posting the key event until the end of the first compositor refresh of the screen after the table's
filter was applied (the screen's ``_compositor_refresh`` and the table's ``set_filter`` are wrapped on their
instances to timestamp them; in headless mode that refresh renders every dirty line, only the final write of
escape sequences to a terminal is skipped). ``filter_ms`` is the median, ``filter_max_ms`` the worst.

``loaded_s``: the same compositor-refresh stamps: the first refresh of the main screen whose identity table holds
as many rows as the tenant has identities, measured from just before ``run_test`` starts the app (the Python
start-up and imports before that are what ``first_frame_s`` measures).

``first_frame_s``: ``mitui --demo`` is started on a pseudo-terminal (120x40, TERM=xterm-256color); the clock runs
from just before the process is spawned until the terminal output, with escape sequences removed, first holds
20 letters or digits (the first painted screen: the sign-in screen's message and the footer's keys). The median
of ``--first-frame-runs`` runs (5 by default: on a shared 2-core machine single runs vary by ±0.3 s).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import re
import select
import shutil
import signal
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULT_FIELDS = (
    "inventory_s",
    "bound_s",
    "requests",
    "min_requests",
    "loaded_s",
    "filter_ms",
    "stall_ms",
    "rss_mb",
    "first_frame_s",
)
DEFAULT_SIZES = "10:2000,50:10000,200:40000"
TUI_SIZE = (160, 48)
FILTER_KEYS: tuple[tuple[str, str], ...] = (
    *((c, c) for c in "orders"),
    ("space", " "),
    *((c, c) for c in "func"),
    *(("backspace", "") for _ in range(10)),
)
TOKEN_ROUTE = re.compile(r"/(msi/token|metadata/identity|oauth2|[^ ]*/oauth2/)", re.I)


# ------------------------------------------------------------------------------------------------------------------
# small helpers
# ------------------------------------------------------------------------------------------------------------------
def mitui_command() -> list[str]:
    """The installed ``mitui`` entry point next to this interpreter, else ``python -m tui.cli``."""
    script = Path(sys.executable).with_name("mitui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tui.cli"]


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in text.split(","):
        subs, _, ids = part.strip().partition(":")
        try:
            sizes.append((int(subs), int(ids)))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected S:I[,S:I...], e.g. {DEFAULT_SIZES}, not {text!r}") from None
    if not sizes or any(s < 1 or i < 0 for s, i in sizes):
        raise argparse.ArgumentTypeError(f"expected S:I[,S:I...] with S >= 1, not {text!r}")
    return sizes


def pages(count: int, page_size: int) -> int:
    """Requests to read a listing of ``count`` items: at least one (an empty listing is one request too)."""
    return max(1, math.ceil(count / page_size))


def isolated_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment with the XDG dirs (config, cache, audit log) under ``home`` and no other Azure sign-in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE_", "IDENTITY_", "MSI_", "IMDS_"))}
    for name in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"):
        path = home / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


# ------------------------------------------------------------------------------------------------------------------
# the emulator, as a separate process
# ------------------------------------------------------------------------------------------------------------------
class EmulatorProcess:
    """``mitui emulator --scale S:I --latency-ms N --state-dir DIR``, started and stopped by its pid."""

    def __init__(self, subs: int, ids: int, latency_ms: int, seed: int, state_dir: Path) -> None:
        self.args = [
            *mitui_command(),
            "emulator",
            "--scale",
            f"{subs}:{ids}",
            "--latency-ms",
            str(latency_ms),
            "--seed",
            str(seed),
            "--state-dir",
            str(state_dir),
        ]
        self.state_dir = state_dir
        self.proc: subprocess.Popen[str] | None = None
        self.conn: dict[str, str] = {}
        self.started_s = 0.0
        self._spawned = 0.0
        self._ssl: ssl.SSLContext | None = None

    def start(self, env: dict[str, str]) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._stderr = open(self.state_dir / "emulator.stderr", "w")  # noqa: SIM115 - closed in stop()
        self._spawned = time.perf_counter()
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env, start_new_session=True
        )

    def wait_ready(self, timeout: float = 900.0) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        deadline = time.perf_counter() + timeout
        while True:
            if time.perf_counter() > deadline:
                raise RuntimeError(f"the emulator did not get ready within {timeout:.0f} s")
            ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
            if not ready:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the emulator exited ({self.proc.returncode}): {self._stderr_text()}")
                continue
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the emulator exited ({self.proc.wait()}): {self._stderr_text()}")
            if "ready" in line:
                break
        self.started_s = time.perf_counter() - self._spawned
        self.conn = json.loads((self.state_dir / "connection.json").read_text())
        self._ssl = ssl.create_default_context(cafile=self.conn["ca_file"])

    def _stderr_text(self) -> str:
        with contextlib.suppress(OSError):
            return (self.state_dir / "emulator.stderr").read_text()[-2000:]
        return ""

    def _call(self, method: str, path: str) -> dict:
        req = urllib.request.Request(self.conn["arm"] + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, context=self._ssl, timeout=30) as resp:
            return json.loads(resp.read())

    def cpu_s(self) -> float:
        """CPU time the emulator process has used so far (user + system), from /proc."""
        assert self.proc is not None
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reset_stats(self) -> None:
        self._call("POST", "/_emulator/stats/reset")

    def stats(self) -> dict[str, int]:
        """(ARM + Graph data requests, token requests, by route)."""
        return self._call("GET", "/_emulator/stats").get("byRoute", {})

    @property
    def env(self) -> dict[str, str]:
        return {"IDENTITY_ENDPOINT": self.conn["identity_endpoint"], "IDENTITY_HEADER": self.conn["identity_header"]}

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
        with contextlib.suppress(Exception):
            self._stderr.close()


def split_requests(by_route: dict[str, int]) -> tuple[int, int]:
    """(data requests to ARM and Graph, token requests to the MSI / login endpoints)."""
    data = tokens = 0
    for route, n in by_route.items():
        if TOKEN_ROUTE.search(route):
            tokens += n
        else:
            data += n
    return data, tokens


# ------------------------------------------------------------------------------------------------------------------
# the tenant's truth and the irreducible request plan
# ------------------------------------------------------------------------------------------------------------------
@dataclass
class Plan:
    """What the tenant requires, request by request, and the chain of requests that must follow one another."""

    counts: dict[str, int]  # the tenant's size as the loader sees it
    requests: dict[str, int]  # step -> fewest requests
    chains: dict[str, int]  # chain -> requests that must follow one another
    truth: dict[str, int]  # what a correct inventory holds (to check the loader's answer)

    @property
    def min_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def critical_path(self) -> int:
        return max(self.chains.values())


def request_plan(subs: int, ids: int, seed: int) -> Plan:
    """Build the generated tenant in-process (the same one the emulator serves) and derive the fewest requests
    and the critical path of a full inventory from its actual counts and the emulator's page sizes.

    The irreducible request pattern, step by step (page sizes are the emulator's constants, the same as Azure's):

    1. ARM ``GET /subscriptions``: pages(subscriptions, SUBSCRIPTIONS_PAGE_SIZE). Everything per subscription
       needs its id, so each per-subscription chain starts after it.
    2. Per visible subscription, concurrently:
       * ``GET /subscriptions/{id}/resources``: pages(resources in it, RESOURCES_PAGE_SIZE). Needed for what Graph
         does not say: which resources use which user-assigned identity, the identities' location and tags, and
         whether the resource still exists. ARM has no server-side filter on "has an identity", so every resource
         page is read.
       * role assignments, ONE listing at the subscription scope (it includes the assignments below it and those
         inherited from above): pages(assignments around it, ROLE_ASSIGNMENTS_PAGE_SIZE). Never one per identity.
    3. Role definitions: the built-in ones are the same everywhere: ONE listing (ROLE_DEFINITIONS_PAGE_SIZE holds
       them all); custom ones only where an assignment references one, one listing per such subscription, after
       that subscription's assignments are known (+1 on that chain).
    4. Graph, tenant-wide: ``servicePrincipals?$filter=servicePrincipalType eq 'ManagedIdentity'&$top=999``:
       pages(managed identities, MAX_PAGE), strictly sequential (each page's nextLink comes with the previous page).
       This is usually the longest chain.
    5. Graph resource apps (``servicePrincipalType eq 'Application'``, $top=999): pages(applications, MAX_PAGE).
       Needed in any case: an app role grant names its role by id only; its value, description and privilege come
       from the resource app's ``appRoles``.
    6. App role grants, by the cheaper side: the resource side is ``appRoleAssignedTo`` of every resource app that
       exposes application app roles, their first pages 20 to a ``$batch`` (MAX_BATCH_REQUESTS), then each app's
       further pages (999 each) through its nextLink; the identity side is ``appRoleAssignments`` of every identity,
       20 to a ``$batch``, plus further pages. The plan takes the cheaper. On the resource side the chain is: the
       apps listing, the batch, then the further pages of the app with the most grants, one after the other.
    7. Orphaned role assignments: assignments to a service principal that is neither a managed identity nor an app
       may point at a deleted principal; ``directoryObjects/getByIds`` answers 1000 ids (MAX_GET_BY_IDS) per
       request. The candidates are known only once the assignments AND the directory listings (4, 5) are in, so it
       adds one request at the end of the longest of those chains.

    Not counted: token requests (two, one per audience; the emulator serves them without latency) and ARM's
    ``/metadata/endpoints`` (part of signing in, before the inventory starts). Not assumed: packing the first pages
    of unrelated Graph listings into one ``$batch`` (it would save at most 2 requests here and no latency on the
    critical path, since each listing's further pages still follow one another); ARM's undocumented batch endpoint.
    """
    from tui.emulator import arm as arm_api
    from tui.emulator import graph as graph_api
    from tui.emulator import rbac
    from tui.emulator.generated import build_generated_tenant
    from tui.emulator.tenant import arm_key

    tenant = build_generated_tenant(subs, ids, seed)
    caller = tenant.admin_user_id  # the principal the emulator's token endpoints sign in by default
    visible = [
        s
        for s in tenant.subscriptions.values()
        if rbac.has_any_right_in(tenant, caller, f"/subscriptions/{s.subscription_id}")
    ]
    visible_keys = {s.subscription_id.lower() for s in visible}

    resources_per_sub: dict[str, int] = {}
    for key in tenant.resources:
        parts = key.split("/")
        if len(parts) > 2 and parts[2] in visible_keys:
            resources_per_sub[parts[2]] = resources_per_sub.get(parts[2], 0) + 1

    custom = {name for name, rd in tenant.role_definitions.items() if rd.role_type == "CustomRole"}
    ras_per_sub: dict[str, int] = {}
    subs_needing_custom: set[str] = set()
    seen_ras: dict[int, Any] = {}
    for s in visible:
        found = rbac.assignments_around(tenant, f"/subscriptions/{s.subscription_id}", below=True)
        ras_per_sub[s.subscription_id.lower()] = len(found)
        for ra in found:
            seen_ras[id(ra)] = ra
            if ra.role_definition_name in custom:
                subs_needing_custom.add(s.subscription_id.lower())

    sps = tenant.service_principals.values()
    mi_ids = {sp.id.lower() for sp in sps if sp.service_principal_type == "ManagedIdentity"}
    app_ids = {sp.id.lower() for sp in sps if sp.service_principal_type == "Application"}
    resource_apps = [
        sp
        for sp in sps
        if sp.service_principal_type == "Application"
        and any("Application" in (r.get("allowedMemberTypes") or []) for r in sp.app_roles)
    ]
    grants_per_app: dict[str, int] = {}
    grants_per_mi: dict[str, int] = {}
    grants_to_mis = 0
    for g in tenant.app_role_assignments.values():
        grants_per_app[g.resource_id.lower()] = grants_per_app.get(g.resource_id.lower(), 0) + 1
        if g.principal_id.lower() in mi_ids:
            grants_per_mi[g.principal_id.lower()] = grants_per_mi.get(g.principal_id.lower(), 0) + 1
            grants_to_mis += 1
    ras = list(seen_ras.values())
    ras_to_mis = sum(1 for ra in ras if ra.principal_id.lower() in mi_ids)
    orphan_candidates = {
        ra.principal_id.lower()
        for ra in ras
        if ra.principal_type == "ServicePrincipal"
        and ra.principal_id.lower() not in mi_ids
        and ra.principal_id.lower() not in app_ids
    }
    builtin_defs = sum(1 for rd in tenant.role_definitions.values() if rd.role_type == "BuiltInRole")

    page_g, batch, by_ids = graph_api.MAX_PAGE, graph_api.MAX_BATCH_REQUESTS, graph_api.MAX_GET_BY_IDS
    subs_pages = pages(len(tenant.subscriptions), arm_api.SUBSCRIPTIONS_PAGE_SIZE)
    res_pages = {k: pages(resources_per_sub.get(k, 0), arm_api.RESOURCES_PAGE_SIZE) for k in visible_keys}
    ra_pages = {k: pages(ras_per_sub.get(k, 0), arm_api.ROLE_ASSIGNMENTS_PAGE_SIZE) for k in visible_keys}
    mi_pages = pages(len(mi_ids), page_g)
    app_pages = pages(len(app_ids), page_g)

    resource_side = math.ceil(len(resource_apps) / batch) + sum(
        pages(grants_per_app.get(a.id.lower(), 0), page_g) - 1 for a in resource_apps
    )
    identity_side = math.ceil(len(mi_ids) / batch) + sum(pages(n, page_g) - 1 for n in grants_per_mi.values())
    use_resource_side = resource_side <= identity_side
    grant_requests = min(resource_side, identity_side) if mi_ids else 0
    if use_resource_side:
        longest_app = max((pages(grants_per_app.get(a.id.lower(), 0), page_g) for a in resource_apps), default=0)
        grants_chain = app_pages + longest_app if resource_apps else 0
    else:
        grants_chain = 1 + max((pages(n, page_g) for n in grants_per_mi.values()), default=1)

    requests = {
        "ARM subscriptions": subs_pages,
        "ARM resources": sum(res_pages.values()),
        "ARM role assignments": sum(ra_pages.values()),
        "ARM role definitions": pages(builtin_defs, arm_api.ROLE_DEFINITIONS_PAGE_SIZE) + len(subs_needing_custom),
        "Graph managed identities": mi_pages,
        "Graph resource apps": app_pages,
        "Graph app role grants": grant_requests,
        "Graph getByIds (orphans)": math.ceil(len(orphan_candidates) / by_ids),
    }
    arm_chain = subs_pages + max(
        (max(res_pages[k], ra_pages[k] + (1 if k in subs_needing_custom else 0)) for k in visible_keys), default=0
    )
    ra_chain = subs_pages + max(ra_pages.values(), default=0)
    chains = {
        "ARM subscriptions → per-subscription listings": arm_chain,
        "ARM role definitions": pages(builtin_defs, arm_api.ROLE_DEFINITIONS_PAGE_SIZE),
        "Graph managed identities": mi_pages,
        "Graph apps → app role grants": grants_chain,
    }
    if orphan_candidates:
        chains["… → getByIds (orphans)"] = max(ra_chain, mi_pages, app_pages) + 1
    counts = {
        "subscriptions": len(tenant.subscriptions),
        "visible subscriptions": len(visible),
        "resources": sum(resources_per_sub.values()),
        "role assignments listed": len(ras),
        "managed identities": len(mi_ids),
        "applications": len(app_ids),
        "resource apps": len(resource_apps),
        "app role grants": len(tenant.app_role_assignments),
        "orphan candidates": len(orphan_candidates),
        "max resources/sub": max(resources_per_sub.values(), default=0),
        "max assignments/sub": max(ras_per_sub.values(), default=0),
    }
    truth = {
        "identities": len(mi_ids),
        "role assignments of identities": ras_to_mis,
        "app role grants of identities": grants_to_mis,
    }
    del tenant, ras, seen_ras
    _ = arm_key  # (imported to show where the emulator's id keys come from)
    return Plan(counts=counts, requests=requests, chains=chains, truth=truth)


# ------------------------------------------------------------------------------------------------------------------
# measurements
# ------------------------------------------------------------------------------------------------------------------
@dataclass
class Figures:
    size: str
    subs: int
    ids: int
    latency_ms: int
    emulator_start_s: float = 0.0
    emulator_start_cpu_s: float = math.nan
    connect_s: float = 0.0
    inventory_s: float = math.nan
    inventory_warm_s: float = math.nan
    inventory_proc_s: float = math.nan
    client_cpu_s: float = math.nan
    emulator_cpu_s: float = math.nan
    requests: int = 0
    token_requests: int = 0
    proc_requests: int = 0
    min_requests: int = 0
    critical_path: int = 0
    bound_s: float = math.nan
    loaded_s: float = math.nan
    filter_ms: float = math.nan
    filter_max_ms: float = math.nan
    stall_ms: float = math.nan
    rss_mb: float = math.nan
    tui_requests: int = 0
    main_screen_s: float = math.nan  # TUI: when the main screen was first composed
    worst_stalls: list[tuple[float, float]] = field(default_factory=list)  # (s after start, ms)
    first_frame_s: float = math.nan
    checks: list[str] = field(default_factory=list)
    routes: dict[str, int] = field(default_factory=dict)
    plan_requests: dict[str, int] = field(default_factory=dict)
    plan_chains: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def cpu_floor_s(self) -> float:
        """The least inventory_s that the CPU it took allows on this machine, however the work were overlapped: mitui
        runs Python on one core at a time (the GIL), and the emulator shares the machine's cores with it."""
        return max(self.client_cpu_s, (self.client_cpu_s + self.emulator_cpu_s) / (os.cpu_count() or 1))


async def measure_service(emu: EmulatorProcess, fig: Figures, truth: dict[str, int], warm: bool) -> None:
    """``Session.load_inventory`` in this process, on a fresh session connected as ``mitui`` would connect."""
    from tui.azure.connect import ConnectOptions, connect

    options = ConnectOptions(
        arm_endpoint=emu.conn["arm"], credential="managed-identity", ca_file=emu.conn["ca_file"], read_only=True
    )
    t0 = time.perf_counter()
    session = await connect(options, env=emu.env)
    fig.connect_s = time.perf_counter() - t0
    try:
        gc.collect()
        emu.reset_stats()
        cpu0, emu0 = time.process_time(), emu.cpu_s()
        t0 = time.perf_counter()
        inventory = await session.load_inventory()
        fig.inventory_s = time.perf_counter() - t0
        fig.client_cpu_s, fig.emulator_cpu_s = time.process_time() - cpu0, emu.cpu_s() - emu0
        fig.routes = emu.stats()
        fig.requests, fig.token_requests = split_requests(fig.routes)
        got = {
            "identities": len(inventory.identities),
            "role assignments of identities": sum(len(v) for v in inventory.role_assignments.values()),
            "app role grants of identities": sum(len(v) for v in inventory.app_role_assignments.values()),
        }
        for what, want in truth.items():
            if got[what] != want:
                fig.checks.append(f"service layer: {got[what]} {what}, the tenant has {want}")
        for problem in inventory.problems[:5]:
            fig.checks.append(f"service layer problem: {problem}")
        del inventory
        if warm:
            gc.collect()
            t0 = time.perf_counter()
            await session.load_inventory()
            fig.inventory_warm_s = time.perf_counter() - t0
    finally:
        await session.close()


def measure_process(emu: EmulatorProcess, fig: Figures, truth: dict[str, int], home: Path) -> None:
    """``mitui inventory --format json`` as a whole process, spawn to exit."""
    out = home / f"inventory-{fig.subs}-{fig.ids}.json"
    args = [
        *mitui_command(),
        "inventory",
        "--format",
        "json",
        "--arm-endpoint",
        emu.conn["arm"],
        "--credential",
        "managed-identity",
        "--ca-file",
        emu.conn["ca_file"],
    ]
    env = isolated_env(home, emu.env)
    emu.reset_stats()
    with open(out, "wb") as stdout:
        t0 = time.perf_counter()
        proc = subprocess.run(args, stdout=stdout, stderr=subprocess.PIPE, env=env, timeout=1800)
        fig.inventory_proc_s = time.perf_counter() - t0
    fig.proc_requests, _ = split_requests(emu.stats())
    if proc.returncode != 0:
        fig.checks.append(f"mitui inventory exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}")
        fig.inventory_proc_s = math.nan
        return
    try:
        identities = len(json.loads(out.read_bytes()).get("identities", []))
    except (ValueError, AttributeError) as err:
        fig.checks.append(f"mitui inventory printed no JSON inventory: {err}")
        return
    finally:
        out.unlink(missing_ok=True)
    if identities != truth["identities"]:
        fig.checks.append(f"mitui inventory: {identities} identities, the tenant has {truth['identities']}")


def measure_tui(
    emu: EmulatorProcess,
    fig: Figures,
    expected: int,
    home: Path,
    timeout: float,
    profile_dir: str | None = None,
    stall_dir: str | None = None,
) -> None:
    """The TUI in a child process (so that its peak memory is its own); see :func:`tui_child`."""
    conn_file = emu.state_dir / "connection.json"
    args = [sys.executable, str(Path(__file__).resolve()), "--tui-child", str(conn_file), str(expected)]
    args += ["--tui-timeout", str(timeout)]
    if profile_dir:
        args += ["--profile-dir", str(Path(profile_dir) / fig.size.replace(":", "-"))]
    if stall_dir:
        args += ["--stall-stacks", str(Path(stall_dir) / fig.size.replace(":", "-"))]
    emu.reset_stats()
    proc = subprocess.run(
        args, capture_output=True, text=True, env=isolated_env(home, emu.env), timeout=timeout + 120, cwd=ROOT
    )
    fig.tui_requests, _ = split_requests(emu.stats())
    line = next((ln for ln in reversed(proc.stdout.splitlines()) if ln.startswith("BENCH-TUI ")), None)
    if proc.returncode != 0 or line is None:
        fig.checks.append(f"TUI child exited {proc.returncode}: {(proc.stderr or proc.stdout)[-600:]}")
        return
    data = json.loads(line.removeprefix("BENCH-TUI "))
    fig.loaded_s = data["loaded_s"]
    fig.filter_ms = data["filter_ms"]
    fig.filter_max_ms = data["filter_max_ms"]
    fig.stall_ms = data["stall_ms"]
    fig.rss_mb = data["rss_mb"]
    fig.main_screen_s = data.get("main_screen_s") or math.nan
    fig.worst_stalls = [tuple(x) for x in data.get("worst_stalls", [])]
    fig.checks.extend(data.get("checks", []))


def measure_first_frame(home: Path, runs: int, timeout: float = 60.0) -> tuple[float, list[str]]:
    """``mitui --demo`` on a pseudo-terminal: spawn until the first frame with content (median of ``runs``)."""
    import fcntl
    import pty
    import struct
    import termios

    escapes = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[P^_][^\x1b]*\x1b\\|\x1b.")
    times: list[float] = []
    problems: list[str] = []
    env = isolated_env(home / "demo", {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"})
    env.pop("TEXTUAL", None)
    for _ in range(runs):
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [*mitui_command(), "--demo"],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        buf = b""
        found = math.nan
        try:
            deadline = t0 + timeout
            while time.perf_counter() < deadline:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    if proc.poll() is not None:
                        break
                    continue
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                visible = escapes.sub(b"", buf)
                if sum(1 for b in visible if 48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) >= 20:
                    found = time.perf_counter() - t0
                    break
        finally:
            _stop_tty_app(proc, master)
        if math.isnan(found):
            problems.append(f"mitui --demo showed no content within {timeout:.0f} s: {buf[-300:]!r}")
        else:
            times.append(found)
    return (statistics.median(times) if times else math.nan), problems


def _stop_tty_app(proc: subprocess.Popen[bytes], master: int) -> None:
    with contextlib.suppress(OSError):
        os.write(master, b"q")
    end = time.perf_counter() + 8
    while proc.poll() is None and time.perf_counter() < end:
        with contextlib.suppress(OSError):  # keep draining: a full pty would block the app's writes
            if select.select([master], [], [], 0.05)[0]:
                os.read(master, 65536)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    with contextlib.suppress(OSError):
        os.close(master)


# ------------------------------------------------------------------------------------------------------------------
# the TUI child: runs inside its own process
# ------------------------------------------------------------------------------------------------------------------
class LagProbe:
    """Sleeps ``interval`` at a time in the event loop and records how late each wake-up is."""

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.samples: list[tuple[float, float]] = []  # (wake-up time, lateness)
        self.cpu: list[float] = []  # the process's CPU time at each wake-up
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            now = time.perf_counter()
            self.samples.append((now, now - before - self.interval))
            self.cpu.append(time.process_time())

    def worst(self, start: float, end: float) -> float:
        return max((lag for t, lag in self.samples if start <= t <= end), default=0.0)

    def top(self, start: float, end: float, n: int = 5) -> list[tuple[float, float]]:
        """The ``n`` worst (seconds after ``start``, lateness in ms) between ``start`` and ``end``."""
        worst = sorted((lag, t) for t, lag in self.samples if start <= t <= end)[-n:]
        return [(round(t - start, 3), round(lag * 1000, 1)) for lag, t in reversed(worst)]

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()


class StallSampler:
    """``--stall-stacks``: what the TUI's worst stalls were made of, to know where to look.

    - a thread samples the event loop thread's stack while the probe is late (the loop blocked). It needs the GIL
      itself: few samples in a long stall mean the loop thread was waiting for the GIL too (held by a worker thread,
      or by a long call in C);
    - the process's CPU in each stall (about the stall's length: busy; much less: the machine was busy elsewhere);
    - the modules first imported on the loop's thread, and when;
    - every paint while loading: when, how long, how many cells it repainted."""

    def __init__(self, probe: LagProbe, every: float = 0.004, late: float = 0.02) -> None:
        import threading

        self.probe, self.every, self.late = probe, every, late
        self.loop_thread = threading.get_ident()
        self.samples: list[tuple[float, str]] = []  # (time, stack summary)
        self.imports: list[tuple[float, str]] = []  # (time, module)
        self.paints: list[tuple[float, float, int]] = []  # (start, end, cells repainted)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        import sys
        import threading

        sampler = self

        class LoopImports:  # a finder that finds nothing: it only notes imports made on the loop's thread
            def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
                if threading.get_ident() == sampler.loop_thread:
                    sampler.imports.append((time.perf_counter(), name))

        sys.meta_path.insert(0, LoopImports())  # type: ignore[arg-type]
        self._thread.start()

    def _run(self) -> None:
        import sys
        import traceback

        late = self.probe.interval + self.late
        while not self._stop.wait(self.every):
            last = self.probe.samples[-1][0] if self.probe.samples else None
            now = time.perf_counter()
            frame = sys._current_frames().get(self.loop_thread)
            if last is None or now - last < late or frame is None:
                continue
            stack = traceback.extract_stack(frame)[-14:]
            self.samples.append((now, " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in stack[::-1])))

    def write(self, directory: str, start: float, load_end: float) -> None:
        self._stop.set()
        out = []
        probe = self.probe
        for t, ms in probe.top(start, time.perf_counter(), 8):
            end = start + t
            begin = end - ms / 1000 - probe.interval
            i = min(range(len(probe.samples)), key=lambda k: abs(probe.samples[k][0] - end))
            cpu = (probe.cpu[i] - probe.cpu[i - 1]) * 1000 if i > 0 else math.nan
            out.append(f"=== stall of {ms:.0f} ms ending {t:.2f}s after start; process CPU in it {cpu:.0f} ms")
            seen: dict[str, int] = {}
            for when, stack in self.samples:
                if begin <= when <= end:
                    seen[stack] = seen.get(stack, 0) + 1
            out += [f"  {n:3d} × {stack}" for stack, n in sorted(seen.items(), key=lambda kv: -kv[1])]
        out.append("modules first imported on the event loop's thread:")
        out += [f"  {t - start:.2f}s {name}" for t, name in self.imports]
        paints = [(a - start, (b - a) * 1000, cells) for a, b, cells in self.paints if a <= load_end]
        out.append(f"paints while loading: {len(paints)}, {sum(p[1] for p in paints):.0f} ms in all")
        out += [f"  {t:.2f}s {ms:.0f} ms, {cells} cells" for t, ms, cells in paints]
        Path(directory).mkdir(parents=True, exist_ok=True)
        (Path(directory) / "tui-stalls.txt").write_text("\n".join(out) + "\n")


class PhaseProfiler:
    """pyinstrument (``pip install .[bench]``) over one phase of the TUI child, when a directory is given."""

    def __init__(self, directory: str | None, name: str) -> None:
        self.path = Path(directory) / f"{name}.txt" if directory else None
        self.profiler: Any = None

    def __enter__(self) -> PhaseProfiler:
        if self.path is not None:
            from pyinstrument import Profiler

            self.profiler = Profiler(async_mode="disabled")
            self.profiler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.profiler is not None and self.path is not None:
            self.profiler.stop()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            show_all = os.environ.get("BENCH_PROFILE_ALL") == "1"  # Textual's and asyncio's frames too
            self.path.write_text(self.profiler.output_text(unicode=True, show_all=show_all))


async def tui_child(
    conn_file: str,
    expected: int,
    timeout: float = 900.0,
    profile_dir: str | None = None,
    stall_dir: str | None = None,
) -> dict[str, Any]:
    import resource

    from textual import events

    from tui.app import MituiApp
    from tui.config import Config
    from tui.launch import azure_factory

    conn = json.loads(Path(conn_file).read_text())
    os.environ["IDENTITY_ENDPOINT"] = conn["identity_endpoint"]
    os.environ["IDENTITY_HEADER"] = conn["identity_header"]
    args = argparse.Namespace(
        cloud=None, arm_endpoint=conn["arm"], credential="managed-identity", tenant=None, ca_file=conn["ca_file"]
    )
    app = MituiApp(azure_factory(args, True), config=Config())
    checks: list[str] = []
    frames: list[float] = []  # compositor refreshes of the main screen
    filters: list[float] = []  # the identity table's set_filter calls (end)
    loaded_at: list[float] = []
    main_screen_at: list[float] = []
    state: dict[str, Any] = {"screen": None, "table": None}

    def instrument(screen: Any) -> bool:
        try:
            table = screen.query_one("#identities")
        except Exception:  # not composed yet
            return False
        state["screen"], state["table"] = screen, table
        main_screen_at.append(time.perf_counter())
        refresh = screen._compositor_refresh

        def stamped_refresh() -> None:
            before = time.perf_counter()
            cells = sum(r.area for r in screen._compositor._dirty_regions)
            refresh()
            now = time.perf_counter()
            if sampler is not None:
                sampler.paints.append((before, now, cells))
            frames.append(now)
            if not loaded_at and table.row_count >= expected:
                loaded_at.append(now)

        screen._compositor_refresh = stamped_refresh
        set_filter = table.set_filter

        def stamped_set_filter(*a: Any, **k: Any) -> Any:
            result = set_filter(*a, **k)
            filters.append(time.perf_counter())
            return result

        table.set_filter = stamped_set_filter
        return True

    probe = LagProbe()
    probe.start()
    sampler = StallSampler(probe) if stall_dir else None
    if sampler is not None:
        sampler.start()
    t0 = time.perf_counter()
    filter_times: list[float] = []
    load_profile = PhaseProfiler(profile_dir, "tui-load").__enter__()
    async with app.run_test(headless=True, size=TUI_SIZE) as pilot:
        deadline = t0 + timeout
        while not loaded_at and time.perf_counter() < deadline:
            screen = app.screen
            if state["screen"] is not screen and type(screen).__name__ == "MainScreen":
                instrument(screen)
            if app.connect_error is not None:
                checks.append(f"TUI could not connect: {app.connect_error}")
                break
            await asyncio.sleep(0.002)
        load_profile.__exit__()
        if not loaded_at:
            table = state["table"]
            rows = table.row_count if table is not None else 0
            checks.append(f"TUI listed {rows} of {expected} identities within {timeout:.0f} s")
            loaded_s = math.nan
            stall_ms = probe.worst(t0, time.perf_counter()) * 1000
            stalls = probe.top(t0, time.perf_counter())
        else:
            loaded_s = loaded_at[0] - t0
            await asyncio.sleep(0.3)
            stall_ms = probe.worst(t0, loaded_at[0] + 0.3) * 1000
            stalls = probe.top(t0, loaded_at[0] + 0.3)
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.press("slash")
            await pilot.pause()
            filter_profile = PhaseProfiler(profile_dir, "tui-filter").__enter__()
            for key, char in FILTER_KEYS:
                n_filters, start = len(filters), time.perf_counter()
                app.post_message(events.Key(key, char or None))
                end = start + 10.0
                done = math.nan
                while time.perf_counter() < end:
                    await asyncio.sleep(0.0005)
                    if len(filters) > n_filters and frames and frames[-1] > filters[n_filters]:
                        done = next(f for f in frames if f > filters[n_filters]) - start
                        break
                if math.isnan(done):
                    checks.append(f"filter: no repaint within 10 s after key {key!r}")
                filter_times.append(done * 1000)
                await asyncio.sleep(0.03)
            filter_profile.__exit__()
    probe.stop()
    if sampler is not None and stall_dir:
        sampler.write(stall_dir, t0, loaded_at[0] + 0.3 if loaded_at else time.perf_counter())
    valid = [t for t in filter_times if not math.isnan(t)]
    return {
        "loaded_s": loaded_s,
        "filter_ms": statistics.median(valid) if valid else math.nan,
        "filter_max_ms": max(valid) if valid else math.nan,
        "stall_ms": stall_ms,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worst_stalls": stalls,  # (seconds after start, ms): where to look
        "main_screen_s": round(main_screen_at[0] - t0, 3) if main_screen_at else None,
        "checks": checks,
    }


# ------------------------------------------------------------------------------------------------------------------
# the run, and the report
# ------------------------------------------------------------------------------------------------------------------
def run_size(subs: int, ids: int, ns: argparse.Namespace, home: Path) -> Figures:
    fig = Figures(size=f"{subs}:{ids}", subs=subs, ids=ids, latency_ms=ns.latency_ms)
    emu = EmulatorProcess(subs, ids, ns.latency_ms, ns.seed, home / f"emulator-{subs}-{ids}")
    emu.start(isolated_env(home))
    try:
        plan = request_plan(subs, ids, ns.seed)  # built while the emulator builds the same tenant
        gc.collect()
        fig.min_requests = plan.min_requests
        fig.critical_path = plan.critical_path
        fig.bound_s = plan.critical_path * ns.latency_ms / 1000
        fig.plan_requests, fig.plan_chains, fig.counts = plan.requests, plan.chains, plan.counts
        emu.wait_ready()
        fig.emulator_start_s = emu.started_s
        fig.emulator_start_cpu_s = emu.cpu_s()  # (it pre-encodes its listings before it says ready)
        log(f"{fig.size}: emulator ready; measuring the service layer")
        asyncio.run(measure_service(emu, fig, plan.truth, warm=not ns.no_warm))
        log(f"{fig.size}: inventory_s={fig.inventory_s:.2f} requests={fig.requests}; measuring `mitui inventory`")
        if not ns.skip_process:
            measure_process(emu, fig, plan.truth, home)
        if not ns.skip_tui:
            log(f"{fig.size}: inventory_proc_s={fig.inventory_proc_s:.2f}; measuring the TUI")
            measure_tui(emu, fig, plan.truth["identities"], home, ns.tui_timeout, ns.profile_dir, ns.stall_stacks)
            log(f"{fig.size}: loaded_s={fig.loaded_s:.2f} filter_ms={fig.filter_ms:.1f} stall_ms={fig.stall_ms:.0f}")
    finally:
        emu.stop()
    return fig


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def fmt(value: float | int, digits: int = 2) -> str:
    if isinstance(value, int):
        return str(value)
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:.{digits}f}"


ROWS: tuple[tuple[str, str, int], ...] = (
    # (attribute, label, digits)
    ("inventory_s", "inventory_s (service layer, first load)", 2),
    ("inventory_warm_s", "inventory_warm_s (second load)", 2),
    ("inventory_proc_s", "inventory_proc_s (`mitui inventory` process)", 2),
    ("client_cpu_s", "  CPU of mitui during inventory_s", 2),
    ("emulator_cpu_s", "  CPU of the emulator during inventory_s", 2),
    ("cpu_floor_s", "  CPU floor (the least inventory_s that CPU allows)", 2),
    ("bound_s", "bound_s (critical path × latency)", 2),
    ("critical_path", "critical path (requests in a row)", 0),
    ("requests", "requests (ARM + Graph)", 0),
    ("min_requests", "min_requests", 0),
    ("proc_requests", "requests of `mitui inventory`", 0),
    ("token_requests", "token requests (not counted above)", 0),
    ("loaded_s", "loaded_s (TUI: start → every identity listed)", 2),
    ("tui_requests", "requests of the TUI's load", 0),
    ("filter_ms", "filter_ms (median keystroke → repaint)", 1),
    ("filter_max_ms", "filter_max_ms (worst keystroke)", 1),
    ("stall_ms", "stall_ms (longest event-loop block, loading)", 1),
    ("rss_mb", "rss_mb (TUI process peak)", 0),
    ("connect_s", "connect_s (sign-in, not in inventory_s)", 2),
    ("emulator_start_s", "emulator start (spawn → ready)", 1),
    ("emulator_start_cpu_s", "  CPU of the emulator to get ready", 1),
)
GROWTH = ("inventory_s", "inventory_proc_s", "requests", "loaded_s", "filter_ms", "stall_ms", "rss_mb")


def targets(fig: Figures) -> list[tuple[str, str, bool]]:
    return [
        (
            "inventory_s ≤ 1.5 × bound_s",
            f"{fmt(fig.inventory_s)} vs {fmt(1.5 * fig.bound_s)}",
            fig.inventory_s <= 1.5 * fig.bound_s,
        ),
        (
            "requests ≤ 1.2 × min_requests",
            f"{fig.requests} vs {fmt(1.2 * fig.min_requests, 1)}",
            fig.requests <= 1.2 * fig.min_requests,
        ),
        ("filter_ms ≤ 50", fmt(fig.filter_ms, 1), fig.filter_ms <= 50),
        ("stall_ms ≤ 100", fmt(fig.stall_ms, 1), fig.stall_ms <= 100),
        ("rss_mb ≤ 400", fmt(fig.rss_mb, 0), fig.rss_mb <= 400),
        ("first_frame_s ≤ 1.0", fmt(fig.first_frame_s), fig.first_frame_s <= 1.0),
    ]


def report(figs: list[Figures], first_frame_s: float) -> str:
    lines: list[str] = []
    width = max(len(label) for _, label, _ in ROWS) + 2
    header = "metric".ljust(width) + "".join(f.size.rjust(14) for f in figs)
    lines += [f"latency {figs[0].latency_ms} ms per ARM/Graph request", header, "-" * len(header)]
    for attr, label, digits in ROWS:
        lines.append(label.ljust(width) + "".join(fmt(getattr(f, attr), digits).rjust(14) for f in figs))
    lines.append("first_frame_s (`mitui --demo`)".ljust(width) + fmt(first_frame_s).rjust(14))
    lines.append("")
    lines.append("tenant".ljust(width) + "".join(f.size.rjust(14) for f in figs))
    for key in figs[0].counts:
        lines.append(f"  {key}".ljust(width) + "".join(str(f.counts.get(key, "")).rjust(14) for f in figs))
    lines.append("fewest requests, by step".ljust(width))
    for key in figs[0].plan_requests:
        lines.append(f"  {key}".ljust(width) + "".join(str(f.plan_requests.get(key, "")).rjust(14) for f in figs))
    lines.append("chains (requests in a row)".ljust(width))
    for key in dict.fromkeys(k for f in figs for k in f.plan_chains):
        lines.append(f"  {key}".ljust(width) + "".join(str(f.plan_chains.get(key, "-")).rjust(14) for f in figs))
    lines.append("worst event-loop stalls of the TUI (seconds after start: ms), to know where to look")
    for f in figs:
        stalls = ", ".join(f"{t:.2f}s: {ms:.0f}" for t, ms in f.worst_stalls) or "-"
        lines.append(f"  {f.size}: main screen at {fmt(f.main_screen_s)}s, loaded at {fmt(f.loaded_s)}s; {stalls}")
    lines.append("requests served, by route (service layer)")
    for f in figs:
        lines.append(f"  {f.size}: " + ", ".join(f"{r} ×{n}" for r, n in f.routes.items()))
    if len(figs) > 1:
        lines.append("")
        lines.append("growth (ratio between consecutive sizes; linear = the identities' ratio)")
        for a, b in zip(figs, figs[1:], strict=False):
            ids_ratio = b.ids / a.ids if a.ids else math.nan
            parts = [f"identities ×{ids_ratio:.1f}"]
            for attr in GROWTH:
                va, vb = getattr(a, attr), getattr(b, attr)
                ratio = vb / va if va and not math.isnan(va) and not math.isnan(vb) else math.nan
                mark = "" if math.isnan(ratio) else (" ok" if ratio <= ids_ratio * 1.05 else " SUPERLINEAR")
                parts.append(f"{attr} ×{fmt(ratio)}{mark}")
            lines.append(f"  {a.size} → {b.size}: " + ", ".join(parts))
    middle = figs[len(figs) // 2]
    middle.first_frame_s = first_frame_s
    lines.append("")
    lines.append(f"targets at {middle.size}")
    for name, value, ok in targets(middle):
        lines.append(f"  {'MET    ' if ok else 'NOT MET'} {name}: {value}")
    problems = [f"{f.size}: {c}" for f in figs for c in f.checks]
    if problems:
        lines.append("")
        lines.append("CHECKS FAILED (the figures above may not measure a correct inventory):")
        lines += [f"  {p}" for p in problems]
    lines.append("")
    values = {name: getattr(middle, name) for name in RESULT_FIELDS}
    digits = {"requests": 0, "min_requests": 0, "filter_ms": 1, "stall_ms": 1, "rss_mb": 0}
    lines.append(
        f"RESULT size={middle.size} "
        + " ".join(f"{k}={fmt(v, digits.get(k, 2)) if not isinstance(v, int) else v}" for k, v in values.items())
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes(DEFAULT_SIZES), metavar="S:I,...")
    parser.add_argument("--latency-ms", type=int, default=50, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--first-frame-runs", type=int, default=5, metavar="N")
    parser.add_argument("--tui-timeout", type=float, default=900.0, metavar="S")
    parser.add_argument("--no-warm", action="store_true", help="skip the second (warm) service-layer load")
    parser.add_argument("--skip-process", action="store_true", help="skip `mitui inventory` as a process")
    parser.add_argument("--skip-tui", action="store_true", help="skip the TUI measurements")
    parser.add_argument("--json", metavar="FILE", help="also write every figure to FILE")
    parser.add_argument(
        "--profile-dir", metavar="DIR", help="write pyinstrument profiles of the TUI's load and filter phases to DIR"
    )
    parser.add_argument(
        "--stall-stacks", metavar="DIR", help="write what the TUI's event loop was doing in its worst stalls to DIR"
    )
    parser.add_argument("--tui-child", nargs=2, metavar=("CONNECTION_JSON", "IDENTITIES"), help=argparse.SUPPRESS)
    ns = parser.parse_args(argv)

    if ns.tui_child:
        result = asyncio.run(
            tui_child(ns.tui_child[0], int(ns.tui_child[1]), ns.tui_timeout, ns.profile_dir, ns.stall_stacks)
        )
        print("BENCH-TUI " + json.dumps(result), flush=True)
        return 0

    home = Path(tempfile.mkdtemp(prefix="mitui-bench-"))
    os.environ.update({k: v for k, v in isolated_env(home).items() if k.startswith("XDG_")})
    try:
        figs = []
        for subs, ids in ns.sizes:
            figs.append(run_size(subs, ids, ns, home))
        log("measuring the first frame of `mitui --demo`")
        time.sleep(2.0)  # let the last emulator's exit settle: this figure is sensitive to a busy CPU
        first_frame_s, problems = measure_first_frame(home, max(1, ns.first_frame_runs))
        figs[len(figs) // 2].checks.extend(problems)
        for f in figs:
            f.first_frame_s = first_frame_s
        text = report(figs, first_frame_s)
        print(text, flush=True)
        if ns.json:
            Path(ns.json).write_text(json.dumps([asdict(f) for f in figs], indent=2, default=str))
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
