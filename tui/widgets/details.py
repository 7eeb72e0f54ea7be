"""The selected identity in detail: Overview, Azure roles, App roles, Federated credentials, Snippets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from tui.services.escalation import acted_as_by, can_act_as, escalation_of
from tui.services.models import (
    AppRoleAssignment,
    FederatedCredential,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    RoleAssignment,
    right_name,
)
from tui.widgets.badges import privilege_badge, via_text
from tui.widgets.safe_text import Redactor, safe_text

TAB_OVERVIEW = "tab-overview"
TAB_ROLES = "tab-roles"
TAB_APP_ROLES = "tab-app-roles"
TAB_FEDERATED = "tab-federated"
TAB_SNIPPETS = "tab-snippets"
SHOWN_ACTING_AS = 8  # identities listed under "Can act as" (a subscription's Contributor can act as hundreds)


def short_scope(scope: str) -> str:
    """``/subscriptions/…/resourceGroups/rg/providers/NS/type/name`` → ``rg/type/name``: the tail the admin reads."""
    parts = [p for p in scope.split("/") if p]
    if not parts:
        return "/"
    if len(parts) == 2 and parts[0].lower() == "subscriptions":
        return f"subscription {parts[1]}"
    if len(parts) == 4 and parts[2].lower() == "resourcegroups":
        return f"rg {parts[3]}"
    if len(parts) > 6 and parts[2].lower() == "resourcegroups":
        return f"{parts[3]}/{parts[-2]}/{parts[-1]}"
    if len(parts) > 4 and parts[2].lower() == "resourcegroups":
        return f"{parts[3]}/{parts[-1]}"
    return parts[-1]


class IdentityDetails(Vertical):
    """Shows one identity. Screens call :meth:`show`; the federated tab is filled by :meth:`show_federated`."""

    DEFAULT_CSS = """
    IdentityDetails { height: 1fr; }
    IdentityDetails #details-tabs { height: 1fr; }
    IdentityDetails TabPane { padding: 0 1; }
    IdentityDetails DataTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.identity: ManagedIdentity | None = None
        self.redactor = Redactor()
        self.role_rows: dict[str, RoleAssignment] = {}
        self.app_role_rows: dict[str, AppRoleAssignment] = {}
        self.built = False  # the tabs are mounted (see build)
        self.painted = asyncio.Event()  # ... and drawn once
        self._building = False
        self._pending: tuple[ManagedIdentity | None, Inventory | None, str, Redactor | None] | None = None
        self._pending_federated: tuple[list[FederatedCredential] | None, str] | None = None

    @property
    def tabs(self) -> TabbedContent:
        return self.query_one("#details-tabs", TabbedContent)

    @property
    def active(self) -> str:
        return self.tabs.active if self.built else TAB_OVERVIEW

    def compose(self) -> ComposeResult:
        # empty at first: the screen calls build() after its first paint. The tabs are a third of the screen's
        # widgets; in the first frame they made one block of styling, layout and painting of ~0.1-0.2 s
        return iter(())

    async def build(self) -> None:
        """Mount the tabs, then show what :meth:`show` was asked meanwhile."""
        if self.built or self._building:
            return
        self._building = True
        tabbed = TabbedContent(initial=TAB_OVERVIEW, id="details-tabs")
        for pane in self._panes():
            tabbed.compose_add_child(pane)
        await self.mount(tabbed)
        self.built = True
        self.call_after_refresh(self.painted.set)
        pending, self._pending = self._pending, None
        federated, self._pending_federated = self._pending_federated, None
        if pending is not None:
            identity, inventory, cloud_name, redactor = pending
            self.show(identity, inventory, cloud_name=cloud_name, redactor=redactor)
        if federated is not None:
            self.show_federated(*federated)

    def _panes(self) -> list[TabPane]:
        table: DataTable[Text] = DataTable(id="roles-table", cursor_type="row", zebra_stripes=True)
        table.add_column("Role", key="role")
        table.add_column("Scope", key="scope")
        table.add_column("Level", key="level")
        table.add_column("Via", key="via")
        table.add_column("Privilege", key="privilege")
        table.add_column("Why", key="why")
        apps: DataTable[Text] = DataTable(id="app-roles-table", cursor_type="row", zebra_stripes=True)
        apps.add_column("Resource app", key="app")
        apps.add_column("Value", key="value")
        apps.add_column("Privilege", key="privilege")
        apps.add_column("Why", key="why")
        apps.add_column("Description", key="description")
        fed: DataTable[Text] = DataTable(id="federated-table", cursor_type="row", zebra_stripes=True)
        fed.add_column("Name", key="name")
        fed.add_column("Issuer", key="issuer")
        fed.add_column("Subject", key="subject")
        fed.add_column("Audiences", key="audiences")
        return [
            TabPane(
                "Overview",
                VerticalScroll(Static(Text("Select an identity.", style="dim"), id="overview")),
                id=TAB_OVERVIEW,
            ),
            TabPane("Azure roles", table, id=TAB_ROLES),
            TabPane("App roles", apps, id=TAB_APP_ROLES),
            TabPane("Federated", Static(Text("", style="dim"), id="federated-status"), fed, id=TAB_FEDERATED),
            TabPane(
                "Snippets",
                VerticalScroll(Static(Text("Select an identity.", style="dim"), id="snippets")),
                id=TAB_SNIPPETS,
            ),
        ]

    # --- filling ----------------------------------------------------------------------------------------------
    def show(
        self,
        identity: ManagedIdentity | None,
        inventory: Inventory | None,
        *,
        cloud_name: str = "AzureCloud",
        redactor: Redactor | None = None,
    ) -> None:
        if not self.built:  # shown once the tabs are mounted
            self.identity = identity
            self._pending = (identity, inventory, cloud_name, redactor)
            self._pending_federated = None  # (show clears the federated tab)
            return
        self.redactor = redactor or Redactor()
        self.identity = identity
        overview = self.query_one("#overview", Static)
        roles = self.query_one("#roles-table", DataTable)
        apps = self.query_one("#app-roles-table", DataTable)
        roles.clear()
        apps.clear()
        self.role_rows = {}
        self.app_role_rows = {}
        self.show_federated(None)
        if identity is None or inventory is None:
            overview.update(Text("Select an identity.", style="dim"))
            self.query_one("#snippets", Static).update(Text("Select an identity.", style="dim"))
            return
        overview.update(self._overview(identity, inventory))
        red = self.redactor
        for assignment in sorted(inventory.roles_of(identity), key=lambda a: (-a.privilege.rank, a.role_name)):
            self.role_rows[assignment.id] = assignment
            roles.add_row(
                safe_text(assignment.role_name or "(unknown role)", 40),
                safe_text(red.id(short_scope(assignment.scope)), 50),
                Text(assignment.scope_level.value),
                via_text(assignment.via),
                privilege_badge(assignment.privilege),
                safe_text(assignment.privilege_reason, 90, style="dim"),
                key=assignment.id,
            )
        for grant in sorted(inventory.app_roles_of(identity), key=lambda a: (-a.privilege.rank, a.app_role_value)):
            self.app_role_rows[grant.id] = grant
            apps.add_row(
                safe_text(grant.resource_display_name or red.id(grant.resource_id), 28),
                safe_text(grant.app_role_value or red.id(grant.app_role_id), 40),
                privilege_badge(grant.privilege),
                safe_text(grant.privilege_reason, 90, style="dim"),
                safe_text(grant.app_role_description, 60),
                key=grant.id,
            )
        self.query_one("#snippets", Static).update(self._snippets(identity, cloud_name))
        self._retitle(len(self.role_rows), len(self.app_role_rows))

    def _retitle(self, roles: int, app_roles: int) -> None:
        self.tabs.get_tab(TAB_ROLES).label = f"Azure roles ({roles})"  # type: ignore[assignment]
        self.tabs.get_tab(TAB_APP_ROLES).label = f"App roles ({app_roles})"  # type: ignore[assignment]

    def _overview(self, identity: ManagedIdentity, inventory: Inventory) -> Text:
        red = self.redactor
        out = Text()

        def line(label: str, value: Text | str, width: int | None = None) -> None:
            out.append(f"{label:<14}", style="bold")
            out.append_text(value if isinstance(value, Text) else safe_text(value, width))
            out.append("\n")

        line("Name", red.name(identity.name))
        line("Kind", identity.kind.value)
        line("Principal ID", red.id(identity.principal_id))
        line("Client ID", red.id(identity.client_id))
        line("Resource ID", red.id(identity.resource_id))
        if identity.subscription_id:
            sub_name = next(
                (s.display_name for s in inventory.subscriptions if s.id.lower() == identity.subscription_id.lower()),
                "",
            )
            shown = red.name(sub_name) + "  " if sub_name else ""
            line("Subscription", shown + red.id(identity.subscription_id))
        if identity.resource_group:
            line("Resource group", red.name(identity.resource_group))
        if identity.resource_type:
            line("Type", identity.resource_type)
        if identity.location:
            line("Location", identity.location)
        top = inventory.highest_right(identity)
        if top is not None:
            badge = Text()
            badge.append_text(privilege_badge(top.privilege))
            badge.append(" ")
            name = right_name(top)
            badge.append_text(safe_text(name or "(unknown)", 40))
            line("Highest right", badge)
            if top.privilege_reason:
                line("", safe_text(top.privilege_reason, style="dim"))
        self._acting_as(identity, inventory, line)
        label = "Used by" if identity.kind is IdentityKind.USER else "Owner"
        if identity.used_by:
            for index, resource in enumerate(identity.used_by):
                line(label if index == 0 else "", red.id(resource))
        elif identity.kind is IdentityKind.USER:
            line(label, Text("no resource uses it", style="dim"))
        if identity.tags:
            for index, (key, value) in enumerate(identity.tags):
                tag = safe_text(red.text(key), 40)
                tag.append(" = ", style="dim")
                tag.append_text(safe_text(red.text(value), 80))
                line("Tags" if index == 0 else "", tag)
        if not identity.visible_in_arm:
            out.append("\nOnly Microsoft Graph knows this identity: its resource is not visible to you in ARM.\n")
        out.rstrip()
        return out

    def _acting_as(self, identity: ManagedIdentity, inventory: Inventory, line: Callable[..., None]) -> None:
        """Its effective privilege when it can act as identities more privileged than itself (each path, the step
        that opens it and the right at its end), then every identity it can act as directly."""
        escalation = escalation_of(inventory, identity)
        red = self.redactor
        if escalation.escalates:
            effective = Text()  # (the badge's style stays on the badge)
            effective.append_text(privilege_badge(escalation.effective, escalated=True))
            effective.append(" through the identities it can act as", style="dim")
            line("Effective", effective)
            for path in escalation.paths:
                via = safe_text(" → ".join(red.name(name) for name in path.via), 80)
                via.append(" ")
                via.append_text(privilege_badge(path.privilege))
                line("Escalation", via)
                line("", safe_text(f"through {path.role_name} on {red.id(short_scope(path.scope))}", 120, style="dim"))
                if path.reason:
                    line("", safe_text(path.reason, 120, style="dim"))
        for label, steps in (
            ("Can act as", can_act_as(inventory, identity)),
            ("Acted as by", acted_as_by(inventory, identity)),  # (managed identities; incident mode, issue #14)
        ):
            for index, step in enumerate(steps[:SHOWN_ACTING_AS]):
                who = safe_text(red.name(step.via[0]), 50)
                who.append(" ")
                who.append_text(privilege_badge(step.privilege))
                through = f"  through {step.role_name} on {red.id(short_scope(step.scope))}"
                who.append_text(safe_text(through, 120, style="dim"))
                line(label if index == 0 else "", who)
            if len(steps) > SHOWN_ACTING_AS:
                line("", Text(f"… and {len(steps) - SHOWN_ACTING_AS} more", style="dim"))

    def _snippets(self, identity: ManagedIdentity, cloud_name: str) -> Text:
        from tui.services.snippets import runbook_snippets

        out = Text()
        try:
            snippets = runbook_snippets(identity, cloud_name)
        except Exception as exc:  # a snippet problem must not break the pane
            return safe_text(f"No snippets: {exc}")
        for title, code in snippets.items():
            out.append_text(safe_text(title, style="bold"))
            out.append("\n")
            out.append_text(self._code(code))
            out.append("\n\n")
        out.rstrip()
        return out

    def _code(self, code: str) -> Text:
        text = Text()
        for index, line in enumerate(code.splitlines()):
            if index:
                text.append("\n")
            text.append_text(safe_text(self.redactor.text(line)))
        return text

    def show_federated(self, credentials: list[FederatedCredential] | None, status: str = "") -> None:
        if not self.built:
            self._pending_federated = (credentials, status)
            return
        table = self.query_one("#federated-table", DataTable)
        table.clear()
        self.query_one("#federated-status", Static).update(safe_text(status, style="dim"))
        for index, credential in enumerate(credentials or []):
            table.add_row(
                safe_text(credential.name, 30),
                safe_text(credential.issuer, 60),
                safe_text(credential.subject, 60),
                safe_text(", ".join(credential.audiences), 40),
                key=f"fic-{index}",
            )

    # --- what is selected -------------------------------------------------------------------------------------
    def selected_role_assignment(self) -> RoleAssignment | None:
        if not self.built:
            return None
        table = self.query_one("#roles-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.role_rows.get(key or "")

    def selected_app_role_assignment(self) -> AppRoleAssignment | None:
        if not self.built:
            return None
        table = self.query_one("#app-roles-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.app_role_rows.get(key or "")
