"""The identity table's rows and the subscriptions pane's lines: what the main screen lists, built once per load
(in the CPU worker), their cells made when a row is first drawn."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rich.text import Text
from textual.widgets.option_list import Option

from tui.services.escalation import escalation_of, prepare_can_act_as
from tui.services.filtering import GRAPH_ONLY, search_text
from tui.services.findings import IDLE_DAYS
from tui.services.models import IdentityKind, Inventory, ManagedIdentity, Privilege, Subscription
from tui.services.scopes import lowered
from tui.services.usage import UsageReport
from tui.widgets.badges import privilege_badge
from tui.widgets.safe_text import Redactor, safe_text, truncate
from tui.widgets.virtual_table import Column, Row

ALL_SUBSCRIPTIONS = "all"


IDENTITY_COLUMNS = (
    Column("name", "Name", 16, flex=1),
    Column("kind", "Kind", 6),
    Column("group", "Resource group", 14, flex=1, drop=3),
    Column("principal", "Principal ID", 36, drop=4),
    Column("roles", "Roles", 5, align="right"),
    Column("app_roles", "App", 4, align="right", drop=1),
    Column("privilege", "Privilege", 11),  # " CRITICAL ↑"
    Column("last_used", "Last used", 9, drop=2),  # filled in after the load (tui.services.usage)
)


@dataclass(frozen=True, slots=True)
class IdentityRow:
    """What one line of the identity table needs, computed once per load."""

    identity: ManagedIdentity
    roles: int
    app_roles: int
    top: Privilege | None  # the effective level (tui.services.escalation): its own, or that of whom it can act as
    escalates: bool = False  # the effective level is above its own
    change: tuple[int, int] | None = None  # (rights added, removed) by the last refresh, marked on the row
    loading: bool = False  # a partial inventory's row: its rights so far, its privilege not known yet


def identity_rows(
    inventory: Inventory,
    privileges: bool = True,
    changes: dict[str, tuple[int, int]] | None = None,
    previous: Iterable[Row] = (),
) -> list[Row]:
    """One table row per identity; the cells are made when a row is first drawn (see identity_cells).
    ``privileges=False`` for a partial inventory (its assignments are not classified yet): no badge. ``changes``
    (tui.services.refresh.changed_rights) marks the rows whose rights a refresh changed. A row of ``previous`` (the
    rows shown) that says the same is kept as it is, and its search text for the same identity: while loading, a
    table of 40,000 rows was built anew every half second."""
    changes = changes or {}
    before = {row.key: row for row in previous}
    rows: list[Row] = []
    roles_by = inventory.role_assignments
    grants_by = inventory.app_role_assignments
    for identity in inventory.identities:
        key = lowered(identity.principal_id)  # (the identity's own string when lowercase: not a copy per row)
        roles = roles_by.get(key, ())
        grants = grants_by.get(key, ())
        # no badge for an identity without rights (a directory role is one), nor for a partial inventory's
        holds = roles or grants or key in inventory.directory_role_assignments
        escalation = escalation_of(inventory, identity) if privileges and holds else None
        top = escalation.effective if escalation is not None else None
        escalates = escalation is not None and escalation.escalates
        item = IdentityRow(identity, len(roles), len(grants), top, escalates, changes.get(key), loading=not privileges)
        old = before.get(key)
        if old is not None and old.data == item:
            old.cells = ()  # (made again when drawn: the Last used cell is the new inventory's)
            rows.append(old)
            continue
        same = old is not None and old.data.identity is identity
        # what the filter's free words match, lowercased once instead of per keystroke
        rows.append(Row(key=key, search=old.search if same else search_text(identity), data=item))
    rows.sort(key=lambda r: (r.data.identity.name.lower(), r.key))
    if privileges:
        prepare_can_act_as(inventory)  # (what the details pane's "Can act as" reads: here, not on the event loop)
    return rows


def recounted_rows(
    rows: Iterable[Row], inventory: Inventory, changes: dict[str, tuple[int, int]] | None = None
) -> list[Row]:
    """New rows for ``rows`` (those of identities a change touched) counting their rights in ``inventory`` again,
    marked with their ``changes``: for VirtualTable.replace_rows, a pass over these rows only. Their privilege is
    still the load's (:func:`identity_rows` computes every identity's again, a pass over all of them)."""
    changes = changes or {}
    roles_by, grants_by = inventory.role_assignments, inventory.app_role_assignments
    out: list[Row] = []
    for row in rows:
        counts = {"roles": len(roles_by.get(row.key, ())), "app_roles": len(grants_by.get(row.key, ()))}
        item = dataclasses.replace(row.data, **counts, change=changes.get(row.key))
        out.append(Row(key=row.key, search=row.search, data=item))
    return out


def last_used_cell(report: UsageReport | None, identity: ManagedIdentity) -> Text:
    """``…`` while reading, ``never`` in the window, else how long ago (``<1h``, ``5h``, ``3d``); ``?`` (alone, or
    after the age) when a source was missing: unknown, never idle."""
    if report is None:
        return Text("…", style="dim")
    usage = report.of(identity)
    last = usage.last_used
    if last is None:
        return Text("?", style="yellow") if not usage.known else Text("never", style="bold red")
    age = report.end - last
    hours = age.total_seconds() / 3600
    text = "<1h" if hours < 1 else f"{int(hours)}h" if hours < 24 else f"{age.days}d"
    if not usage.known:  # used then, and maybe since: a source is missing
        return Text(f"{text}?", style="yellow")
    return Text(text, style="red" if age.days >= IDLE_DAYS else "")


def identity_cells(
    redactor: Redactor, usage: Callable[[], UsageReport | None] | None = None
) -> Callable[[Row], tuple[Text, ...]]:
    def cells(row: Row) -> tuple[Text, ...]:
        item: IdentityRow = row.data
        identity = item.identity
        name = safe_text(redactor.name(identity.name))
        if item.change is not None:
            added, removed = item.change
            if added:
                name.append(f" +{added}", style="bold green")
            if removed:
                name.append(f" −{removed}", style="bold red")
        return (
            name,
            Text("user" if identity.kind is IdentityKind.USER else "system"),
            safe_text(redactor.name(identity.resource_group or "")),
            safe_text(redactor.id(identity.principal_id)),
            Text(str(item.roles)),
            Text(str(item.app_roles)),
            privilege_badge(item.top, escalated=item.escalates)
            if item.top
            else (Text("loading…", style="dim italic") if item.loading else Text("")),
            last_used_cell(usage() if usage is not None else None, identity),
        )

    return cells


def subscription_options(
    subscriptions: list[Subscription], counts: dict[str, int], total: int, redactor: Redactor, width: int = 22
) -> list[Option]:
    """One line each: the name cut to fit, the identity count right-aligned."""

    def line(name: Text, count: int) -> Text:
        number = f" {count}"
        truncate(name, max(4, width - len(number)))
        name.append(" " * max(0, width - len(number) - name.cell_len))
        name.append(number, style="dim")
        return name

    options = [Option(line(Text("All subscriptions", style="bold"), total), id=ALL_SUBSCRIPTIONS)]
    for subscription in sorted(subscriptions, key=lambda s: s.display_name.lower()):
        name = safe_text(redactor.name(subscription.display_name) or redactor.id(subscription.id))
        if subscription.state and subscription.state != "Enabled":
            name.append(" (")
            name.append_text(safe_text(subscription.state, 12, style="italic"))
            name.append(")")
        options.append(Option(line(name, counts.get(subscription.id.lower(), 0)), id=subscription.id.lower()))
    unplaced = counts.get(GRAPH_ONLY, 0)
    if unplaced:
        options.append(Option(line(Text("Not visible in ARM", style="italic"), unplaced), id=GRAPH_ONLY))
    return options
