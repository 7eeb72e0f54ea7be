"""Assign an Azure role: pick the role (searchable; name, privilege, description), then the scope (any management
group, subscription, resource group or resource of the tenant, or a pasted ARM id; the identity's own resource
suggested)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text
from textual import work

from tui.screens.picker import PickerScreen
from tui.screens.scope_browser import ScopeBrowserScreen
from tui.services.errors import MituiError
from tui.services.models import ManagedIdentity, RoleDefinition, Subscription
from tui.widgets.badges import privilege_badge, privilege_why
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import Column, Row

if TYPE_CHECKING:
    from tui.services.session import Session

ROLE_COLUMNS = (
    Column("role", "Role", 24, flex=1),
    Column("privilege", "Privilege", 10),
    Column("type", "Type", 7, drop=2),
    Column("description", "Description", 20, flex=2, drop=1),
)


def role_rows(roles: list[RoleDefinition]) -> list[Row]:
    ordered = sorted(roles, key=lambda r: r.role_name.lower())
    return [
        Row(
            key=role.id.lower(),
            cells=(
                safe_text(role.role_name),
                privilege_badge(role.privilege),
                Text("custom" if role.role_type == "CustomRole" else "builtin", style="dim"),
                safe_text(role.description),
            ),
            search=f"{role.role_name} {role.description} {role.privilege.value} {role.name}".lower(),
            data=role,
        )
        for role in ordered
    ]


def _for_whom(verb: str, identity: ManagedIdentity, redactor: Redactor) -> Text:
    title = Text(verb, style="bold")
    title.append(" → ")
    title.append_text(safe_text(redactor.name(identity.name), 50, style="bold"))
    title.append(f"  ({identity.kind.value})", style="dim")
    return title


class RolePickerScreen(PickerScreen[RoleDefinition]):
    COLUMNS = ROLE_COLUMNS
    PLACEHOLDER = "search roles by name, description or privilege (e.g. reader, key vault, critical)"

    def __init__(
        self, session: Session, identity: ManagedIdentity, subscription: Subscription, redactor: Redactor | None = None
    ) -> None:
        redactor = redactor or Redactor()
        super().__init__(_for_whom("Assign Azure role", identity, redactor), redactor)
        self.session = session
        self.identity = identity
        self.subscription = subscription

    def why(self, item: RoleDefinition) -> Text:
        return privilege_why(item.privilege, item.privilege_reason)

    def on_mount(self) -> None:
        super().on_mount()
        self.set_status("Loading role definitions…")
        self.load()

    @work(exclusive=True, group="roles", description="load")
    async def load(self) -> None:
        try:
            roles = await self.session.role_definitions(self.subscription.scope)
        except MituiError as exc:
            self.set_items([], empty_text="Could not load the roles.")
            self.set_status(f"{exc.title}. {exc.hint}", style="red")
            return
        self.set_items(role_rows(roles))


class ScopePickerScreen(ScopeBrowserScreen):
    """Where the role applies: the identity's own resource, the resources that use it, its group and subscription
    suggested; the tenant to browse (its subscription opened); a pasted id checked with the read a plan makes."""

    def __init__(
        self,
        session: Session,
        identity: ManagedIdentity,
        subscription: Subscription,
        role: RoleDefinition,
        redactor: Redactor | None = None,
        subscriptions: Sequence[Subscription] = (),
    ) -> None:
        redactor = redactor or Redactor()
        title = _for_whom("Scope", identity, redactor)
        title.append("  role ", style="dim")
        title.append_text(safe_text(role.role_name, 40, style="bold"))
        mine = subscription.id.lower()
        others = sorted(
            (s for s in subscriptions if s.id.lower() != mine), key=lambda s: ((s.display_name or s.id).lower(), s.id)
        )
        super().__init__(
            session,
            title,
            _suggested_scopes(identity, subscription),
            [subscription, *others],
            lambda text: session.check_scope(text, identity.principal_id),
            redactor,
        )
        self.identity = identity
        self.subscription = subscription
        self.role = role


def _suggested_scopes(identity: ManagedIdentity, subscription: Subscription) -> list[tuple[str, str]]:
    scopes: list[tuple[str, str]] = []
    if (
        identity.resource_id
        and identity.subscription_id
        and identity.subscription_id.lower() == subscription.id.lower()
    ):
        own = "its own resource" if identity.kind.value == "system-assigned" else "the identity itself"
        scopes.append((identity.resource_id, own))
        for used in identity.used_by:
            if used.lower() != identity.resource_id.lower():
                scopes.append((used, "a resource that uses it"))
        if identity.resource_group:
            scopes.append((f"{subscription.scope}/resourceGroups/{identity.resource_group}", "its resource group"))
    scopes.append((subscription.scope, "the whole subscription"))
    return scopes
