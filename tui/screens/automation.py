"""`A`: the Automation view (issue #15): every Automation Account with its identity, runbooks and their readiness,
modules and runtime-environment packages. Enter on a failing check shows the plan that fixes it (turn the identity
on, import the missing module from the PowerShell Gallery, grant the Graph permission), then the account is read
again and its runbooks checked again. `n` writes a runbook from the identity's snippets (draft, then published).

Everything Azure says is rendered as plain text (safe_text); reads and writes run in workers, never on the loop's
critical path."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tui.services.automation import account_identity, is_ready, runtime_label
from tui.services.automation_models import AutomationAccount, ReadinessItem, Runbook
from tui.services.errors import MituiError
from tui.widgets.safe_text import Redactor, safe_text

if TYPE_CHECKING:
    from tui.services.session import Session

OK, FAIL = Text("✓", style="bold green"), Text("✗", style="bold red")


def _when(value: str) -> str:
    return value[:16].replace("T", " ") if value else ""


class AutomationScreen(Screen[bool]):
    """Dismisses with True when something was changed (the main screen then reads the tenant again)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="automation-back"),
        Binding(
            "enter",
            "fix",
            "Fix",
            id="automation-fix",
            tooltip="Fix the selected failing check (its plan, then a confirmation)",
            show=False,
        ),
        Binding(
            "n",
            "new_runbook",
            "New runbook",
            id="automation-new-runbook",
            tooltip="Write a PowerShell 7.2 runbook from the identity's snippets into the account (draft, publish)",
        ),
        Binding("r", "reload", "Reload", id="automation-reload", tooltip="Read the Automation accounts again"),
    ]

    DEFAULT_CSS = """
    AutomationScreen #automation-status { height: 1; color: $text-muted; padding: 0 1; }
    AutomationScreen #automation-body { height: 1fr; }
    AutomationScreen #automation-accounts-pane { width: 45%; }
    AutomationScreen #automation-right { width: 1fr; }
    AutomationScreen .pane-title { height: 1; text-style: bold; padding: 0 1; }
    AutomationScreen DataTable { height: 1fr; }
    AutomationScreen #automation-checks { height: 1fr; }
    AutomationScreen #automation-check-detail { height: auto; max-height: 8; padding: 0 1; }
    """

    def __init__(self, session: Session, redactor: Redactor, subscription_ids: list[str], focus: str = "") -> None:
        super().__init__()
        self.session = session
        self.redactor = redactor
        self.subscription_ids = subscription_ids
        self.focus_id = focus.lower()  # the account to select first (from an identity's details)
        self.accounts: list[AutomationAccount] = []
        self.checks: dict[str, list[ReadinessItem]] = {}  # runbook id -> its checks
        self.changed = False
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static("Reading Automation accounts…", id="automation-status")
        with Horizontal(id="automation-body"):
            with Vertical(id="automation-accounts-pane", classes="pane"):
                yield Static("Automation accounts", classes="pane-title")
                yield DataTable(id="automation-accounts", cursor_type="row", zebra_stripes=True)
                yield Static("Modules and packages", classes="pane-title")
                yield DataTable(id="automation-modules", cursor_type="row")
            with Vertical(id="automation-right", classes="pane"):
                yield Static("Runbooks", classes="pane-title")
                yield DataTable(id="automation-runbooks", cursor_type="row", zebra_stripes=True)
                yield Static("Readiness — enter on a failing check fixes it", classes="pane-title")
                yield DataTable(id="automation-checks", cursor_type="row")
                yield Static("", id="automation-check-detail")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#automation-accounts", DataTable).add_columns("Account", "Identity", "Ready")
        self.query_one("#automation-modules", DataTable).add_columns("Module", "Version", "State", "Where")
        self.query_one("#automation-runbooks", DataTable).add_columns(
            "", "Runbook", "Runtime", "State", "Schedules", "Last modified", "Type"
        )
        self.query_one("#automation-checks", DataTable).add_columns("", "Check")
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # read-only mode shows no write keys (and the service refuses writes anyway)
        return not (action in ("fix", "new_runbook") and self.session.read_only)

    # --- reading ----------------------------------------------------------------------------------------------
    def _status(self, text: str) -> None:
        self.query_one("#automation-status", Static).update(safe_text(text))

    @work(exclusive=True, group="automation-load", description="load")
    async def load(self, account_id: str = "") -> None:
        """Read every account (or only ``account_id`` again) and check its runbooks."""
        try:
            if account_id:
                old = next(a for a in self.accounts if a.id == account_id)
                fresh = await self.session.reread_account(old)
                self.accounts = [fresh if a.id == account_id else a for a in self.accounts]
                targets = [fresh]
            else:
                self.accounts = await self.session.automation_accounts(self.subscription_ids)
                targets = self.accounts
            for account in targets:
                self.checks.update(await self.session.account_readiness(account))
        except MituiError as exc:
            self._status(f"Could not read the Automation accounts: {exc.one_line()}")
            return
        ready = sum(1 for a in self.accounts for r in a.runbooks if is_ready(self.checks.get(r.id, [])))
        total = sum(len(a.runbooks) for a in self.accounts)
        self._status(f"{len(self.accounts)} Automation accounts, {ready} of {total} runbooks ready to run")
        self._fill_accounts(account_id or self.focus_id)

    # --- filling ----------------------------------------------------------------------------------------------
    def _fill_accounts(self, select: str = "") -> None:
        table = self.query_one("#automation-accounts", DataTable)
        keep = select.lower() or self._current_key(table)
        table.clear()
        red = self.redactor
        for a in self.accounts:
            ready = sum(1 for r in a.runbooks if is_ready(self.checks.get(r.id, [])))
            ident = "system" if a.system_principal_id else ("user" if a.user_assigned else "none")
            table.add_row(
                safe_text(red.name(a.name), 60),
                Text(ident, style="" if a.has_identity else "bold red"),
                Text(f"{ready}/{len(a.runbooks)}", style="green" if ready == len(a.runbooks) else "yellow"),
                key=a.id.lower(),
            )
        self._move_to(table, keep)
        self._fill_account_details()

    def _current_key(self, table: DataTable) -> str:
        if table.row_count == 0:
            return ""
        try:
            return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or "")
        except Exception:
            return ""

    def _move_to(self, table: DataTable, key: str) -> None:
        if not key:
            return
        with contextlib.suppress(Exception):  # (not listed any more)
            table.move_cursor(row=table.get_row_index(key))

    def selected_account(self) -> AutomationAccount | None:
        key = self._current_key(self.query_one("#automation-accounts", DataTable))
        return next((a for a in self.accounts if a.id.lower() == key), None)

    def selected_runbook(self) -> Runbook | None:
        account = self.selected_account()
        key = self._current_key(self.query_one("#automation-runbooks", DataTable))
        return next((r for r in account.runbooks if r.id.lower() == key), None) if account else None

    def selected_check(self) -> ReadinessItem | None:
        runbook = self.selected_runbook()
        table = self.query_one("#automation-checks", DataTable)
        if runbook is None or table.row_count == 0:
            return None
        items = self.checks.get(runbook.id, [])
        row = table.cursor_row
        return items[row] if 0 <= row < len(items) else None

    def _fill_account_details(self) -> None:
        account = self.selected_account()
        runbooks = self.query_one("#automation-runbooks", DataTable)
        keep = self._current_key(runbooks)
        runbooks.clear()
        modules = self.query_one("#automation-modules", DataTable)
        modules.clear()
        if account is None:
            self._fill_checks()
            return
        for rb in account.runbooks:
            items = self.checks.get(rb.id, [])
            runbooks.add_row(
                OK if is_ready(items) else FAIL,
                safe_text(rb.name, 60),
                safe_text(runtime_label(account, rb), 20),
                safe_text(rb.state, 12),
                safe_text(", ".join(rb.schedules), 40),
                Text(_when(rb.last_modified)),
                safe_text(rb.runbook_type, 20),
                key=rb.id.lower(),
            )
        self._move_to(runbooks, keep)
        for m in account.modules:
            modules.add_row(*self._module_cells(m), Text("modules (5.1)", style="dim"), key=f"m:{m.name.lower()}")
        for env in account.runtime_environments:
            for name, version in env.default_packages:
                modules.add_row(
                    safe_text(name, 50), safe_text(version, 20), Text("default", style="dim"), safe_text(env.name, 20)
                )
            for p in env.packages:
                modules.add_row(*self._module_cells(p), safe_text(env.name, 20))
        self._fill_checks()

    def _module_cells(self, m: object) -> tuple[Text, Text, Text]:
        state = str(getattr(m, "provisioning_state", ""))
        style = "green" if state.lower() == "succeeded" else ("bold red" if state.lower() == "failed" else "yellow")
        return (
            safe_text(str(getattr(m, "name", "")), 50),
            safe_text(str(getattr(m, "version", "")), 20),
            safe_text(state, 20, style=style),
        )

    def _fill_checks(self) -> None:
        table = self.query_one("#automation-checks", DataTable)
        keep = table.cursor_row
        table.clear()
        runbook = self.selected_runbook()
        if runbook is None:
            self._fill_detail()
            return
        for n, item in enumerate(self.checks.get(runbook.id, [])):
            table.add_row(OK if item.ok else FAIL, safe_text(item.check, 60), key=str(n))
        if 0 <= keep < table.row_count:
            table.move_cursor(row=keep)
        self._fill_detail()

    def _fill_detail(self) -> None:
        """The highlighted check's detail, and its fix (enter applies it)."""
        item = self.selected_check()
        out = Text()
        if item is not None:
            out.append_text(safe_text(self.redactor.text(item.detail), 600))
            if item.fix is not None and not item.ok:
                out.append("\nenter: ", style="bold")
                out.append_text(safe_text(item.fix.describe(), 200))
        self.query_one("#automation-check-detail", Static).update(out)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "automation-accounts":
            self._fill_account_details()
        elif event.data_table.id == "automation-runbooks":
            self._fill_checks()
        elif event.data_table.id == "automation-checks":
            self._fill_detail()

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "automation-checks":
            event.stop()
            self.action_fix()

    # --- actions ----------------------------------------------------------------------------------------------
    def action_back(self) -> None:
        self.dismiss(self.changed)

    def action_reload(self) -> None:
        self._status("Reading Automation accounts…")
        self.load()

    def action_fix(self) -> None:
        if self.session.read_only:  # (enter on a check reaches here without the binding's check)
            self.app.notify("Read-only mode: no change can be made.")
            return
        account, runbook, item = self.selected_account(), self.selected_runbook(), self.selected_check()
        if account is None or runbook is None or item is None:
            self.app.notify("Select a runbook's check first (tab to the readiness table).")
            return
        if item.ok:
            self.app.notify("This check passes: nothing to fix.")
            return
        if item.fix is None:
            self.app.notify(f"No fix mitui can apply: {item.detail}", markup=False)
            return
        self.fix_flow(account, runbook, item)

    @work(exclusive=True, group="flow", description="fix_flow")
    async def fix_flow(self, account: AutomationAccount, runbook: Runbook, item: ReadinessItem) -> None:
        await self._confirm_and_apply(account, self.session.plan_fix(account, runbook, item))

    def action_new_runbook(self) -> None:
        account = self.selected_account()
        if account is None:
            self.app.notify("Select an Automation account first.")
            return
        self.new_runbook_flow(account)

    @work(exclusive=True, group="flow", description="new_runbook_flow")
    async def new_runbook_flow(self, account: AutomationAccount) -> None:
        from tui.screens.identity_life import Field, FormScreen
        from tui.services.snippets import seed_runbook

        session = self.session
        text = seed_runbook(account_identity(account), session.cloud_name, session.graph_url, session.arm_url)
        form = FormScreen(
            f"New runbook in {account.name}",
            [
                Field("name", "Runbook name", "List-IdentityRights", "List-IdentityRights"),
                Field("environment", "Runtime environment", "PowerShell-7.2", "PowerShell-7.2"),
            ],
            note="PowerShell 7.2, written from the identity's snippets (Az and Microsoft Graph sign-in as the "
            "identity); uploaded as a draft, then published.",
        )
        answers = await self.app.push_screen_wait(form)
        if not answers:
            return
        await self._confirm_and_apply(
            account,
            session.plan_create_runbook(account, answers["name"].strip(), text, answers["environment"].strip()),
        )

    async def _confirm_and_apply(self, account: AutomationAccount, planning: object) -> None:
        from tui.screens.confirm import ConfirmScreen, plan_title

        app = self.app
        try:
            plan = await planning  # type: ignore[misc]
        except MituiError as exc:
            app.show_error(exc)  # type: ignore[attr-defined]
            return
        if not await app.push_screen_wait(ConfirmScreen(plan, self.redactor)):
            app.say("Cancelled: nothing was changed.", timeout=3)  # type: ignore[attr-defined]
            return
        self.session.progress_listener = self._status
        try:
            change = await self.session.apply(plan)
        except MituiError as exc:
            app.show_error(exc)  # type: ignore[attr-defined]
            return
        finally:
            self.session.progress_listener = None
        title = plan_title(plan)
        if change.outcome in ("applied", "already-there"):
            self.changed = self.changed or change.outcome == "applied"
            app.say(f"{title}: {change.message}", title="Applied")  # type: ignore[attr-defined]
        else:
            app.show_error(MituiError(f"{title}: {change.outcome}", change.message or "Nothing was changed."))  # type: ignore[attr-defined]
        self._status(f"Checking {account.name} again…")
        self.load(account.id)
