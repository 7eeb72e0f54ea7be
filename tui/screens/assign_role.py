"""Assign an Azure role: pick the role (searchable; name, privilege, description), then the scope (any management
group, subscription, resource group or resource of the tenant, or a pasted ARM id; the identity's own resource
suggested)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static, Tree
from textual.widgets.option_list import Option
from textual.widgets.tree import TreeNode

from tui.screens.picker import PickerScreen
from tui.services.errors import MituiError
from tui.services.models import ManagedIdentity, RoleDefinition, ScopeLevel, Subscription
from tui.widgets.badges import privilege_badge, privilege_why
from tui.widgets.details import short_scope
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

    @work(exclusive=True, group="roles")
    async def load(self) -> None:
        try:
            roles = await self.session.role_definitions(self.subscription.scope)
        except MituiError as exc:
            self.set_items([], empty_text="Could not load the roles.")
            self.set_status(f"{exc.title}. {exc.hint}", style="red")
            return
        self.set_items(role_rows(roles))


class ScopePickerScreen(ModalScreen[str | None]):
    """Where the role applies. Suggested scopes first; the tree below browses the tenant lazily (the identity's own
    subscription opened, the tenant's other subscriptions, the management groups); ``/`` pastes an ARM id, which is
    checked (well formed, and there) before it is chosen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back", id="scope-cancel"),
        Binding("slash", "paste", "Paste an ARM id", id="scope-paste", tooltip="Choose a scope by its ARM id"),
    ]

    def __init__(
        self,
        session: Session,
        identity: ManagedIdentity,
        subscription: Subscription,
        role: RoleDefinition,
        redactor: Redactor | None = None,
        subscriptions: Sequence[Subscription] = (),
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.session = session
        self.identity = identity
        self.subscription = subscription
        self.role = role
        self.redactor = redactor or Redactor()
        mine = subscription.id.lower()
        self.others = sorted(
            (s for s in subscriptions if s.id.lower() != mine), key=lambda s: ((s.display_name or s.id).lower(), s.id)
        )
        self.suggestions: list[str] = []

    def compose(self) -> ComposeResult:
        red = self.redactor
        title = _for_whom("Scope", self.identity, red)
        title.append("  role ", style="dim")
        title.append_text(safe_text(self.role.role_name, 40, style="bold"))
        with Vertical(classes="dialog picker-dialog", id="scope-dialog"):
            yield Static(title, classes="dialog-title")
            yield Static(Text("Suggested (enter chooses)", style="bold dim"))
            yield OptionList(*self._suggestions(), id="scope-suggested")
            yield Static(Text("Browse the tenant (space opens, enter chooses)", style="bold dim"))
            tree: Tree[tuple[str, ScopeLevel, bool]] = Tree(
                "tenant", data=("/", ScopeLevel.ROOT, True), id="scope-tree"
            )
            tree.show_root = False
            tree.auto_expand = False
            yield tree
            yield Input(
                placeholder="/  paste an ARM id: a management group, subscription, resource group or resource",
                id="scope-paste",
            )
            yield Static("", id="scope-status")
        yield Footer(compact=True)

    def _label(self, name: str, level: ScopeLevel) -> Text:
        label = safe_text(self.redactor.name(name), 60)
        label.append(f"  {level.value}", style="dim")
        return label

    def _add(self, node: TreeNode[tuple[str, ScopeLevel, bool]], scope: str, name: str, level: ScopeLevel) -> Any:
        return node.add(
            self._label(name, level), data=(scope, level, False), allow_expand=level is not ScopeLevel.RESOURCE
        )

    def _suggestions(self) -> list[Option]:
        red = self.redactor
        identity = self.identity
        scopes: list[tuple[str, str]] = []
        if (
            identity.resource_id
            and identity.subscription_id
            and (identity.subscription_id.lower() == self.subscription.id.lower())
        ):
            own = "its own resource" if identity.kind.value == "system-assigned" else "the identity itself"
            scopes.append((identity.resource_id, own))
            for used in identity.used_by:
                if used.lower() != identity.resource_id.lower():
                    scopes.append((used, "a resource that uses it"))
            if identity.resource_group:
                scopes.append(
                    (f"{self.subscription.scope}/resourceGroups/{identity.resource_group}", "its resource group")
                )
        scopes.append((self.subscription.scope, "the whole subscription"))
        options = []
        self.suggestions = []
        for scope, why in scopes:
            prompt = Text(f"{why:<24}", style="dim")
            prompt.append_text(safe_text(red.id(short_scope(scope)), 70))
            self.suggestions.append(scope)
            options.append(Option(prompt, id=f"scope-{len(options)}"))
        return options

    def on_mount(self) -> None:
        self.query_one("#scope-suggested", OptionList).focus()
        root = self.query_one("#scope-tree", Tree).root
        sub = self.subscription
        own = self._add(root, sub.scope, sub.display_name or sub.id, ScopeLevel.SUBSCRIPTION)
        for other in self.others:
            self._add(root, other.scope, other.display_name or other.id, ScopeLevel.SUBSCRIPTION)
        groups = root.add(Text("Management groups", style="bold"), data=("/", ScopeLevel.ROOT, False))
        groups.allow_expand = True
        root.expand()
        own.expand()

    @on(OptionList.OptionSelected, "#scope-suggested")
    def _suggested(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.suggestions[event.option_index])

    @on(Tree.NodeSelected, "#scope-tree")
    def _tree_selected(self, event: Tree.NodeSelected) -> None:
        event.stop()
        if event.node.data is not None and event.node.data[1] is not ScopeLevel.ROOT:
            self.dismiss(event.node.data[0])

    @on(Tree.NodeExpanded, "#scope-tree")
    def _expanded(self, event: Tree.NodeExpanded) -> None:
        node = event.node
        if node.data is not None and not node.data[2]:
            node.data = (node.data[0], node.data[1], True)
            self.load_children(node)

    @work(group="scopes")
    async def load_children(self, node: TreeNode[tuple[str, ScopeLevel, bool]]) -> None:
        status = self.query_one("#scope-status", Static)
        assert node.data is not None
        status.update(Text("Loading…", style="dim"))
        try:
            children = await self.session.child_scopes(node.data[0])
        except MituiError as exc:
            status.update(safe_text(f"{exc.title}. {exc.hint}", style="red"))
            node.data = (node.data[0], node.data[1], False)
            return
        for scope, name, level in sorted(children, key=lambda c: (ORDER.get(c[2], 9), c[1].lower())):
            self._add(node, scope, name, level)
        status.update(Text(f"{len(children)} below" if children else "Nothing below.", style="dim"))

    @on(Input.Submitted, "#scope-paste")
    def _pasted(self, event: Input.Submitted) -> None:
        event.stop()
        self.check_pasted(event.value)

    @work(exclusive=True, group="paste")
    async def check_pasted(self, text: str) -> None:
        """The pasted id, chosen once it is well formed and there; else the reason, and nothing chosen."""
        status = self.query_one("#scope-status", Static)
        status.update(Text("Checking…", style="dim"))
        try:
            scope = await self.session.check_scope(text, self.identity.principal_id)
        except MituiError as exc:
            status.update(safe_text(exc.one_line(), 300, style="red"))
            return
        self.dismiss(scope)

    def action_paste(self) -> None:
        self.query_one("#scope-paste", Input).focus()

    def action_cancel(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#scope-suggested", OptionList).focus()
            return
        self.dismiss(None)


# the order of a scope's children in the tree: management groups, subscriptions, resource groups, resources
ORDER = {
    ScopeLevel.MANAGEMENT_GROUP: 0,
    ScopeLevel.SUBSCRIPTION: 1,
    ScopeLevel.RESOURCE_GROUP: 2,
    ScopeLevel.RESOURCE: 3,
}
