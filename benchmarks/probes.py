"""The inventory, measured: through the service layer in this process, and ``mitui inventory`` as a whole process."""

from __future__ import annotations

import gc
import json
import math
import subprocess
import time
from pathlib import Path

from benchmarks.emulator_process import EmulatorProcess, split_requests
from benchmarks.figures import Figures
from benchmarks.processes import isolated_env, mitui_command


async def measure_sources(emu: EmulatorProcess, fig: Figures, truth: dict[str, int]) -> None:
    """The first load of a fresh session through each source, ARM and Resource Graph: its time and requests."""
    from tui.azure.connect import ConnectOptions, connect

    for source, attr in (("arm", "arm"), ("resource-graph", "graph")):
        options = ConnectOptions(
            arm_endpoint=emu.conn["arm"],
            credential="managed-identity",
            ca_file=emu.conn["ca_file"],
            read_only=True,
            source=source,
        )
        session = await connect(options, env=emu.env)
        try:
            gc.collect()
            emu.reset_stats()
            t0 = time.perf_counter()
            inventory = await session.load_inventory()
            setattr(fig, f"inventory_{attr}_s", time.perf_counter() - t0)
            setattr(fig, f"requests_{attr}", split_requests(emu.stats())[0])
            if len(inventory.identities) != truth["identities"]:
                fig.checks.append(f"{source}: {len(inventory.identities)} identities, the tenant has {truth}")
            for problem in inventory.problems[:5]:
                fig.checks.append(f"{source} problem: {problem}")
            del inventory
        finally:
            await session.close()


async def measure_service(emu: EmulatorProcess, fig: Figures, truth: dict[str, int], warm: bool) -> None:
    """``Session.load_inventory`` in this process, on a fresh session connected as ``mitui`` would connect."""
    from tui import runtime
    from tui.azure.connect import ConnectOptions, connect

    runtime.install()  # tuned as `mitui` tunes itself (tui.launch)
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
            "directory roles of identities": sum(len(v) for v in inventory.directory_role_assignments.values()),
        }
        for what, want in truth.items():
            if got[what] != want:
                fig.checks.append(f"service layer: {got[what]} {what}, the tenant has {want}")
        for problem in inventory.problems[:5]:
            fig.checks.append(f"service layer problem: {problem}")
        from tui.services.escalation import escalation_of

        t0 = time.perf_counter()
        if inventory.identities:
            escalation_of(inventory, inventory.identities[0])  # (computes every identity's, once)
        fig.escalation_s = time.perf_counter() - t0
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
