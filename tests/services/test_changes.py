"""What changed (issue #14): the timeline of rights, newest first, filtered by time, privilege and actor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tui.services.changes import timeline
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
        "ra1", "1", SUB, "o", "p-web", role_name="Owner", privilege=Privilege.CRITICAL, created_on=_ago(1),
        created_by="u-1", created_by_name="Alex Admin",
    )  # fmt: skip
    reader = RoleAssignment("ra2", "2", SUB, "r", "p-web", role_name="Reader", created_on=_ago(10), created_by="u-2")
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
