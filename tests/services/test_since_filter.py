"""The ``since:`` filter key: identities with a right created since then (issue #13), on hand-built inventories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui.services.errors import InvalidInput
from tui.services.filtering import parse_filter, parse_time, since_cutoff
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    RoleAssignment,
)

NOW = datetime.now(UTC)


def _iso(delta: timedelta, fraction: str = "") -> str:
    return (NOW - delta).strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def _ident(name: str) -> ManagedIdentity:
    return ManagedIdentity(f"p-{name}", f"c-{name}", name, IdentityKind.SYSTEM, f"/subscriptions/s/x/{name}")


RBAC, APP, DIRECTORY, OLD, NONE = (_ident(n) for n in ("rbac-new", "app-new", "dir-new", "all-old", "no-rights"))


def _inventory() -> Inventory:
    old = _iso(timedelta(days=40))
    return Inventory(
        tenant_id="t",
        cloud="c",
        identities=[RBAC, APP, DIRECTORY, OLD, NONE],
        role_assignments={
            # ARM's seven-digit fractions
            "p-rbac-new": [
                RoleAssignment("r1", "/", "rd", "p-rbac-new", created_on=_iso(timedelta(hours=2), ".1234567"))
            ],
            "p-all-old": [
                RoleAssignment("r2", "/", "rd", "p-all-old", created_on=old),
                RoleAssignment("r3", "/", "rd", "p-all-old", created_on=None),
            ],
        },  # fmt: skip
        app_role_assignments={
            "p-app-new": [AppRoleAssignment("g1", "p-app-new", "res", "role", created=_iso(timedelta(days=3)))],
            "p-all-old": [AppRoleAssignment("g2", "p-all-old", "res", "role", created=old)],
        },
        directory_role_assignments={
            "p-dir-new": [DirectoryRoleAssignment("d1", "p-dir-new", "rd", created=_iso(timedelta(minutes=5)))],
        },
    )


def _kept(text: str) -> list[str]:
    inv, f = _inventory(), parse_filter(text)
    return [i.name for i in inv.identities if f.matches(i, inv)]


def test_since_keeps_identities_with_a_right_created_since_then_of_any_kind() -> None:
    assert _kept("since:24h") == ["rbac-new", "dir-new"]
    assert _kept("since:7d") == ["rbac-new", "app-new", "dir-new"]
    assert _kept("since:1h") == ["dir-new"]
    assert _kept("since:30m") == ["dir-new"]
    assert _kept("since:8w") == ["rbac-new", "app-new", "dir-new", "all-old"]
    day = (NOW - timedelta(days=10)).strftime("%Y-%m-%d")
    assert _kept(f"since:{day}") == ["rbac-new", "app-new", "dir-new"]
    assert _kept('since:"2000-01-01T00:00Z"') == ["rbac-new", "app-new", "dir-new", "all-old"]  # (a time is quoted)
    assert _kept("since:7d new") == ["rbac-new", "app-new", "dir-new"]  # with the other keys, as usual


@pytest.mark.parametrize("bad", ["since:yesterday", "since:7", "since:7y", "since:-1d", "since:2026-13-01",
                                 "since:999999w"])  # fmt: skip
def test_a_time_that_cannot_be_read_is_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_filter(bad)
    assert "since:" in err.value.one_line()


def test_times_as_azure_sends_them() -> None:
    assert parse_time("2026-11-30T08:00:00.1234567Z") == datetime(2026, 11, 30, 8, 0, 0, 123456, tzinfo=UTC)
    assert parse_time("2026-11-30T08:00:00+01:00") == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert parse_time("2026-11-30") == datetime(2026, 11, 30, tzinfo=UTC)
    assert parse_time("") is None and parse_time(None) is None and parse_time("soon") is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_since_never_raises_anything_but_invalid_input(text: str) -> None:
    try:
        since_cutoff(text, NOW)
    except InvalidInput as err:
        assert err.title
