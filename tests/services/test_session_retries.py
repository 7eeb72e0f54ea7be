"""Session.apply's retry and reconcile logic, on a Backend of our own (the service layer's Protocol — not an
Azure SDK): a fresh identity's PrincipalNotFound, and a write whose answer was lost before it committed."""

from __future__ import annotations

from typing import Any

import pytest

from tui.services.audit import AuditLog
from tui.services.backend import Written
from tui.services.errors import NotFound, Unreachable
from tui.services.models import Caller, IdentityKind, ManagedIdentity, RoleAssignment, RoleDefinition
from tui.services.session import Session

SUB = "/subscriptions/0c00c5f2-91b2-5d5e-b7ee-28a0a0156f13"
RD = SUB + "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
PID = "11111111-2222-3333-4444-555555555555"


class ReplicatingDirectory:
    """ARM as it behaves right after an identity is created: PrincipalNotFound the first ``lag`` times;
    optionally one create that is lost on the wire before it commits."""

    cloud_name, tenant_id, graph_url, arm_url = "AzureCloud", "t", "https://graph.microsoft.com", "https://arm"
    caller = Caller("c", "t", "Admin")

    def __init__(self, lag: int, lose_first: bool = False) -> None:
        self.lag, self.lose_first = lag, lose_first
        self.creates = 0
        self.assignments: dict[str, RoleAssignment] = {}

    async def list_role_assignments_for_principal(self, scope: str, principal_id: str) -> list[RoleAssignment]:
        return [a for a in self.assignments.values() if a.principal_id == principal_id]

    async def get_role_assignment(self, assignment_id: str) -> RoleAssignment | None:
        return next((a for a in self.assignments.values() if a.id == assignment_id), None)

    async def create_role_assignment(
        self, scope: str, name: str, role_definition_id: str, principal_id: str, **assignment: str | None
    ) -> Any:
        """(``assignment``: condition, conditionVersion and description, as Backend.create_role_assignment takes)"""
        self.creates += 1
        if self.lag > 0:
            self.lag -= 1
            raise NotFound("The identity is not in the directory yet", code="PrincipalNotFound", status=400)
        if self.lose_first:
            self.lose_first = False
            raise Unreachable("connection reset", code="ResponseLost")
        ra = RoleAssignment(
            id=f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
            scope=scope,
            role_definition_id=role_definition_id,
            principal_id=principal_id,
        )
        self.assignments[name] = ra
        return Written(ra, ("req-1",))

    async def close(self) -> None:
        pass


def _plan_inputs() -> tuple[ManagedIdentity, RoleDefinition]:
    ident = ManagedIdentity(PID, "cid", "id-new", IdentityKind.USER, SUB + "/resourceGroups/rg/providers/x/y/id-new")
    return ident, RoleDefinition(RD, "acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader", actions=("*/read",))


@pytest.mark.parametrize("lag", [1, 3])
async def test_principal_not_found_is_retried_with_backoff(tmp_path, lag: int) -> None:  # noqa: ANN001
    backend = ReplicatingDirectory(lag)
    session = Session(backend, audit=AuditLog(tmp_path / "a.jsonl"), principal_retry_delays=(0.01, 0.02, 0.04))  # type: ignore[arg-type]
    ident, reader = _plan_inputs()
    change = await session.apply(await session.plan_role_assignment(ident, reader, SUB))
    assert change.outcome == "applied" and backend.creates == lag + 1
    assert len(backend.assignments) == 1


async def test_principal_not_found_retries_are_bounded(tmp_path) -> None:  # noqa: ANN001
    backend = ReplicatingDirectory(10)
    session = Session(backend, audit=AuditLog(tmp_path / "a.jsonl"), principal_retry_delays=(0.01, 0.01))  # type: ignore[arg-type]
    ident, reader = _plan_inputs()
    change = await session.apply(await session.plan_role_assignment(ident, reader, SUB))
    assert change.outcome == "failed" and backend.creates == 3
    assert isinstance(change.error, NotFound)
    assert session.audit.entries()[-1]["result"] == "failed"


async def test_a_lost_uncommitted_write_is_sent_again_once(tmp_path) -> None:  # noqa: ANN001
    backend = ReplicatingDirectory(0, lose_first=True)
    session = Session(backend, audit=AuditLog(tmp_path / "a.jsonl"))  # type: ignore[arg-type]
    ident, reader = _plan_inputs()
    change = await session.apply(await session.plan_role_assignment(ident, reader, SUB))
    assert change.outcome == "applied" and backend.creates == 2 and len(backend.assignments) == 1
