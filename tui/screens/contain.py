"""Contain an identity (issue #14): the whole containment plan, confirmed once with the identity's name typed (Cancel
has the focus), applied item by item with progress, and the result of each item; failures can be retried alone.

Dismissed with True when anything was applied (the main screen reloads), False otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tui.services.containment import (
    KIND_ATTACHMENT,
    ContainmentPlan,
    PlanResults,
    attached_resources,
    kind_of,
    outcome_label,
    where_of,
)
from tui.services.errors import MituiError
from tui.widgets.badges import privilege_badge
from tui.widgets.safe_text import Redactor, safe_text

if TYPE_CHECKING:
    from tui.services.models import Inventory
    from tui.services.plans import Change, Plan
    from tui.services.session import Session

OUTCOME_STYLES = {"done": "green", "already gone": "dim", "failed": "bold red", "refused": "bold red"}


class ContainScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Cancel", id="contain-cancel"),
        Binding("r", "retry", "Retry failed", id="contain-retry", tooltip="Apply the failed items again"),
        Binding(
            "u",
            "toggle_detach",
            "Detach too",
            id="contain-detach",
            tooltip="Also detach the user-assigned identity from every resource it is attached to (restore attaches "
            "it again)",
        ),
    ]

    def __init__(
        self,
        session: Session,
        plan: ContainmentPlan,
        redactor: Redactor | None = None,
        inventory: Inventory | None = None,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.session = session
        self.plan = plan
        self.inventory = inventory
        self.detach = any(kind_of(p) == KIND_ATTACHMENT for p in plan.items)
        self.redactor = redactor or Redactor()
        self.results: PlanResults | None = None
        self.busy = False
        self._status: dict[int, Text] = {}

    # --- text ---------------------------------------------------------------------------------------------------
    def _shown(self, value: str) -> str:
        return self.redactor.name(value)

    def _item(self, plan: Plan, status: Text | None = None) -> Text:
        line = Text("  ")
        line.append_text(privilege_badge(plan.privilege, short=True))
        line.append(f"  {kind_of(plan):<14}  ")
        line.append_text(safe_text(plan.right_name, 48, style="bold"))
        line.append("  at ")
        line.append_text(safe_text(self.redactor.text(where_of(plan))))
        if status is not None:
            line.append("  ")
            line.append_text(status)
        elif plan.nothing_to_do:
            line.append("  already gone", style="dim")
        return line

    def _plan_text(self) -> Text:
        plan = self.plan
        text = Text()
        if not plan.items:
            text.append("No right held directly: nothing to remove.\n", style="bold")
        if self._can_detach() and not self.detach:
            text.append("u: also detach it from the resources it is attached to\n", style="dim")
        for i, item in enumerate(plan.items):
            text.append_text(self._item(item, self._status.get(i)))
            text.append("\n")
        if plan.through_groups:
            text.append("\nHeld through a group (not touched):\n", style="bold")
            for held in plan.through_groups:
                text.append("  ")
                text.append_text(privilege_badge(held.privilege, short=True))
                text.append(f"  {held.kind:<14}  ")
                text.append_text(safe_text(held.right_name, 48, style="bold"))
                text.append(" — ")
                text.append_text(safe_text(held.advice))
                text.append("\n")
        text.rstrip()
        return text

    def _title(self) -> Text:
        plan = self.plan
        title = Text("Contain ", style="bold")
        title.append_text(safe_text(self._shown(plan.identity.name), 60, style="bold"))
        detached = sum(1 for p in plan.to_remove if kind_of(p) == KIND_ATTACHMENT)
        title.append(f"  {len(plan.to_remove) - detached} rights to remove  ")
        if detached:
            title.append(f"{detached} resources to detach from  ")
        title.append_text(privilege_badge(plan.privilege))
        return title

    # --- layout -------------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        plan = self.plan
        name = self._shown(plan.identity.name)
        with Vertical(id="contain-dialog", classes="dialog"):
            yield Static(self._title(), classes="dialog-title", id="contain-title")
            with VerticalScroll(id="contain-body"):
                yield Static(self._plan_text(), id="contain-plan")
            yield Static(
                Text(
                    "A restore file is written first (mitui restore FILE puts the rights back). Each removal is "
                    "logged in the audit log.",
                    style="dim",
                ),
                id="contain-note",
            )
            prompt = Text("Type the identity's name ", style="bold")
            prompt.append_text(safe_text(name, style="bold reverse"))
            prompt.append(" to enable Contain:", style="bold")
            yield Static(prompt, id="contain-type-prompt")
            yield Input(placeholder="type the name shown above", id="contain-typed")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="contain-cancel", variant="primary")
                yield Button("Retry failed", id="contain-retry", variant="warning", disabled=True)
                yield Button("Contain", id="contain-apply", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#contain-retry", Button).display = False
        self.query_one("#contain-cancel", Button).focus()

    # --- confirmation -------------------------------------------------------------------------------------------
    def _typed_ok(self, value: str) -> bool:
        return bool(self.plan.to_remove) and value.strip() == self._shown(self.plan.identity.name).strip()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "contain-typed" and self.results is None and not self.busy:
            self.query_one("#contain-apply", Button).disabled = not self._typed_ok(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "contain-typed" and not self.query_one("#contain-apply", Button).disabled:
            self.contain()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.disabled:
            return
        if event.button.id == "contain-apply":
            self.contain()
        elif event.button.id == "contain-retry":
            self.action_retry()
        else:
            self.action_close()

    def action_close(self) -> None:
        if self.busy:
            return
        self.dismiss(self.results is not None and any(c.outcome == "applied" for c in self.results.changes))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_detach":
            return self._can_detach()
        return not (action == "retry" and (self.results is None or self.results.ok or self.busy))

    def _can_detach(self) -> bool:
        """A user-assigned identity attached to resources, before anything was applied."""
        return (
            self.inventory is not None
            and self.results is None
            and not self.busy
            and bool(attached_resources(self.plan.identity))
        )

    def action_toggle_detach(self) -> None:
        if self._can_detach():
            self.replan(not self.detach)

    @work(exclusive=True, group="contain", description="replan")
    async def replan(self, detach: bool) -> None:
        assert self.inventory is not None
        try:
            plan = await self.session.plan_containment(self.plan.identity, self.inventory, detach=detach)
        except MituiError as err:
            self.app.show_error(err)  # type: ignore[attr-defined]
            return
        self.plan, self.detach = plan, detach
        self._status.clear()
        self._refresh_plan()
        title = self.query_one("#contain-title", Static)
        title.update(self._title())
        typed = self.query_one("#contain-typed", Input)
        self.query_one("#contain-apply", Button).disabled = not self._typed_ok(typed.value)

    # --- applying -----------------------------------------------------------------------------------------------
    def _progress(self, indices: list[int]):  # noqa: ANN202
        def step(i: int, change: Change) -> None:
            label = outcome_label(change)
            self._status[indices[i]] = Text(label, style=OUTCOME_STYLES.get(label, ""))
            if not change.ok:
                self._status[indices[i]].append(" — ")
                self._status[indices[i]].append_text(safe_text(change.message, 200))
            self._refresh_plan()

        return step

    def _refresh_plan(self) -> None:
        self.query_one("#contain-plan", Static).update(self._plan_text())

    def _busy(self, busy: bool, what: str = "") -> None:
        self.busy = busy
        for selector in ("#contain-apply", "#contain-typed"):
            self.query_one(selector).disabled = True
        self.query_one("#contain-cancel", Button).disabled = busy
        if what:
            self.query_one("#contain-note", Static).update(Text(what, style="bold"))

    @work(exclusive=True, group="contain", description="contain")
    async def contain(self) -> None:
        if self.busy or self.results is not None:
            return
        self._busy(True, "Containing… each item's result appears as it is done.")
        for i, _ in enumerate(self.plan.items):
            self._status[i] = Text("…", style="dim")
        self._refresh_plan()
        try:
            self.results = await self.session.contain(
                self.plan, progress=self._progress(list(range(len(self.plan.items))))
            )
        except MituiError as err:
            self._status.clear()
            self._refresh_plan()
            self._busy(False, f"Nothing was changed: {err.one_line()}")
            self.app.show_error(err)  # type: ignore[attr-defined]
            return
        self._finished()

    def action_retry(self) -> None:
        if self.results is not None and not self.results.ok and not self.busy:
            self.retry()

    @work(exclusive=True, group="contain", description="retry")
    async def retry(self) -> None:
        assert self.results is not None
        failed = [c.plan for c in self.results.failed]
        index = {id(p): i for i, p in enumerate(self.plan.items)}
        indices = [index[id(p)] for p in failed]
        self._busy(True, f"Retrying {len(failed)} failed items…")
        for i in indices:
            self._status[i] = Text("…", style="dim")
        self._refresh_plan()
        try:
            again = await self.session.apply_each(failed, progress=self._progress(indices))
        except MituiError as err:
            self._busy(False)
            self.app.show_error(err)  # type: ignore[attr-defined]
            self._finished()
            return
        self.results = self.results.retried(again)
        self._finished()

    def _finished(self) -> None:
        results = self.results
        assert results is not None
        self.busy = False
        note = Text(f"Result: {results.summary()}.", style="bold" if results.ok else "bold red")
        if results.restore_file is not None:
            note.append("  Restore file: ", style="")
            note.append_text(safe_text(str(results.restore_file)))
        if not results.ok:
            note.append("  Press r to retry the failed items.", style="bold")
        self.query_one("#contain-note", Static).update(note)
        self.query_one("#contain-type-prompt").display = False
        self.query_one("#contain-typed").display = False
        self.query_one("#contain-apply", Button).display = False
        retry = self.query_one("#contain-retry", Button)
        retry.display = not results.ok
        retry.disabled = results.ok
        cancel = self.query_one("#contain-cancel", Button)
        cancel.label = "Close"
        cancel.disabled = False
        cancel.focus()
        self.refresh_bindings()
