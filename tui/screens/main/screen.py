"""The main screen: subscriptions (left), identities (centre), the selected identity's details (right or below).

Loads run in workers and post messages back (tui.screens.main.loading); nothing here blocks the event loop. Write
actions (assign, grant, remove) are linear flows in one worker each (tui.screens.main.flows). Which identities
the table shows is asked of tui.services.filtering.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, OptionList, ProgressBar, Static, TabbedContent

from tui import runtime
from tui.screens.main import flows
from tui.screens.main.automation_flows import AUTOMATION_BINDINGS, AutomationActions
from tui.screens.main.life_flows import LIFE_BINDINGS, IdentityLifeActions
from tui.screens.main.loading import PARTIAL_DETAILS_DELAY_S, InventoryLoading
from tui.screens.main.rows import ALL_SUBSCRIPTIONS, IDENTITY_COLUMNS, identity_cells, subscription_options
from tui.services.errors import InvalidInput, MituiError
from tui.services.filtering import (
    GRAPH_ONLY,
    IdentityFilter,
    filter_key,
    narrows,
    parse_filter,
    row_filter,
    subscription_counts,
)
from tui.services.models import IdentityKind, Inventory, ManagedIdentity
from tui.widgets.details import (
    SORT_NEWEST,
    TAB_APP_ROLES,
    TAB_DIRECTORY_ROLES,
    TAB_FEDERATED,
    TAB_ROLES,
    IdentityDetails,
)
from tui.widgets.filter_input import FilterInput
from tui.widgets.header import SessionHeader
from tui.widgets.keys_footer import KeysFooter
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import VirtualTable

if TYPE_CHECKING:
    from tui.services.session import Session

DETAILS_DELAY_S = 0.15  # after the last keystroke in the filter, the selected identity's details are redrawn
DETAILS_BUILD_DELAY_S = 0.02  # after the screen's first paint, the details' tabs are mounted
PARTIAL_SUBSCRIPTIONS_EVERY_S = 2.0  # while loading, the subscriptions' counts are refreshed at most this often
WRITE_ACTIONS = {"assign_role", "grant_app_role", "grant_directory_role", "remove", "contain", "manage_identity"}


class MainScreen(InventoryLoading, IdentityLifeActions, AutomationActions, Screen[None]):
    # the table has the focus from the first frame: Textual's default gave it to the subscriptions list, and the
    # table's own focus() lands a while later, a restyle and repaint of both in the middle of loading
    AUTO_FOCUS = "#identities"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "slash",
            "filter",
            "Filter",
            id="filter",
            tooltip="Filter identities: words, kind:user, priv:critical, esc:yes, since:7d, scope:/subscriptions/…",
        ),
        Binding("a", "assign_role", "Assign role", id="assign-role", tooltip="Assign an Azure role to the identity"),
        Binding("g", "grant_app_role", "Grant app role", id="grant-app-role", tooltip="Grant a Graph / API app role"),
        Binding(
            "d",
            "grant_directory_role",
            "Directory role",
            id="grant-directory-role",
            tooltip="Grant an Entra directory role (Global Administrator, Directory Readers, ...) to the identity",
        ),
        Binding(
            "delete",
            "remove",
            "Remove",
            id="remove",
            tooltip="Remove the selected role assignment, directory role or app role grant",
        ),
        Binding(
            "s",
            "sort_rights",
            "Sort rights",
            id="sort-rights",
            show=False,  # (F1 and the palette list it; the footer keeps room for the writes)
            tooltip="List the identity's rights newest first / most privileged first",
        ),
        Binding(
            "x",
            "contain",
            "Contain",
            id="contain",
            show=False,  # (F1 and the palette list it; the footer keeps room for the writes)
            tooltip="Contain the identity: remove every right it holds directly in one confirmed plan (restore file "
            "first)",
        ),
        *LIFE_BINDINGS,
        *AUTOMATION_BINDINGS,
        Binding("c", "copy_id", "Copy id", id="copy-id", tooltip="Copy the principal / client / resource id"),
        Binding("p", "app_roles", "App roles", id="app-roles", tooltip="Graph app roles and who holds them"),
        Binding(
            "i",
            "incident",
            "Incident",
            id="incident",
            tooltip="Incident mode: findings, changes, who can touch a scope",
        ),
        Binding("u", "activity", "Activity", id="activity", show=False, tooltip="What it did; right-size its rights"),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Read everything again"),
        Binding("escape", "back", "Back", id="back", show=False, tooltip="Clear the filter / back to the list"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.inventory: Inventory | None = None
        self.subscription_id: str | None = None  # None: all
        self.identity_filter: IdentityFilter | None = None
        self.is_loading = False
        self._selected_key: str | None = None
        self._has_selection: bool | None = None  # whether the footer's identity keys were last shown enabled
        self._details_timer: Timer | None = None  # a details refresh put off while the filter is being typed
        self._load_generation = 0
        self._partial: Inventory | None = None  # the latest partial inventory not shown yet
        self._partial_timer: Timer | None = None
        self._partial_cost_s = 0.0  # how long the last partial table's rows took to build
        self._subscriptions_of: Inventory | None = None  # what the subscriptions pane was last filled from
        self._subscriptions_shown: tuple[tuple[str | None, str], ...] = ()  # (id, text) of each line shown
        self._subscriptions_filled_at = 0.0  # (time.monotonic())
        self._last_filter_key: Any = None  # filtering.filter_key of the filter last applied
        self.partials_shown: list[tuple[int, int]] = []  # (rows, role assignments) of each partial table shown
        self.retries_shown: list[str] = []  # each retried request reported while loading
        self.waits_shown: list[str] = []  # each wait for a quota (Resource Graph's) reported while loading
        self.usage_progress_shown: list[tuple[int, int]] = []  # (subscriptions read, of) while reading the usage
        self._load_note = ""  # what the last load or read-back said after the summary

    @property
    def redactor(self) -> Redactor:
        return getattr(self.app, "redactor", Redactor())

    # --- layout -----------------------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        # the app's width class (-narrow / -wide) from the start: Textual sets it on the screen's first Resize,
        # after the first layout, which then restyles, lays out and paints the whole screen a second time
        breakpoints = self.HORIZONTAL_BREAKPOINTS or self.app.HORIZONTAL_BREAKPOINTS or []
        for minimum, name in sorted(breakpoints, reverse=True):
            if self.app.size.width >= minimum:
                self.add_class(name)
                break
        yield SessionHeader(id="session-header")
        with Horizontal(id="body"):
            with Vertical(id="subscriptions-pane", classes="pane"):
                yield Static("Subscriptions", classes="pane-title")
                yield OptionList(id="subscriptions")
            with Container(id="work"):
                with Vertical(id="identities-pane", classes="pane"):
                    # hidden from the start (not in on_mount): the first layout is then the final one, instead of
                    # a second layout and a repaint of everything below them when they disappear
                    box = FilterInput(
                        placeholder="filter: words, kind:user, priv:critical, esc:yes, since:7d, rg:, sub:", id="filter"
                    )
                    box.display = False
                    yield box
                    error = Static("", id="filter-error")
                    error.display = False
                    yield error
                    yield VirtualTable(
                        IDENTITY_COLUMNS,
                        empty_text="No identities (yet)",
                        cell_factory=identity_cells(self.redactor, self._usage),
                        id="identities",
                    )
                    with Horizontal(id="status-row"):
                        yield Static("", id="status")
                        yield ProgressBar(id="progress", show_eta=False, show_percentage=False)
                yield IdentityDetails(id="details", classes="pane")
        yield KeysFooter(compact=True)

    def on_mount(self) -> None:
        session = self.session
        caller = session.caller
        principal = caller.display_name or caller.object_id
        self.query_one(SessionHeader).show(
            cloud=session.cloud_name,
            tenant=session.tenant_id,
            principal=principal,
            demo=bool(session.demo),
            read_only=bool(session.read_only),
            redactor=self.redactor,
        )
        self.watch(self.query_one("#filter", Input), "value", self._filter_changed, init=False)
        self.query_one("#identities", VirtualTable).focus()
        runtime.freeze_kept()  # the modules and the app, before the load adds its garbage
        self.load_once_drawn()

    def on_screen_resume(self) -> None:
        details = self.query_one(IdentityDetails)
        if not details.built:
            # Screen's own handler, which runs after this one, lays out and paints the screen without the details'
            # tabs; they are mounted a moment later, in blocks of their own (see IdentityDetails.compose)
            self.set_timer(DETAILS_BUILD_DELAY_S, details.build)

    def on_unmount(self) -> None:
        runtime.unfreeze()  # back to the collector when the screen goes (tests run many apps in one process)

    # --- the subscriptions pane ---------------------------------------------------------------------------------
    def _subscriptions_width(self, lines: int = 0) -> int:
        """The width of the subscriptions pane's lines; with ``lines`` of them, leaving room for the scrollbar that
        they will bring (else the pane is filled twice: once before the scrollbar shows, once after)."""
        options = self.query_one("#subscriptions", OptionList)
        width = options.scrollable_content_region.width
        if lines > options.scrollable_content_region.height and not options.show_vertical_scrollbar:
            width -= options.styles.scrollbar_size_vertical
        return max(12, width - 1)

    def _refit_subscriptions(self, inventory: Inventory, width: int) -> None:
        """Fill again when the pane's width was not settled yet at the last fill (its counts are right-aligned)."""
        if inventory is self._subscriptions_of and self._subscriptions_width() != width:
            self._fill_subscriptions(inventory)

    async def on_resize(self, event: Any) -> None:
        # runs before Screen's own handler, which lays the screen out again: let the loop run in between (the
        # first Resize arrives right after the first paint, in the same block of work otherwise)
        await asyncio.sleep(0.001)
        if self._subscriptions_of is not None:
            self.call_after_refresh(self._refit_subscriptions, self._subscriptions_of, -1)

    def _fill_subscriptions(self, inventory: Inventory, *, partial: bool = False) -> None:
        """The subscriptions pane, with each one's identity count. For a ``partial`` inventory (while loading), at
        most every PARTIAL_SUBSCRIPTIONS_EVERY_S once shown: its counts only grow, and its 200 lines made and
        repainted with each partial table were a third of a stall."""
        now = time.monotonic()
        if (
            partial
            and self._subscriptions_shown
            and now - self._subscriptions_filled_at < PARTIAL_SUBSCRIPTIONS_EVERY_S
        ):
            return
        self._subscriptions_filled_at = now
        self._subscriptions_of = inventory
        counts = subscription_counts(inventory.identities, inventory.subscriptions)
        subscriptions = self.query_one("#subscriptions", OptionList)
        # one line per subscription, "All subscriptions", and "Not visible in ARM" when some identity is
        width = self._subscriptions_width(1 + len(inventory.subscriptions) + (1 if counts.get(GRAPH_ONLY) else 0))
        options = subscription_options(inventory.subscriptions, counts, len(inventory.identities), self.redactor, width)
        # while loading, each partial inventory refills the pane, mostly with the same lines: a refill repaints
        # every line of the list (a sizeable share of the frame), so only a change does it
        shown = tuple((option.id, str(option.prompt)) for option in options)
        if shown == self._subscriptions_shown:
            self.call_after_refresh(self._refit_subscriptions, inventory, width)
            return
        self._subscriptions_shown = shown
        highlighted = self.subscription_id or ALL_SUBSCRIPTIONS
        subscriptions.clear_options()
        subscriptions.add_options(options)
        try:
            subscriptions.highlighted = subscriptions.get_option_index(highlighted)
        except Exception:
            subscriptions.highlighted = 0
        self.call_after_refresh(self._refit_subscriptions, inventory, width)

    # --- selection and filtering -----------------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#subscriptions")
    def _subscription_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        option_id = event.option.id or ALL_SUBSCRIPTIONS
        chosen = None if option_id == ALL_SUBSCRIPTIONS else option_id.lower()
        if chosen != self.subscription_id:
            self.subscription_id = chosen
            self._apply_filter()

    @on(OptionList.OptionSelected, "#subscriptions")
    def _subscription_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#identities", VirtualTable).focus()

    @on(VirtualTable.Highlighted, "#identities")
    def _identity_highlighted(self, event: VirtualTable.Highlighted) -> None:
        key = event.row.key if event.row else None
        if key != self._selected_key or event.row is None:
            self._selected_key = key
            if self.is_loading:
                # a partial table: its rows, the subscriptions and the status are drawn in this frame; the details
                # and the footer's keys (a recompose) in one of their own, else one block of ~0.1-0.2 s paints
                # the whole screen
                self._cancel_details_timer()
                self._details_timer = self.set_timer(PARTIAL_DETAILS_DELAY_S, self._details_due)
                return
            if self.focused is self.query_one("#filter", Input):
                # while typing, every key moves the highlight: redrawing the details (tables, snippets) for each
                # would cost more than filtering the identities; show them once typing pauses
                self._cancel_details_timer()
                self._details_timer = self.set_timer(DETAILS_DELAY_S, self._details_due)
            else:
                self._cancel_details_timer()
                self._show_selected()
        self._refresh_bindings_if_needed()

    def _refresh_bindings_if_needed(self) -> None:
        """Recompose the footer only when the write / copy keys change state (with vs without a selection):
        refresh_bindings rebuilds the footer's widgets and relayouts the screen, too much for every keystroke."""
        has_selection = self.selected_identity() is not None
        if has_selection != self._has_selection:
            self._has_selection = has_selection
            self.refresh_bindings()

    @on(VirtualTable.Selected, "#identities")
    def _identity_selected(self, event: VirtualTable.Selected) -> None:
        details = self.query_one(IdentityDetails)
        if details.built:
            details.query_one("Tabs").focus()

    def _details_due(self) -> None:
        self._details_timer = None
        self._show_selected()
        self._refresh_bindings_if_needed()

    def _cancel_details_timer(self) -> None:
        if self._details_timer is not None:
            self._details_timer.stop()
            self._details_timer = None

    def selected_identity(self) -> ManagedIdentity | None:
        try:
            table = self.query_one("#identities", VirtualTable)
        except NoMatches:  # not mounted yet: the footer reads the keys' state (check_action) while the screen composes
            return None
        row = table.current
        return row.data.identity if row is not None else None

    def _show_selected(self) -> None:
        details = self.query_one(IdentityDetails)
        identity = self.selected_identity()
        details.endpoints = (self.session.graph_url, self.session.arm_url)
        details.show(identity, self.inventory, cloud_name=self.session.cloud_name, redactor=self.redactor)
        if details.active == TAB_FEDERATED:
            self.load_federated()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == TAB_FEDERATED:
            self.load_federated()

    @work(exclusive=True, group="federated", description="load_federated")
    async def load_federated(self) -> None:
        details = self.query_one(IdentityDetails)
        identity = self.selected_identity()
        if identity is None:
            details.show_federated(None, "")
            return
        if identity.kind is IdentityKind.SYSTEM:
            details.show_federated(None, "System-assigned identities have no federated credentials.")
            return
        details.show_federated(None, "Loading federated credentials…")
        try:
            credentials = await self.session.federated_credentials(identity)
        except MituiError as exc:
            details.show_federated(None, f"{exc.title}. {exc.hint}")
            return
        if self.selected_identity() is not identity:
            return
        count = len(credentials)
        details.show_federated(credentials, f"{count} federated credential(s)" if count else "None.")

    def _filter_changed(self, value: str) -> None:
        """The filter box's value changed. Watched on the box rather than handled as its ``Changed`` message,
        which arrives after the screen has already repainted the box alone: this way one repaint shows the new
        text and the table filtered by it."""
        error = self.query_one("#filter-error", Static)
        try:
            parsed = parse_filter(value)
        except InvalidInput as exc:
            error.update(safe_text(f"{exc.title}: {exc.hint}" if exc.hint else exc.title, style="bold red"))
            error.display = True
            return
        error.display = False
        self.identity_filter = None if parsed.is_empty else parsed
        self._apply_filter()
        if self._details_timer is not None:
            # the details wait for a pause in the typing, not for the highlight to stay put for a while
            self._details_timer.reset()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self._details_timer is not None:
            self._cancel_details_timer()
            self._show_selected()
        self.query_one("#identities", VirtualTable).focus()

    def _apply_filter(self) -> None:
        table = self.query_one("#identities", VirtualTable)
        inventory = self.inventory
        # the table keeps each filter's rows by this key: a backspace finds them again, a letter typed further
        # tests only the rows of the filter before it (see narrows)
        key = filter_key(self.subscription_id, self.identity_filter, inventory)
        last, self._last_filter_key = self._last_filter_key, key
        within = last if last is not None and narrows(last, key) else None
        predicate = row_filter(self.identity_filter, self.subscription_id, inventory)
        if predicate is None:
            table.set_filter(None)
        else:
            table.set_filter(predicate, key=key, within=within)
        if not self.is_loading:
            self._summary_status()

    # --- actions ----------------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS:
            if self.session.read_only:
                return False  # hidden: read-only mode shows no write keys at all
            if self.selected_identity() is None or self.inventory is None:
                return None  # shown, disabled
        if action == "new_identity":
            return False if self.session.read_only else (True if self.inventory is not None else None)
        if action == "copy_id" and self.selected_identity() is None:
            return None
        if action == "incident" and self.inventory is None:
            return None
        return True

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_back(self) -> None:
        box = self.query_one("#filter", Input)
        table = self.query_one("#identities", VirtualTable)
        focused = self.focused
        if focused is box or (box.display and focused is table and box.value):
            self._clear_filter()
            self._apply_filter()
            table.focus()
        elif focused is table:
            self.query_one("#subscriptions", OptionList).focus()
        else:
            table.focus()

    def _clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.query_one("#filter-error", Static).display = False
        self.identity_filter = None

    def _show_everything(self) -> None:
        """No filter, all subscriptions."""
        self._clear_filter()
        self.subscription_id = None
        subscriptions = self.query_one("#subscriptions", OptionList)
        try:
            subscriptions.highlighted = subscriptions.get_option_index(ALL_SUBSCRIPTIONS)
        except Exception:  # (no such option before the first load)
            subscriptions.highlighted = 0
        self._apply_filter()

    def action_refresh(self) -> None:
        self.load()

    def action_app_roles(self) -> None:
        from tui.screens.app_roles import AppRolesScreen

        self.app.push_screen(AppRolesScreen(self.session))

    def action_incident(self) -> None:
        from tui.screens.incident import IncidentScreen

        if self.inventory is None:
            return
        identity = self.selected_identity()
        scope = identity.resource_id if identity is not None else ""

        def chosen(principal_id: str | None) -> None:
            if not principal_id:
                return
            table = self.query_one("#identities", VirtualTable)
            if not table.move_to_key(principal_id.lower()):  # hidden by the filter or the subscription: show all
                self._show_everything()
                if not table.move_to_key(principal_id.lower()):
                    self.app.notify("No identity of that principal is listed (deleted, or not a managed identity).")
                    return
            table.focus()
            self._show_selected()

        self.app.push_screen(IncidentScreen(self.inventory, self.redactor, scope, self.session), chosen)

    def action_copy_id(self) -> None:
        from tui.screens.copy_id import CopyIdScreen

        identity = self.selected_identity()
        if identity is None:
            return
        choices = [("Principal ID", identity.principal_id), ("Client ID", identity.client_id)]
        if identity.resource_id:
            choices.append(("Resource ID", identity.resource_id))
        details = self.query_one(IdentityDetails)
        if details.active == TAB_ROLES and (assignment := details.selected_role_assignment()):
            choices.append(("Role assignment ID", assignment.id))
        self.app.push_screen(CopyIdScreen(choices, self.redactor))

    def action_assign_role(self) -> None:
        identity = self.selected_identity()
        if identity is not None and not self.session.read_only:
            self.assign_role_flow(identity)

    def action_grant_app_role(self) -> None:
        identity = self.selected_identity()
        if identity is not None and not self.session.read_only:
            self.grant_app_role_flow(identity)

    def action_grant_directory_role(self) -> None:
        identity = self.selected_identity()
        if identity is not None and not self.session.read_only:
            self.grant_directory_role_flow(identity)

    def action_contain(self) -> None:
        identity = self.selected_identity()
        if identity is not None and self.inventory is not None and not self.session.read_only:
            self.contain_flow(identity)

    def action_sort_rights(self) -> None:
        order = self.query_one(IdentityDetails).toggle_sort()
        self.app.say(  # type: ignore[attr-defined]
            "Rights: newest first." if order == SORT_NEWEST else "Rights: most privileged first.", timeout=2
        )

    def action_remove(self) -> None:
        identity = self.selected_identity()
        if identity is None or self.session.read_only:
            return
        details = self.query_one(IdentityDetails)
        if details.active == TAB_ROLES and (assignment := details.selected_role_assignment()):
            self.run_plan(self.session.plan_role_removal(identity, assignment))
        elif details.active == TAB_DIRECTORY_ROLES and (held := details.selected_directory_role_assignment()):
            self.run_plan(self.session.plan_directory_role_removal(identity, held))
        elif details.active == TAB_APP_ROLES and (grant := details.selected_app_role_assignment()):
            self.run_plan(self.session.plan_app_role_revoke(identity, grant))
        else:
            self.app.say(  # type: ignore[attr-defined]
                "Select a role assignment in the Azure roles tab, a directory role in the Directory roles tab, or a "
                "grant in the App roles tab, then press delete.",
                "warning",
            )

    # --- write flows (tui.screens.main.flows) -------------------------------------------------------------------
    @work(group="flow", description="assign_role_flow")
    async def assign_role_flow(self, identity: ManagedIdentity) -> None:
        await flows.assign_role(self, identity)

    @work(group="flow", description="grant_app_role_flow")
    async def grant_app_role_flow(self, identity: ManagedIdentity) -> None:
        await flows.grant_app_role(self, identity)

    @work(group="flow", description="grant_directory_role_flow")
    async def grant_directory_role_flow(self, identity: ManagedIdentity) -> None:
        await flows.grant_directory_role(self, identity)

    @work(group="flow", description="contain_flow")
    async def contain_flow(self, identity: ManagedIdentity) -> None:
        await flows.contain(self, identity)

    @work(group="flow", description="run_plan")
    async def run_plan(self, planning: Any) -> None:
        await flows.confirm_and_apply(self, planning)

    def action_activity(self) -> None:  # (reads only when asked for: the Activity view and its right-size)
        if (identity := self.selected_identity()) is not None and self.inventory is not None:
            self.activity_flow(identity)

    @work(group="flow", description="activity_flow")
    async def activity_flow(self, identity: ManagedIdentity) -> None:
        await flows.activity(self, identity)


__all__ = ["MainScreen"]
