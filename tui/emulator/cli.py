"""`mitui emulator`: serve the sandbox tenant in the foreground until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading


def _scale(text: str) -> tuple[int, int]:
    subs, sep, ids = text.partition(":")
    try:
        s, i = int(subs), int(ids)
    except ValueError:
        s = i = -1
    if not sep or s < 1 or i < 0:
        raise argparse.ArgumentTypeError(f"expected SUBSCRIPTIONS:IDENTITIES, e.g. 50:10000, not {text!r}")
    return s, i


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r} (0 = any free port)")
    return port


def _rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        rate = -1.0
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, not {text!r}")
    return rate


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a number of seconds >= 0, not {text!r}")
    return value


def _one_line_error(parser: argparse.ArgumentParser):  # noqa: ANN202
    def error(message: str) -> None:
        print(f"{parser.prog}: {message} (see --help)", file=sys.stderr)
        sys.exit(2)

    return error


def add_flags(parser: argparse.ArgumentParser) -> None:
    parser.error = _one_line_error(parser)  # type: ignore[method-assign]  # bad flags: one line, exit 2
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: %(default)s)")
    for name in ("arm", "graph", "login", "msi"):
        parser.add_argument(
            f"--{name}-port", type=_port, default=0, metavar="PORT", help=f"the {name} port (default: any free port)"
        )
    parser.add_argument(
        "--state-dir", metavar="DIR", help="where ca.pem and connection.json go (default: under the user cache dir)"
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--tenant", dest="tenant_file", metavar="FILE", help="a tenant described in a JSON file")
    which.add_argument(
        "--scale", type=_scale, metavar="SUBSCRIPTIONS:IDENTITIES", help="a generated large tenant, e.g. 50:10000"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for generated tenants and faults (default: 0)")
    parser.add_argument(
        "--latency-ms", type=_non_negative, default=0, metavar="N", help="added to every ARM/Graph answer"
    )
    parser.add_argument(
        "--fault-rate", type=_rate, default=0.0, metavar="F", help="fraction of ARM/Graph requests that fail (0..1)"
    )
    parser.add_argument(
        "--replication-delay-s",
        type=_non_negative_float,
        default=0.0,
        metavar="S",
        help="a new managed identity stays invisible to grants and role assignments for S seconds (Entra lag)",
    )
    parser.add_argument(
        "--resource-graph-quota",
        type=_non_negative,
        metavar="N",
        help="Resource Graph queries each caller may send in 5 seconds (default: Azure's, 15; 0: any)",
    )
    parser.add_argument("--caller", metavar="NAME|OBJECT_ID", help="who the token endpoints sign in by default")
    parser.add_argument(
        "--refuse-usage",
        action="append",
        metavar="SOURCE[:licence]",
        help="answer a usage source (activityLog, signInActivity, signIns, directoryAudits) with 403 (repeatable)",
    )
    parser.add_argument(
        "--activity-per-day",
        type=_non_negative,
        default=0,
        metavar="N",
        help="record 90 days of history: N Azure operations per subscription per day (for the usage benchmark)",
    )


def run(args: argparse.Namespace) -> int:
    from tui.emulator.arm.query_quota import QUERIES
    from tui.emulator.server import Emulator

    quota = getattr(args, "resource_graph_quota", None)

    tenant = "demo"
    if getattr(args, "tenant_file", None):
        tenant = args.tenant_file
    try:
        emulator = Emulator(
            tenant,
            host=args.host,
            arm_port=args.arm_port,
            graph_port=args.graph_port,
            login_port=args.login_port,
            msi_port=args.msi_port,
            state_dir=args.state_dir,
            latency_ms=args.latency_ms,
            fault_rate=args.fault_rate,
            seed=args.seed,
            caller=args.caller,
            scale=args.scale,
            replication_delay_s=getattr(args, "replication_delay_s", 0.0),
            resource_graph_quota=QUERIES if quota is None else quota,
        )
        emulator.start()
        for refused in getattr(args, "refuse_usage", None) or []:
            source, _, how = refused.partition(":")
            emulator.refuse_usage(source, how or "forbidden")
        per_day = getattr(args, "activity_per_day", 0) or 0
        if per_day:
            from tui.emulator.tenants.history import add_generated_history

            add_generated_history(emulator.tenant, per_day, seed=args.seed)
    except (OSError, ValueError, RuntimeError) as e:
        print(f"mitui emulator: {e}", file=sys.stderr)
        return 2 if isinstance(e, ValueError) else 1

    # The tenant (tens of thousands of objects at scale) lives as long as the process: out of the collector's
    # full passes, which otherwise stalled an answer now and then by a tenth of a second (a real service has no
    # such pauses on the caller's clock).
    gc.collect()
    gc.freeze()
    stop = threading.Event()

    def _on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(
            f"mitui emulator ready: ARM {emulator.connection.arm}, Graph {emulator.connection.graph}; "
            f"connection details in {emulator.connection_file}",
            flush=True,
        )
        while not stop.wait(0.5):
            if not emulator.running:
                print("mitui emulator: the server stopped unexpectedly", file=sys.stderr)
                return 1
    finally:
        emulator.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0
