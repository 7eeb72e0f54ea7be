"""`mitui findings`: what is wrong in the tenant's managed identities (issue #14), for people and pipelines.

Exit codes as `mitui inventory`'s (0 ok, 1 failed, 2 bad flags, 3 partial), and 4 when a finding is at or above
``--fail-on`` (normal unless told: any finding), so that a pipeline can gate on it. A partial read that found
nothing at that level exits 3: no finding in what could not be read is not "no finding".
"""

from __future__ import annotations

import argparse
import csv
import io
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from tui.commands.common import load, load_then, partial, write
from tui.commands.inventory import json_text
from tui.config import load_config
from tui.services.findings import RECENT, Finding, at_or_above, findings, sort_findings, usage_findings
from tui.services.models import Inventory, Privilege
from tui.services.text import csv_cell, plain
from tui.services.usage import UsageReport, read_usage

if TYPE_CHECKING:
    from tui.services.session import Session

COMMAND = "findings"
EXIT_FINDINGS = 4
COLUMNS = ("kind", "severity", "principalId", "name", "right", "scope", "detail", "createdOn")


def run(args: argparse.Namespace, open_session: Callable[[], Awaitable[Session]]) -> int:
    usage: UsageReport | None = None
    if getattr(args, "usage", False):
        loaded = load_then(COMMAND, args, open_session, read_usage)
        if isinstance(loaded, int):
            return loaded
        inventory, usage = loaded
    else:
        only = load(COMMAND, args, open_session)
        if isinstance(only, int):
            return only
        inventory = only
    days = getattr(args, "recent_days", None)
    found = findings(inventory, recent=timedelta(days=days) if days is not None else RECENT)
    if usage is not None:
        idle = getattr(args, "idle_days", None) or load_config(getattr(args, "config", None)).idle_days
        found = sort_findings(found + usage_findings(inventory, usage, idle))
    text = render(inventory, found, getattr(args, "format", None) or "table", usage)
    code = write(COMMAND, text, getattr(args, "output", None))
    if code:
        return code
    if at_or_above(found, Privilege(getattr(args, "fail_on", None) or "normal")):
        return EXIT_FINDINGS
    return partial(COMMAND, inventory)


def _json(f: Finding) -> dict[str, Any]:
    out = dict(zip(COLUMNS, (f.kind, f.severity.value, *_cells(f)[2:-1], f.created_on), strict=True))
    if f.coverage is not None:
        out["coverage"] = dict(f.coverage)
    return out


def _cells(f: Finding) -> list[str]:
    return [f.kind, f.severity.value, f.principal_id, f.name, f.right, f.scope, f.detail, f.created_on or ""]


def render(inventory: Inventory, found: list[Finding], fmt: str, usage: UsageReport | None = None) -> str:
    if fmt == "json":
        doc: dict[str, Any] = {"tenantId": inventory.tenant_id}
        if usage is not None:
            doc["usageCoverage"] = dict(usage.coverage)
        doc["findings"] = [_json(f) for f in found]
        return json_text(doc)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([csv_cell(c) for c in _cells(f)] for f in found)
        return out.getvalue()
    counts = {level: len([f for f in found if f.severity is level]) for level in Privilege}
    lines = [
        f"{len(found)} findings: {counts[Privilege.CRITICAL]} critical, {counts[Privilege.HIGH]} high, "
        f"{counts[Privilege.NORMAL]} normal",
        "",
    ]
    if usage is not None:
        cover = ", ".join(f"{k} {plain(v, 200)}" for k, v in usage.coverage.items())
        lines[1:1] = [f"usage over {usage.days} days: {cover}"]
    for f in found:
        lines.append(f"{f.severity.value:<8}  {f.kind:<19}  {plain(f.name, 60)}  {plain(f.right, 60)}")
        lines.append(f"{'':<8}  {'':<19}  at {plain(f.scope, 200)}")
        lines.append(f"{'':<8}  {'':<19}  {plain(f.detail, 200)}")
    return "\n".join(lines) + "\n"
