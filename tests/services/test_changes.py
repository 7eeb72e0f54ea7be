"""What changed (issue #14): the timeline of rights, newest first, filtered by time, privilege and actor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tui.services.changes import ChangeFilter, changes_matching, parse_change_filter, timeline
from tui.services.errors import InvalidInput
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    RoleAssignment,
)

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
SUB = "/subscriptions/00000000-0000-0000-0000-000000000001"


def _ago(days: float) -> str:
    return (NOW - timedelta(days=days)).isoformat()


def test_newest_first_with_who_and_filters() -> None:
    web = ManagedIdentity("p-web", "c", "web", IdentityKind.SYSTEM, f"{SUB}/rg/x")
    owner = RoleAssignment(
        "ra1", SUB, "o", "p-web", role_name="Owner", privilege=Privilege.CRITICAL, created_on=_ago(1),
        created_by="u-1", created_by_name="Alex Admin",
    )  # fmt: skip
    reader = RoleAssignment("ra2", SUB, "r", "p-web", role_name="Reader", created_on=_ago(10), created_by="u-2")
    mail = AppRoleAssignment(
        "g1", "p-web", "graph", "m", app_role_value="Mail.Send", privilege=Privilege.HIGH, created=_ago(3)
    )
    unknown_time = DirectoryRoleAssignment("d1", "p-web", "r1", role_name="Directory Readers")
    inv = Inventory(
        "t",
        "AzureCloud",
        identities=[web],
        role_assignments={"p-web": [owner, reader]},
        app_role_assignments={"p-web": [mail]},
        directory_role_assignments={"p-web": [unknown_time]},
    )
    assert [(c.name, c.kind, c.actor) for c in timeline(inv)] == [
        ("Owner", "role", "Alex Admin"),
        ("Mail.Send", "appRole", ""),
        ("Reader", "role", "u-2"),  # (no name known: its object id)
    ]
    assert [c.name for c in timeline(inv, NOW - timedelta(days=7))] == ["Owner", "Mail.Send"]
    assert [c.name for c in timeline(inv, at_least=Privilege.HIGH)] == ["Owner", "Mail.Send"]
    assert [c.name for c in timeline(inv, actor="alex")] == ["Owner"]


def test_the_views_filter_reads_window_level_actor_and_words() -> None:
    f = parse_change_filter('7d priv:high by:"Alex Admin" web', NOW)
    assert f == ChangeFilter(NOW - timedelta(days=7), Privilege.HIGH, "Alex Admin", ("web",))
    assert parse_change_filter("since:2026-11-30", NOW).since == datetime(2026, 11, 30, tzinfo=UTC)
    assert parse_change_filter("2026-11-30 Owner", NOW) == ChangeFilter(
        datetime(2026, 11, 30, tzinfo=UTC), words=("owner",)
    )
    assert parse_change_filter("", NOW) == ChangeFilter()  # every change, whenever made
    for bad, says in (
        ("priv:extreme", "Unknown privilege"),
        ("since:yesterday", "Unknown time"),
        ("rg:web", "Unknown filter"),
        ("by:", "Empty filter"),
        ("a\x1b[31m", "Control characters"),
    ):
        with pytest.raises(InvalidInput, match=says):
            parse_change_filter(bad, NOW)


def test_changes_matching_is_the_timeline_then_the_words() -> None:
    web = ManagedIdentity("p-web", "c", "web", IdentityKind.SYSTEM, f"{SUB}/rg/x")
    db = ManagedIdentity("p-db", "c2", "db", IdentityKind.SYSTEM, f"{SUB}/rg/y")
    owner = RoleAssignment(
        "ra1", SUB, "o", "p-web", role_name="Owner", privilege=Privilege.CRITICAL, created_on=_ago(1),
        created_by_name="Alex Admin",
    )  # fmt: skip
    reader = RoleAssignment("ra2", SUB, "r", "p-db", role_name="Reader", created_on=_ago(2), created_by="u-2")
    inv = Inventory("t", "AzureCloud", identities=[web, db], role_assignments={"p-web": [owner], "p-db": [reader]})
    assert [c.name for c in changes_matching(inv, parse_change_filter("", NOW))] == ["Owner", "Reader"]
    assert [c.name for c in changes_matching(inv, parse_change_filter("db", NOW))] == ["Reader"]
    assert [c.name for c in changes_matching(inv, parse_change_filter("priv:critical", NOW))] == ["Owner"]
    assert [c.name for c in changes_matching(inv, parse_change_filter("by:alex reader", NOW))] == []
