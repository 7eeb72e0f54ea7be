"""The records of what identities did, as mitui keeps them: an Activity Log operation, a sign-in, a directory change
(shared by the usage service, its on-disk cache and the Azure adapter that converts the wire JSON)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Operation:
    """One Activity Log event: a write or action on Azure Resource Manager."""

    id: str
    time: datetime
    operation: str
    resource_id: str
    status: str
    correlation_id: str
    principal_id: str  # the caller's object id (lower), from its claims
    client_id: str  # the caller's app id (lower)
    caller: str
    subscription_id: str


@dataclass(frozen=True, slots=True)
class OperationSeen:
    """What the usage keeps of an Activity Log event (:class:`tui.services.activity_cache.CachedLog`): when, what,
    on which resource, how it ended and who did it (the principal's object id, lower)."""

    time: datetime
    operation: str
    resource_id: str
    status: str
    principal_id: str


@dataclass(frozen=True, slots=True)
class SignIn:
    id: str
    time: datetime
    principal_id: str
    client_id: str
    resource: str
    event_type: str
    status: str


@dataclass(frozen=True, slots=True)
class DirectoryChange:
    id: str
    time: datetime
    activity: str
    principal_id: str
    target: str
    result: str
    category: str
