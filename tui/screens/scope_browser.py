"""Choosing an Azure scope anywhere in the tenant: suggested scopes first, then a tree browsed lazily (the first
subscription opened, the tenant's other subscriptions, the management groups, each opening to what is below it),
and ``/`` to paste an ARM id, checked before it is chosen. The assign flow's scope picker and incident mode's
"who can touch" both use it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
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

from tui.services.errors import MituiError
from tui.services.models import ScopeLevel, Subscription
from tui.widgets.details import short_scope
from tui.widgets.safe_text import Redactor, safe_text

if TYPE_CHECKING:
    from tui.services.session import Session

# the order of a scope's children in the tree: management groups, subscriptions, resource groups, resources
ORDER = {
    ScopeLevel.MANAGEMENT_GROUP: 0,
    ScopeLevel.SUBSCRIPTION: 1,
    ScopeLevel.RESOURCE_GROUP: 2,
    ScopeLevel.RESOURCE: 3,
}
NodeData = tuple[str, ScopeLevel, bool]  # (scope, level, children loaded)


class ScopeBrowserScreen(ModalScreen[str | None]):
    """Dismisses with the chosen scope (None with escape). ``check``: turns pasted text into a scope, or raises a
    MituiError whose words are shown (and nothing is chosen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Back", id="scope-cancel"),
        Binding("slash", "paste", "Paste an ARM id", id="scope-paste", tooltip="Choose a scope by its ARM id"),
    ]

    def __init__(
        self,
        session: Session,
        title: Text,
        suggestions: Sequence[tuple[str, str]],
        subscriptions: Sequence[Subscription],
        check: Callable[[str], Awaitable[str]],
        redactor: Redactor | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.session = session
        self.title_text = title
        self.suggestions = [scope for scope, _why in suggestions]
        self._why = [why for _scope, why in suggestions]
        self.subscriptions = list(subscriptions)  # the first one opened
        self.check = check
        self.redactor = redactor or Redactor()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker-dialog", id="scope-dialog"):
            yield Static(self.title_text, classes="dialog-title")
            if self.suggestions:
                yield Static(Text("Suggested (enter chooses)", style="bold dim"))
                yield OptionList(*self._options(), id="scope-suggested")
            yield Static(Text("Browse the tenant (space opens, enter chooses)", style="bold dim"))
            tree: Tree[NodeData] = Tree("tenant", data=("/", ScopeLevel.ROOT, True), id="scope-tree")
            tree.show_root = False
            tree.auto_expand = False
            yield tree
            yield Input(
                placeholder="/  paste an ARM id: a management group, subscription, resource group or resource",
                id="scope-paste",
            )
            yield Static("", id="scope-status")
        yield Footer(compact=True)

    def _options(self) -> list[Option]:
        options = []
        for n, (scope, why) in enumerate(zip(self.suggestions, self._why, strict=True)):
            prompt = Text(f"{why:<24}", style="dim")
            prompt.append_text(safe_text(self.redactor.id(short_scope(scope)), 70))
            options.append(Option(prompt, id=f"scope-{n}"))
        return options

    def _label(self, name: str, level: ScopeLevel) -> Text:
        label = safe_text(self.redactor.name(name), 60)
        label.append(f"  {level.value}", style="dim")
        return label

    def _add(self, node: TreeNode[NodeData], scope: str, name: str, level: ScopeLevel) -> Any:
        return node.add(
            self._label(name, level), data=(scope, level, False), allow_expand=level is not ScopeLevel.RESOURCE
        )

    def on_mount(self) -> None:
        root = self.query_one("#scope-tree", Tree).root
        nodes = [self._add(root, s.scope, s.display_name or s.id, ScopeLevel.SUBSCRIPTION) for s in self.subscriptions]
        groups = root.add(Text("Management groups", style="bold"), data=("/", ScopeLevel.ROOT, False))
        groups.allow_expand = True
        root.expand()
        if nodes:
            nodes[0].expand()
        self.query_one("#scope-suggested" if self.suggestions else "#scope-tree").focus()

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

    @work(group="scopes", description="load_children")
    async def load_children(self, node: TreeNode[NodeData]) -> None:
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

    @work(exclusive=True, group="paste", description="check_pasted")
    async def check_pasted(self, text: str) -> None:
        """The pasted id, chosen once ``check`` accepts it; else the reason, and nothing chosen."""
        status = self.query_one("#scope-status", Static)
        status.update(Text("Checking…", style="dim"))
        try:
            scope = await self.check(text)
        except MituiError as exc:
            status.update(safe_text(exc.one_line(), 300, style="red"))
            return
        self.dismiss(scope)

    def action_paste(self) -> None:
        self.query_one("#scope-paste", Input).focus()

    def action_cancel(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one("#scope-suggested" if self.suggestions else "#scope-tree").focus()
            return
        self.dismiss(None)
