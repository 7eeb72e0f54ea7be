"""The main screen: subscriptions (left), identities (centre), the selected identity's details (right or below).

Loads run in workers and post messages back; nothing here blocks the event loop. Write actions (assign, grant,
remove) are linear flows in one worker each: picker → picker → Plan → confirmation → apply → refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, OptionList, ProgressBar, Static, TabbedContent
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from tui.runtime import relaxed_gc
from tui.services.errors import InvalidInput, MituiError
from tui.services.models import (
    IdentityKind,
    Inventory,
    ManagedIdentity,
    Privilege,
    Progress,
    Subscription,
)
from tui.services.offload import off_loop
from tui.services.session import RETRYING
from tui.widgets.badges import highest, privilege_badge
from tui.widgets.details import TAB_APP_ROLES, TAB_FEDERATED, TAB_ROLES, IdentityDetails
from tui.widgets.filter_input import FilterInput
from tui.widgets.header import SessionHeader
from tui.widgets.keys_footer import KeysFooter
from tui.widgets.safe_text import Redactor, clean, safe_text, truncate
from tui.widgets.virtual_table import Column, Row, VirtualTable

if TYPE_CHECKING:
    from tui.services.plans import Plan
    from tui.services.session import Session

ALL_SUBSCRIPTIONS = "all"
GRAPH_ONLY = "graph-only"
PARTIAL_EVERY_S = 0.5  # while loading, what has arrived is shown at most this often (each costs a pass over the rows)
PARTIAL_COST_FACTOR = 3  # ... and at most a third of the time goes to it (its rows share the CPU worker with the load)
PARTIAL_FIRST_S = 0.01  # the first time (the identities are known): at once
DETAILS_DELAY_S = 0.15  # after the last keystroke in the filter, the selected identity's details are redrawn
PARTIAL_DETAILS_DELAY_S = 0.02  # while loading, a new selection's details are drawn this long after the table
DETAILS_BUILD_DELAY_S = 0.02  # after the screen's first paint, the details' tabs are mounted
LOAD_START_WAIT_S = 0.5  # the load starts once the details are drawn, or after this long at most
WRITE_ACTIONS = {"assign_role", "grant_app_role", "remove"}

IDENTITY_COLUMNS = (
    Column("name", "Name", 16, flex=1),
    Column("kind", "Kind", 6),
    Column("group", "Resource group", 14, flex=1, drop=3),
    Column("principal", "Principal ID", 36, drop=4),
    Column("roles", "Roles", 5, align="right"),
    Column("app_roles", "App", 4, align="right", drop=1),
    Column("privilege", "Privilege", 10),
)


@dataclass(frozen=True)
class IdentityRow:
    """What one line of the identity table needs, computed once per load."""

    identity: ManagedIdentity
    roles: int
    app_roles: int
    top: Privilege | None


def keep_out_of_collections() -> None:
    """Keep what is alive now out of Python's full garbage collections (``gc.freeze``). Each full collection
    walks every tracked object; with the inventory and its rows (hundreds of thousands of objects at 10 000
    identities) one took 250–400 ms, a visible stall, often in the middle of a keystroke. Frozen objects are still
    freed by reference counting when dropped (a reload replaces the inventory); only reference cycles among them
    wait for ``gc.unfreeze``, which the screen calls when it is unmounted."""
    gc.freeze()


def identity_rows(inventory: Inventory, privileges: bool = True) -> list[Row]:
    """One table row per identity; the cells are made when a row is first drawn (see identity_cells).
    ``privileges=False`` for a partial inventory (its assignments are not classified yet): no badge."""
    rows: list[Row] = []
    roles_by = inventory.role_assignments
    grants_by = inventory.app_role_assignments
    for identity in inventory.identities:
        key = identity.principal_id.lower()
        roles = roles_by.get(key, ())
        grants = grants_by.get(key, ())
        top = highest([a.privilege for a in roles] + [g.privilege for g in grants]) if privileges else None
        # what the filter's free words match (IdentityFilter.matches), lowercased once instead of per keystroke
        search = " ".join(
            (
                identity.name,
                identity.principal_id,
                identity.client_id,
                identity.resource_group or "",
                identity.kind.value,
            )
        ).lower()
        rows.append(Row(key=key, search=search, data=IdentityRow(identity, len(roles), len(grants), top)))
    rows.sort(key=lambda r: (r.data.identity.name.lower(), r.key))
    return rows


def identity_cells(redactor: Redactor) -> Callable[[Row], tuple[Text, ...]]:
    def cells(row: Row) -> tuple[Text, ...]:
        item: IdentityRow = row.data
        identity = item.identity
        return (
            safe_text(redactor.name(identity.name)),
            Text("user" if identity.kind is IdentityKind.USER else "system"),
            safe_text(redactor.name(identity.resource_group or "")),
            safe_text(redactor.id(identity.principal_id)),
            Text(str(item.roles)),
            Text(str(item.app_roles)),
            privilege_badge(item.top) if item.top else Text(""),
        )

    return cells


class MainScreen(Screen[None]):
    # the table has the focus from the first frame: Textual's default gave it to the subscriptions list, and the
    # table's own focus() lands a while later, a restyle and repaint of both in the middle of loading
    AUTO_FOCUS = "#identities"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter", id="filter", tooltip="Filter identities: words, kind:user, priv:critical"),
        Binding("a", "assign_role", "Assign role", id="assign-role", tooltip="Assign an Azure role to the identity"),
        Binding("g", "grant_app_role", "Grant app role", id="grant-app-role", tooltip="Grant a Graph / API app role"),
        Binding(
            "delete", "remove", "Remove", id="remove", tooltip="Remove the selected role assignment or app role grant"
        ),
        Binding("c", "copy_id", "Copy id", id="copy-id", tooltip="Copy the principal / client / resource id"),
        Binding("p", "app_roles", "App roles", id="app-roles", tooltip="Graph app roles and who holds them"),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="Read everything again"),
        Binding("escape", "back", "Back", id="back", show=False, tooltip="Clear the filter / back to the list"),
    ]

    class Loaded(Message):
        def __init__(self, inventory: Inventory, rows: list[Row]) -> None:
            super().__init__()
            self.inventory = inventory
            self.rows = rows

    class PartialShown(Message):
        """The table shows what has arrived so far, before the load has finished."""

        def __init__(self, rows: int, roles: int) -> None:
            super().__init__()
            self.rows = rows
            self.roles = roles

    class LoadProgress(Message):
        def __init__(self, progress: Progress) -> None:
            super().__init__()
            self.progress = progress

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.inventory: Inventory | None = None
        self.subscription_id: str | None = None  # None: all
        self.identity_filter: Any = None
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
        self._last_filter_key: tuple[Any, ...] | None = None  # (subscription, filter, inventory) last applied
        self.partials_shown: list[tuple[int, int]] = []  # (rows, role assignments) of each partial table shown
        self.retries_shown: list[str] = []  # each retried request reported while loading

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
                    box = FilterInput(placeholder="filter: words, kind:user, priv:critical, rg:, sub:", id="filter")
                    box.display = False
                    yield box
                    error = Static("", id="filter-error")
                    error.display = False
                    yield error
                    yield VirtualTable(
                        IDENTITY_COLUMNS,
                        empty_text="No identities (yet)",
                        cell_factory=identity_cells(self.redactor),
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
        keep_out_of_collections()  # the modules and the app, before the load adds its garbage
        self.load_once_drawn()

    @work(group="inventory-start")
    async def load_once_drawn(self) -> None:
        """Start the load once the screen is drawn, details pane included: started with it, the load's first
        burst (a TLS handshake and a request per connection, the first answers) shared the CPU with the screen's
        first layouts and paints, and the screen froze for a tenth of a second or more."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.query_one(IdentityDetails).painted.wait(), LOAD_START_WAIT_S)
        self.load()

    def on_screen_resume(self) -> None:
        details = self.query_one(IdentityDetails)
        if not details.built:
            # Screen's own handler, which runs after this one, lays out and paints the screen without the details'
            # tabs; they are mounted a moment later, in blocks of their own (see IdentityDetails.compose)
            self.set_timer(DETAILS_BUILD_DELAY_S, details.build)

    def on_unmount(self) -> None:
        gc.unfreeze()  # back to the collector when the screen goes (tests run many apps in one process)

    # --- loading ----------------------------------------------------------------------------------------------
    @work(exclusive=True, group="inventory")
    async def load(self) -> None:
        self.is_loading = True
        self._set_status(Text("Loading the inventory…"))
        self.query_one("#progress", ProgressBar).display = True
        self.query_one("#progress", ProgressBar).update(total=None, progress=0)
        self._load_generation += 1
        generation = self._load_generation

        def progress(step: Progress) -> None:
            self.post_message(self.LoadProgress(step))

        def partial(inventory: Inventory) -> None:
            # called on the event loop, often: keep the latest, show it at most every PARTIAL_EVERY_S (or three
            # times as long as the last one took)
            self._partial = inventory
            if self._partial_timer is None:
                shown = bool(self.query_one("#identities", VirtualTable).rows)
                delay = partial_delay(shown, self._partial_cost_s)
                self._partial_timer = self.set_timer(delay, lambda: self.show_partial(generation))

        # a refresh keeps the complete table in view until the new one is ready (partial counts would drop)
        on_partial = partial if self.inventory is None else None
        # The collector stays relaxed (as during the load itself) until what the table keeps is frozen: restored
        # at the end of the load, its first pass over the older generation walked everything the load had made
        # (0.3 s at 40 000 identities, while the rows were being built).
        with relaxed_gc():
            try:
                inventory = await self.session.load_inventory(progress=progress, on_partial=on_partial)
            except MituiError as exc:
                self.is_loading = False
                self._finish_progress()
                self._set_status(Text("Could not load the inventory. Press r to retry.", style="bold red"))
                self.app.show_error(exc)  # type: ignore[attr-defined]
                return
            if get_current_worker().is_cancelled:
                return
            rows = await off_loop(identity_rows, inventory)
            keep_out_of_collections()
        self.post_message(self.Loaded(inventory, rows))

    @work(exclusive=True, group="partial")
    async def show_partial(self, generation: int) -> None:
        self._partial_timer = None
        details = self.query_one(IdentityDetails)
        if not details.painted.is_set():
            # the details' tabs get their first layout and paint in a frame of their own: together with the first
            # rows (the table, the subscriptions) one frame repainted most of the screen, a block of 0.1-0.2 s
            await details.painted.wait()
        inventory, self._partial = self._partial, None
        if inventory is None or generation != self._load_generation or not self.is_loading:
            return
        started = time.perf_counter()
        rows = await off_loop(identity_rows, inventory, False)
        # (40 000 rows take ~0.6 s: every 0.5 s they would keep the CPU worker from the pages the load waits for)
        self._partial_cost_s = time.perf_counter() - started
        if generation != self._load_generation or not self.is_loading:
            return  # the complete inventory arrived meanwhile
        self._fill_subscriptions(inventory)
        self.query_one("#identities", VirtualTable).set_rows(rows)
        self._apply_filter()
        keep_out_of_collections()
        roles = sum(row.data.roles for row in rows)
        self.partials_shown.append((len(rows), roles))
        self.post_message(self.PartialShown(len(rows), roles))

    def on_main_screen_load_progress(self, message: LoadProgress) -> None:
        step = message.progress
        if step.step == RETRYING:  # a request failed and is retried: say so, the load goes on
            self.retries_shown.append(step.detail)
            status = Text(f"Retrying ({step.done} so far): ", style="bold yellow")
            status.append_text(safe_text(step.detail, 60))
            self._set_status(status)
            return
        bar = self.query_one("#progress", ProgressBar)
        if step.total:
            bar.update(total=step.total, progress=step.done)
        status = Text(f"Loading {clean(step.step)} {step.done}/{step.total}" if step.total else f"Loading {step.step}")
        if step.detail:
            status.append(" · ")
            status.append_text(safe_text(self.redactor.text(step.detail), 40))
        self._set_status(status)

    def on_main_screen_loaded(self, message: Loaded) -> None:
        self.is_loading = False
        if self._partial_timer is not None:
            self._partial_timer.stop()
            self._partial_timer = None
        self._partial = None
        self.inventory = message.inventory
        self._finish_progress()
        self._fill_subscriptions(message.inventory)
        table = self.query_one("#identities", VirtualTable)
        table.set_rows(message.rows)
        self._apply_filter()
        if self._selected_key:
            table.move_to_key(self._selected_key)
        # shown once here: the Highlighted message the new rows post for the same row must not draw them again
        self._selected_key = table.current.key if table.current else None
        self._cancel_details_timer()  # (a partial table's, not due yet)
        # the details and the footer's keys (a recompose) in a frame of their own, as for a partial table: drawn in
        # the same frame as the table, the subscriptions and the status, they made one block of ~0.1 s
        self._details_timer = self.set_timer(PARTIAL_DETAILS_DELAY_S, self._loaded_details_due)
        keep_out_of_collections()

    def _loaded_details_due(self) -> None:
        self._has_selection = None  # the keys' state changes with the load's end too: the footer recomposes once
        self._details_due()

    def _finish_progress(self) -> None:
        self.query_one("#progress", ProgressBar).display = False

    def _set_status(self, text: Text) -> None:
        # #status has a fixed size: no layout (a full reflow of the screen) for each keystroke's new count
        self.query_one("#status", Static).update(text, layout=False)

    def _summary_status(self) -> None:
        inventory = self.inventory
        if inventory is None:
            return
        table = self.query_one("#identities", VirtualTable)
        text = Text(f"{table.row_count} of {len(inventory.identities)} identities")
        if inventory.problems:
            text.append(f" · {len(inventory.problems)} problem(s): ", style="bold yellow")
            text.append_text(safe_text(self.redactor.text(inventory.problems[0]), 80, style="yellow"))
        self._set_status(text)

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

    def _fill_subscriptions(self, inventory: Inventory) -> None:
        self._subscriptions_of = inventory
        counts: dict[str, int] = {}
        known = {s.id.lower() for s in inventory.subscriptions}
        for identity in inventory.identities:
            key = (identity.subscription_id or "").lower()
            key = key if key in known else ""  # "": only Graph knows it (its subscription is not visible)
            counts[key] = counts.get(key, 0) + 1
        subscriptions = self.query_one("#subscriptions", OptionList)
        # one line per subscription, "All subscriptions", and "Not visible in ARM" when some identity is
        width = self._subscriptions_width(1 + len(inventory.subscriptions) + (1 if counts.get("") else 0))
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
        details.show(identity, self.inventory, cloud_name=self.session.cloud_name, redactor=self.redactor)
        if details.active == TAB_FEDERATED:
            self.load_federated()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == TAB_FEDERATED:
            self.load_federated()

    @work(exclusive=True, group="federated")
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
        from tui.services.filtering import parse_filter

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
        subscription = self.subscription_id
        identity_filter = self.identity_filter
        inventory = self.inventory
        known = {s.id.lower() for s in inventory.subscriptions} if inventory else set()
        # the table keeps each filter's rows by this key: a backspace finds them again, a letter typed further
        # tests only the rows of the filter before it (see narrows)
        key = (subscription, identity_filter, id(inventory))
        last, self._last_filter_key = self._last_filter_key, key
        within = last if last is not None and narrows(last, key) else None
        if subscription is None and identity_filter is None:
            table.set_filter(None)
        else:
            # priv: is answered from the row's pre-computed highest privilege (the same rule as the filter's
            # own, which would recompute it for every identity on every keystroke); the rest goes to the filter.
            wanted_priv: set[str] = set()
            rest = identity_filter
            if identity_filter is not None:
                wanted_priv = {v.lower() for k, v in identity_filter.qualifiers if k == "priv"}
                if wanted_priv:
                    rest = type(identity_filter)(
                        identity_filter.words, tuple(q for q in identity_filter.qualifiers if q[0] != "priv")
                    )
                if rest is not None and rest.is_empty:
                    rest = None
            # free words only (the common case while typing): a substring test on the row's pre-lowered text
            words = tuple(w.lower() for w in rest.words) if rest is not None and not rest.qualifiers else None
            matches_words = words_match(words) if words is not None else None
            if matches_words is not None and subscription is None and not wanted_priv:
                # the hot loop while typing: one short call per row
                table.set_filter(matches_words, key=key, within=within)
            else:

                def keep(row: Row) -> bool:
                    item: IdentityRow = row.data
                    identity = item.identity
                    if subscription is not None:
                        own = (identity.subscription_id or "").lower()
                        if subscription == GRAPH_ONLY:
                            if own in known:
                                return False
                        elif own != subscription:
                            return False
                    if wanted_priv and any((item.top or Privilege.NORMAL).value != p for p in wanted_priv):
                        return False
                    if matches_words is not None:
                        return matches_words(row)
                    return rest is None or rest.matches(identity, inventory)

                table.set_filter(keep, key=key, within=within)
        if not self.is_loading:
            self._summary_status()

    # --- actions ----------------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WRITE_ACTIONS:
            if self.session.read_only:
                return False  # hidden: read-only mode shows no write keys at all
            if self.selected_identity() is None or self.inventory is None:
                return None  # shown, disabled
        if action == "copy_id" and self.selected_identity() is None:
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
            box.value = ""
            box.display = False
            self.query_one("#filter-error", Static).display = False
            self.identity_filter = None
            self._apply_filter()
            table.focus()
        elif focused is table:
            self.query_one("#subscriptions", OptionList).focus()
        else:
            table.focus()

    def action_refresh(self) -> None:
        self.load()

    def action_app_roles(self) -> None:
        from tui.screens.app_roles import AppRolesScreen

        self.app.push_screen(AppRolesScreen(self.session))

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

    def action_remove(self) -> None:
        identity = self.selected_identity()
        if identity is None or self.session.read_only:
            return
        details = self.query_one(IdentityDetails)
        if details.active == TAB_ROLES and (assignment := details.selected_role_assignment()):
            self.run_plan(self.session.plan_role_removal(identity, assignment))
        elif details.active == TAB_APP_ROLES and (grant := details.selected_app_role_assignment()):
            self.run_plan(self.session.plan_app_role_revoke(identity, grant))
        else:
            self.app.say(  # type: ignore[attr-defined]
                "Select a role assignment in the Azure roles tab, or a grant in the App roles tab, then press delete.",
                "warning",
            )

    # --- write flows --------------------------------------------------------------------------------------------
    def _subscription_for(self, identity: ManagedIdentity) -> Subscription | None:
        inventory = self.inventory
        if inventory is None or not inventory.subscriptions:
            return None
        wanted = (identity.subscription_id or self.subscription_id or "").lower()
        for subscription in inventory.subscriptions:
            if subscription.id.lower() == wanted:
                return subscription
        return inventory.subscriptions[0]

    @work(group="flow")
    async def assign_role_flow(self, identity: ManagedIdentity) -> None:
        from tui.screens.assign_role import RolePickerScreen, ScopePickerScreen

        subscription = self._subscription_for(identity)
        if subscription is None:
            self.app.say("No subscription to assign a role in.", "warning")  # type: ignore[attr-defined]
            return
        role = await self.app.push_screen_wait(RolePickerScreen(self.session, identity, subscription))
        if role is None:
            return
        scope = await self.app.push_screen_wait(ScopePickerScreen(self.session, identity, subscription, role))
        if scope is None:
            return
        await self._confirm_and_apply(self.session.plan_role_assignment(identity, role, scope))

    @work(group="flow")
    async def grant_app_role_flow(self, identity: ManagedIdentity) -> None:
        from tui.screens.grant_app_role import AppRolePickerScreen

        picked = await self.app.push_screen_wait(AppRolePickerScreen(self.session, identity))
        if picked is None:
            return
        app, role = picked
        await self._confirm_and_apply(self.session.plan_app_role_grant(identity, app, role))

    @work(group="flow")
    async def run_plan(self, planning: Any) -> None:
        await self._confirm_and_apply(planning)

    async def _confirm_and_apply(self, planning: Any) -> None:
        from tui.screens.confirm import ConfirmScreen, plan_title

        say = self.app.say  # type: ignore[attr-defined]
        try:
            plan: Plan = await planning
        except MituiError as exc:
            self.app.show_error(exc)  # type: ignore[attr-defined]
            return
        confirmed = await self.app.push_screen_wait(ConfirmScreen(plan, self.redactor))
        if not confirmed:
            say("Cancelled: nothing was changed.", timeout=3)
            return
        try:
            change = await self.session.apply(plan)
        except MituiError as exc:
            self.app.show_error(exc)  # type: ignore[attr-defined]
            self.load()
            return
        title = plan_title(plan)
        if change.outcome == "applied":
            say(f"{title}: done — {plan.right_name}", title="Applied")
        elif change.outcome == "already-there":
            say(f"{title}: nothing to do — {change.message or 'already in place'}", title="No change")
        else:
            error = getattr(change, "error", None)
            if not isinstance(error, MituiError):
                error = MituiError(f"{title}: {change.outcome}", change.message or "Nothing was changed.")
            self.app.show_error(error)  # type: ignore[attr-defined]
        self.load()


def partial_delay(shown: bool, last_cost_s: float) -> float:
    """How long to wait before showing the next partial table: at once the first time, then every
    PARTIAL_EVERY_S, or less often when building the last one took more than a third of that."""
    if not shown:
        return PARTIAL_FIRST_S
    return max(PARTIAL_EVERY_S, PARTIAL_COST_FACTOR * last_cost_s)


def words_match(words: tuple[str, ...]) -> Callable[[Row], bool]:
    """A row filter: every (lowercase) word is in the row's search text."""
    if len(words) == 1:
        word = words[0]
        return lambda row: word in row.search
    return lambda row: all(w in row.search for w in words)


def narrows(before: tuple[Any, ...], after: tuple[Any, ...]) -> bool:
    """Whether every identity the filter ``after`` keeps is kept by ``before`` too (both are (subscription,
    IdentityFilter or None, inventory id), as MainScreen applies them): the same qualifiers and inventory, the same
    subscription or all of them before, and each word before inside a word after (words are substrings: a row
    holding ``func`` holds ``fun``)."""
    sub_before, filter_before, inventory_before = before
    sub_after, filter_after, inventory_after = after
    if inventory_before != inventory_after or sub_before not in (None, sub_after):
        return False
    if filter_before is None:
        return True
    if filter_after is None or sorted(filter_before.qualifiers) != sorted(filter_after.qualifiers):
        return False
    words_after = [w.lower() for w in filter_after.words]
    return all(any(w.lower() in after for after in words_after) for w in filter_before.words)


def subscription_options(
    subscriptions: list[Subscription], counts: dict[str, int], total: int, redactor: Redactor, width: int = 22
) -> list[Option]:
    """One line each: the name cut to fit, the identity count right-aligned."""

    def line(name: Text, count: int) -> Text:
        number = f" {count}"
        truncate(name, max(4, width - len(number)))
        name.append(" " * max(0, width - len(number) - name.cell_len))
        name.append(number, style="dim")
        return name

    options = [Option(line(Text("All subscriptions", style="bold"), total), id=ALL_SUBSCRIPTIONS)]
    for subscription in sorted(subscriptions, key=lambda s: s.display_name.lower()):
        name = safe_text(redactor.name(subscription.display_name) or redactor.id(subscription.id))
        if subscription.state and subscription.state != "Enabled":
            name.append(" (")
            name.append_text(safe_text(subscription.state, 12, style="italic"))
            name.append(")")
        options.append(Option(line(name, counts.get(subscription.id.lower(), 0)), id=subscription.id.lower()))
    unplaced = counts.get("", 0)
    if unplaced:
        options.append(Option(line(Text("Not visible in ARM", style="italic"), unplaced), id=GRAPH_ONLY))
    return options


__all__ = ["MainScreen", "identity_rows"]
