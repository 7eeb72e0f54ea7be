"""The selected identity in detail: Overview, Azure roles, Directory roles, App roles, Federated credentials,
Snippets. Rights are listed most privileged first, or newest first (:meth:`IdentityDetails.toggle_sort`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from tui.services.escalation import can_act_as, escalation_of, who_can_act_as
from tui.services.filtering import parse_time
from tui.services.models import (
    AppRoleAssignment,
    DirectoryRoleAssignment,
    FederatedCredential,
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Right,
    RoleAssignment,
    right_name,
)
from tui.services.plans import directory_scope_name
from tui.widgets.badges import created_ago, created_at, privilege_badge, via_text
from tui.widgets.safe_text import Redactor, safe_text

TAB_OVERVIEW = "tab-overview"
TAB_ROLES = "tab-roles"
TAB_DIRECTORY_ROLES = "tab-directory-roles"
TAB_APP_ROLES = "tab-app-roles"
TAB_FEDERATED = "tab-federated"
TAB_SNIPPETS = "tab-snippets"
SHOWN_ACTING_AS = 8  # identities listed under "Can act as" (a subscription's Contributor can act as hundreds)
SHOWN_GROUPS = 8  # groups listed under "Member of"
CONDITION_MARK = " ⚑"  # after the role's name: the assignment carries a condition (the line under the table says it)
SORT_PRIVILEGE = "privilege"
SORT_NEWEST = "newest"


def by_privilege(right: Right) -> tuple[int, str]:
    return (-right.privilege.rank, right_name(right).lower())


def newest_first(right: Right) -> tuple[float, int, str]:
    """Newest first; those whose creation time is unknown last, most privileged first."""
    when = parse_time(right.created_on)
    return (-when.timestamp() if when is not None else float("inf"), -right.privilege.rank, right_name(right).lower())


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


def created_by(assignment: RoleAssignment, redactor: Redactor) -> str:
    """Who created it: the name Graph knows, else the object id ARM sends, else ""."""
    if assignment.created_by_name:
        return redactor.name(assignment.created_by_name)
    return redactor.id(assignment.created_by)


class IdentityDetails(Vertical):
    """Shows one identity. Screens call :meth:`show`; the federated tab is filled by :meth:`show_federated`."""

    DEFAULT_CSS = """
    IdentityDetails { height: 1fr; }
    IdentityDetails #details-tabs { height: 1fr; }
    IdentityDetails TabPane { padding: 0 1; }
    IdentityDetails DataTable { height: 1fr; }
    IdentityDetails .right-detail { height: auto; max-height: 8; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.identity: ManagedIdentity | None = None
        self.redactor = Redactor()
        # the session's own Graph and ARM endpoints (the snippets use them); None: the cloud's
        self.endpoints: tuple[str | None, str | None] = (None, None)
        self.role_rows: dict[str, RoleAssignment] = {}
        self.app_role_rows: dict[str, AppRoleAssignment] = {}
        self.directory_role_rows: dict[str, DirectoryRoleAssignment] = {}
        self.sort = SORT_PRIVILEGE  # or SORT_NEWEST (toggle_sort)
        self.built = False  # the tabs are mounted (see build)
        self.painted = asyncio.Event()  # ... and drawn once
        self._building = False
        self._pending: tuple[ManagedIdentity | None, Inventory | None, str, Redactor | None] | None = None
        self._pending_federated: tuple[list[FederatedCredential] | None, str] | None = None
        self._shown: tuple[ManagedIdentity | None, Inventory | None, str] = (None, None, "AzureCloud")

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
        # (the badge next to the name, then what shows at 120 columns: the narrow before the wide)
        table.add_column("Role", key="role")
        table.add_column("Privilege", key="privilege")
        table.add_column("Scope", key="scope")
        table.add_column("Created", key="created")
        table.add_column("By", key="by")
        table.add_column("Via", key="via")
        table.add_column("Level", key="level")
        table.add_column("Why", key="why")
        directory: DataTable[Text] = DataTable(id="directory-roles-table", cursor_type="row", zebra_stripes=True)
        directory.add_column("Role", key="role")
        directory.add_column("Privilege", key="privilege")
        directory.add_column("Scope", key="scope")
        directory.add_column("Via", key="via")
        directory.add_column("Why", key="why")
        apps: DataTable[Text] = DataTable(id="app-roles-table", cursor_type="row", zebra_stripes=True)
        apps.add_column("Resource app", key="app")
        apps.add_column("Value", key="value")
        apps.add_column("Privilege", key="privilege")
        apps.add_column("Created", key="created")
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
            TabPane("Azure roles", table, Static("", id="roles-detail", classes="right-detail"), id=TAB_ROLES),
            TabPane(
                "Directory roles",
                directory,
                Static("", id="directory-roles-detail", classes="right-detail"),
                id=TAB_DIRECTORY_ROLES,
            ),
            TabPane("App roles", apps, Static("", id="app-roles-detail", classes="right-detail"), id=TAB_APP_ROLES),
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
        self._shown = (identity, inventory, cloud_name)
        overview = self.query_one("#overview", Static)
        self.show_federated(None)
        self._fill_rights(identity, inventory)
        if identity is None or inventory is None:
            overview.update(Text("Select an identity.", style="dim"))
            self.query_one("#snippets", Static).update(Text("Select an identity.", style="dim"))
            return
        overview.update(self._overview(identity, inventory))
        self.query_one("#snippets", Static).update(self._snippets(identity, cloud_name))

    def toggle_sort(self) -> str:
        """Most privileged first <-> newest first; the rights shown are listed again. Returns the new order."""
        self.sort = SORT_NEWEST if self.sort == SORT_PRIVILEGE else SORT_PRIVILEGE
        if self.built:
            identity, inventory, _ = self._shown
            self._fill_rights(identity, inventory)
        return self.sort

    def _fill_rights(self, identity: ManagedIdentity | None, inventory: Inventory | None) -> None:
        """The three tables of rights, in the chosen order, and their counts in the tabs' titles."""
        roles = self.query_one("#roles-table", DataTable)
        directory = self.query_one("#directory-roles-table", DataTable)
        apps = self.query_one("#app-roles-table", DataTable)
        for table in (roles, directory, apps):
            table.clear()
        self.role_rows = {}
        self.directory_role_rows = {}
        self.app_role_rows = {}
        if identity is not None and inventory is not None:
            order = newest_first if self.sort == SORT_NEWEST else by_privilege
            red = self.redactor
            for assignment in sorted(inventory.roles_of(identity), key=order):
                self.role_rows[assignment.id] = assignment
                name = safe_text(assignment.role_name or "(unknown role)", 40)
                if assignment.condition:
                    name.append(CONDITION_MARK, style="bold yellow")
                roles.add_row(
                    name,
                    privilege_badge(assignment.privilege),
                    safe_text(red.id(short_scope(assignment.scope)), 50),
                    created_ago(assignment.created_on),
                    safe_text(created_by(assignment, red), 24),
                    via_text(assignment.via),
                    Text(assignment.scope_level.value),
                    safe_text(assignment.privilege_reason, 90, style="dim"),
                    key=assignment.id,
                )
            for held in sorted(inventory.directory_roles_of(identity), key=order):
                self.directory_role_rows[held.id] = held
                directory.add_row(
                    safe_text(held.role_name or red.id(held.role_definition_id), 40),
                    privilege_badge(held.privilege),
                    safe_text(red.id(directory_scope_name(held.directory_scope_id)), 40),
                    via_text(held.via),
                    safe_text(held.privilege_reason, 90, style="dim"),
                    key=held.id,
                )
            for grant in sorted(inventory.app_roles_of(identity), key=order):
                self.app_role_rows[grant.id] = grant
                apps.add_row(
                    safe_text(grant.resource_display_name or red.id(grant.resource_id), 28),
                    safe_text(grant.app_role_value or red.id(grant.app_role_id), 40),
                    privilege_badge(grant.privilege),
                    created_ago(grant.created_on),
                    safe_text(grant.privilege_reason, 90, style="dim"),
                    safe_text(grant.app_role_description, 60),
                    key=grant.id,
                )
        self._retitle(len(self.role_rows), len(self.directory_role_rows), len(self.app_role_rows))
        self._detail_roles()
        self._detail_directory_roles()
        self._detail_app_roles()

    def _retitle(self, roles: int, directory_roles: int, app_roles: int) -> None:
        self.tabs.get_tab(TAB_ROLES).label = f"Azure roles ({roles})"  # type: ignore[assignment]
        self.tabs.get_tab(TAB_DIRECTORY_ROLES).label = f"Directory roles ({directory_roles})"  # type: ignore[assignment]
        self.tabs.get_tab(TAB_APP_ROLES).label = f"App roles ({app_roles})"  # type: ignore[assignment]

    # --- the line under each table: the highlighted right in full ----------------------------------------------
    @on(DataTable.RowHighlighted, "#roles-table")
    def _detail_roles(self, event: DataTable.RowHighlighted | None = None) -> None:
        self._detail("#roles-detail", self.selected_role_assignment())

    @on(DataTable.RowHighlighted, "#directory-roles-table")
    def _detail_directory_roles(self, event: DataTable.RowHighlighted | None = None) -> None:
        self._detail("#directory-roles-detail", self.selected_directory_role_assignment())

    @on(DataTable.RowHighlighted, "#app-roles-table")
    def _detail_app_roles(self, event: DataTable.RowHighlighted | None = None) -> None:
        self._detail("#app-roles-detail", self.selected_app_role_assignment())

    def _detail(self, where: str, right: Right | None) -> None:
        box = self.query_one(where, Static)
        text = self._right_detail(right) if right is not None else Text()
        box.display = bool(text.plain)
        box.update(text)

    def _right_detail(self, right: Right) -> Text:
        """Created (when, by whom), the group it comes through, the condition and the description: all of it."""
        red = self.redactor
        out = Text()
        when = created_at(right.created_on)
        if when:
            out.append("Created ", style="bold")
            out.append(when)
            by = created_by(right, red) if isinstance(right, RoleAssignment) else ""
            if by:
                out.append(" by ")
                out.append_text(safe_text(by, 60))
        if right.via is not None:
            if out.plain:
                out.append("  ·  ")
            out.append("Through group ", style="bold")
            out.append_text(safe_text(red.name(right.via.group_name or right.via.group_id), 60))
            out.append("  (remove it from the group, not from the identity)", style="dim")
        if isinstance(right, RoleAssignment):
            if right.condition:
                out.append("\n")
                out.append(CONDITION_MARK.strip() + " Condition", style="bold yellow")
                if right.condition_version:
                    out.append(f" (v{right.condition_version})", style="dim")
                out.append(" ")
                out.append_text(safe_text(right.condition, 2000))
            if right.description:
                out.append("\n")
                out.append("Description ", style="bold")
                out.append_text(safe_text(right.description, 200))
        return out

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
        groups = inventory.groups_of(identity)
        for index, group in enumerate(groups[:SHOWN_GROUPS]):
            shown = safe_text(red.name(group.display_name or group.id), 60)
            if group.is_assignable_to_role:
                shown.append("  role-assignable", style="dim")
            line("Member of" if index == 0 else "", shown)
        if len(groups) > SHOWN_GROUPS:
            line("", Text(f"… and {len(groups) - SHOWN_GROUPS} more", style="dim"))
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
            ("Acted as by", who_can_act_as(inventory, identity)),  # identities, users, groups, apps (issue #14)
        ):
            for index, step in enumerate(steps[:SHOWN_ACTING_AS]):
                who = safe_text(red.name(step.via[0]), 50)
                if step.reason in ("User", "Group", "ServicePrincipal"):  # not a managed identity: say what it is
                    who.append(f" ({step.reason.lower() if step.reason != 'ServicePrincipal' else 'app'})", style="dim")
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
            graph_url, arm_url = self.endpoints
            snippets = runbook_snippets(identity, cloud_name, graph_url, arm_url)
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

    def selected_directory_role_assignment(self) -> DirectoryRoleAssignment | None:
        if not self.built:
            return None
        table = self.query_one("#directory-roles-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.directory_role_rows.get(key or "")

    def selected_app_role_assignment(self) -> AppRoleAssignment | None:
        if not self.built:
            return None
        table = self.query_one("#app-roles-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.app_role_rows.get(key or "")
