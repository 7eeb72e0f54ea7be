"""Loading the inventory on the main screen, and the partial tables shown while it arrives.

The timings are deliberate (see the git log of tui/screens/main.py before the package): the load starts once the
screen is drawn; partial tables come at most every PARTIAL_EVERY_S and take at most a third of the time; the
details and the footer's keys are drawn in a frame after the table's; the collector stays relaxed until what the
table keeps is frozen.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.css.query import NoMatches
from textual.message import Message
from textual.timer import Timer
from textual.widgets import ProgressBar, Static
from textual.worker import get_current_worker

from tui import runtime
from tui.screens.main.rows import identity_rows, recounted_rows
from tui.services.errors import MituiError
from tui.services.models import Inventory, Progress
from tui.services.offload import off_loop, off_loop_first
from tui.services.plans import Change, Plan
from tui.services.refresh import changed_rights, changes_note
from tui.services.session import RETRYING, WAITING
from tui.services.usage import UsageReport
from tui.widgets.details import IdentityDetails
from tui.widgets.safe_text import Redactor, clean, safe_text
from tui.widgets.virtual_table import Row, VirtualTable

if TYPE_CHECKING:
    from tui.services.session import Session

PARTIAL_EVERY_S = 0.5  # while loading, what has arrived is shown at most this often (each costs a pass over the rows)
PARTIAL_COST_FACTOR = 3  # ... and at most a third of the time goes to it (its rows share the CPU worker with the load)
PARTIAL_FIRST_S = 0.01  # the first time (the identities are known): at once
PARTIAL_DETAILS_DELAY_S = 0.02  # while loading, a new selection's details are drawn this long after the table
LOAD_START_WAIT_S = 0.5  # the load starts once the details are drawn, or after this long at most


def _rows_and_roles(inventory: Inventory, shown: list[Row]) -> tuple[list[Row], int]:
    """(In the CPU worker) a partial table's rows, and the rights they count (summed on the loop, a pass over 40,000
    rows was a stall of its own)."""
    rows = identity_rows(inventory, False, None, shown)
    return rows, sum(row.data.roles for row in rows)


def partial_delay(shown: bool, last_cost_s: float) -> float:
    """How long to wait before showing the next partial table: at once the first time, then every
    PARTIAL_EVERY_S, or less often when building the last one took more than a third of that."""
    if not shown:
        return PARTIAL_FIRST_S
    return max(PARTIAL_EVERY_S, PARTIAL_COST_FACTOR * last_cost_s)


class InventoryLoading:
    """The main screen's loading: a mixin of MainScreen (tui.screens.main.screen), which provides the panes it
    fills (the table, the subscriptions, the details) and the filter it applies."""

    session: Session
    inventory: Inventory | None
    is_loading: bool
    redactor: Redactor
    _load_generation: int
    _load_note: str
    usage_progress_shown: list[tuple[int, int]]
    _partial: Inventory | None
    # after a change: the inventory with the change read back, until every row's privilege is computed again and it
    # becomes ``inventory`` (a second change meanwhile builds on it, not on ``inventory``)
    _refreshed: Inventory | None = None
    _partial_timer: Timer | None
    _partial_cost_s: float
    _selected_key: str | None
    _details_timer: Timer | None
    _has_selection: bool | None
    partials_shown: list[tuple[int, int]]
    retries_shown: list[str]
    waits_shown: list[str]
    # MainScreen's (and Screen's)
    _fill_subscriptions: Callable[..., None]
    _apply_filter: Callable[[], None]
    _details_due: Callable[[], None]
    _cancel_details_timer: Callable[[], None]
    query_one: Any
    post_message: Any
    wait_for_refresh: Any
    set_timer: Any
    app: Any

    class Loaded(Message, namespace="main_screen"):
        def __init__(self, inventory: Inventory, rows: list[Row], note: str = "") -> None:
            super().__init__()
            self.inventory = inventory
            self.rows = rows
            self.note = note  # said after the summary (a re-read: what it read and what changed)

    class Answered(Message, namespace="main_screen"):
        """The service answered a write (a provisional Change, before the write reads it back)."""

        def __init__(self, change: Change) -> None:
            super().__init__()
            self.change = change

    class PartialShown(Message, namespace="main_screen"):
        """The table shows what has arrived so far, before the load has finished."""

        def __init__(self, rows: int, roles: int) -> None:
            super().__init__()
            self.rows = rows
            self.roles = roles

    class LoadProgress(Message, namespace="main_screen"):
        def __init__(self, progress: Progress) -> None:
            super().__init__()
            self.progress = progress

    @work(group="inventory-start", description="load_once_drawn")
    async def load_once_drawn(self) -> None:
        """Start the load once the screen is drawn, details pane included: started with it, the load's first
        burst (a TLS handshake and a request per connection, the first answers) shared the CPU with the screen's
        first layouts and paints, and the screen froze for a tenth of a second or more."""
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.query_one(IdentityDetails).painted.wait(), LOAD_START_WAIT_S)
        self.load()

    @work(exclusive=True, group="inventory", description="load")
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

        # a refresh keeps the complete table in view until the new one is ready (partial counts would drop), then
        # marks what changed
        before = self.inventory
        on_partial = partial if before is None else None
        # The collector stays relaxed (as during the load itself) until what the table keeps is frozen: restored
        # at the end of the load, its first pass over the older generation walked everything the load had made
        # (0.3 s at 40 000 identities, while the rows were being built).
        with runtime.relaxed_gc():
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
            changes = await off_loop(changed_rights, before, inventory) if before is not None else None
            shown = list(self.query_one("#identities", VirtualTable).rows)
            rows = await off_loop(identity_rows, inventory, True, changes, shown)
            # out of full collections: one walked the inventory and its rows (250-400 ms at 10 000 identities)
            runtime.freeze_kept()
        note = f"reloaded: {changes_note(changes)}" if changes is not None else ""
        self.post_message(self.Loaded(inventory, rows, note))

    @work(exclusive=True, group="inventory", description="reread")
    async def reread(self, plans: Sequence[Plan], changes: Sequence[Change] = ()) -> None:
        """After a change: read again only what ``plans`` touched (a request or two, none for a role assignment the
        write read back) and show it, the cursor and the filter kept; a full load when that read fails or no
        inventory is shown yet."""
        inventory = self._refreshed or self.inventory
        if inventory is None or self.is_loading or any(p.action.is_lifecycle for p in plans):
            self.load()  # (an identity that appeared, went or changed hands: everything joins differently)
            return
        # no full collection of the garbage until every row is made again (one walked the heap for ~0.1 s between
        # the write's answer and its row; another amid 10 000 new rows stalled the loop as long)
        with runtime.relaxed_gc():
            await self._reread(inventory, plans, changes)

    async def _reread(self, inventory: Inventory, plans: Sequence[Plan], changes: Sequence[Change]) -> None:
        self._set_status(Text("Reading the change back…"))
        try:
            reread = await self.session.reread_after(inventory, plans, changes)
        except MituiError:
            self.load()
            return
        if get_current_worker().is_cancelled:
            return
        n = reread.requests
        how = f"read back in {n} request{'s' if n != 1 else ''}" if n else "read back with the write itself"
        note = f"{how}: {changes_note(reread.changes)} · r reloads everything"
        # the touched rows at once (their counts: what was read back), then every row's privilege again (a pass over
        # every identity's escalation paths, a second or more at 10 000 identities, in the CPU worker) once they
        # are on screen
        self._refreshed = reread.inventory
        self._show_touched(reread.inventory, {p.identity.principal_id.lower() for p in plans}, reread.changes)
        self._summary_status(note)
        await self.wait_for_refresh()
        shown = list(self.query_one("#identities", VirtualTable).rows)
        rows = await off_loop(identity_rows, reread.inventory, True, reread.changes, shown)
        if get_current_worker().is_cancelled:
            return
        self.post_message(self.Loaded(reread.inventory, rows, note))

    def write_answered(self, change: Change) -> None:
        """Session.apply's ``landed``: the service answered the write. Called in the write's own task; the row is
        updated in the screen's turn, while the write reads it back."""
        self.post_message(self.Answered(change))

    def on_main_screen_answered(self, message: Answered) -> None:
        """The touched row from the service's own answer to the write, at once (no request, no pass over the other
        rows); the refresh after the write confirms it from the read-back (or corrects it)."""
        inventory = self._refreshed or self.inventory
        if inventory is None or self.is_loading:
            return
        answered = self.session.answered(inventory, message.change)
        if answered is None:
            return
        self._show_touched(answered.inventory, {message.change.plan.identity.principal_id.lower()}, answered.changes)

    def _show_touched(self, inventory: Inventory, touched: set[str], changes: dict[str, tuple[int, int]]) -> None:
        """The rows of the ``touched`` identities counting their rights in ``inventory``, marked with ``changes``:
        only those rows are replaced and repainted."""
        table = self.query_one("#identities", VirtualTable)
        rows = [row for key in sorted(touched) if (row := table.row_of(key)) is not None]
        table.replace_rows(recounted_rows(rows, inventory, changes))

    @work(exclusive=True, group="partial", description="show_partial")
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
        shown = list(self.query_one("#identities", VirtualTable).rows)
        rows, roles = await off_loop_first(_rows_and_roles, inventory, shown)
        # (40 000 rows take ~0.6 s: every 0.5 s they would keep the CPU worker from the pages the load waits for)
        self._partial_cost_s = time.perf_counter() - started
        if generation != self._load_generation or not self.is_loading:
            return  # the complete inventory arrived meanwhile
        self._fill_subscriptions(inventory, partial=True)
        self.query_one("#identities", VirtualTable).set_rows(rows)
        self._apply_filter()
        runtime.freeze_kept()
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
        if step.step == WAITING:  # reads wait for a quota to come back (Resource Graph's): say so
            self.waits_shown.append(step.detail)
            status = Text("Waiting: ", style="bold yellow")
            status.append_text(safe_text(step.detail, 80))
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
        self._refreshed = None
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
        self._load_note = message.note
        if message.note:
            self._summary_status(message.note)
        runtime.freeze_kept()
        self.read_usage(message.inventory)

    def _usage(self) -> UsageReport | None:
        usage = self.inventory.usage if self.inventory is not None else None
        return usage if isinstance(usage, UsageReport) else None

    @work(exclusive=True, group="usage", description="read_usage")
    async def read_usage(self, inventory: Inventory) -> None:
        """The Last used column (and the ``used:`` filter), after the load: sign-in activity and the Activity Log
        (cached on disk, read again only for what is newer). A source that cannot be read shows ``?``."""
        from tui.services.usage import ActivityCache, usage_of

        def progress(done: int, total: int) -> None:  # (on the event loop: the reads are awaited here)
            self.usage_progress_shown.append((done, total))
            if inventory is self.inventory and not self.is_loading:
                self._usage_status(f"last use: Activity Log {done}/{total} subscriptions…")

        self._usage_status("last use: reading…")
        try:
            report = await usage_of(
                inventory, self.session.backend, cache=ActivityCache(ActivityCache.default_dir()), progress=progress
            )
        except MituiError:
            self._usage_status("")
            return
        if inventory is not self.inventory:
            return  # a newer load came meanwhile
        self._usage_status("")
        inventory.usage = report
        runtime.freeze_kept()  # (the report, kept with the inventory: out of full collections, as the inventory is)
        try:
            table = self.query_one("#identities", VirtualTable)
        except NoMatches:  # the screen is being composed again (its keys' state changed): its rows are made anew
            return
        for row in table.rows:
            row.cells = ()  # made again, with the usage
        table.set_rows(list(table.rows))  # (the filter stays; its cached results go)
        used = self.identity_filter is not None and any(k == "used" for k, _ in self.identity_filter.qualifiers)
        if used:  # the rows it keeps change: count them again (else the load's note stays on the status line)
            self._apply_filter()

    def _usage_status(self, reading: str) -> None:
        """The status line while the usage is read: the summary, the load's note, how far the reading is."""
        if self.inventory is None or self.is_loading:
            return
        with contextlib.suppress(NoMatches):  # (the screen is being composed again)
            self._summary_status(" · ".join(n for n in (self._load_note, reading) if n))

    def _loaded_details_due(self) -> None:
        self._has_selection = None  # the keys' state changes with the load's end too: the footer recomposes once
        self._details_due()

    def _finish_progress(self) -> None:
        self.query_one("#progress", ProgressBar).display = False

    def _set_status(self, text: Text) -> None:
        # #status has a fixed size: no layout (a full reflow of the screen) for each keystroke's new count
        self.query_one("#status", Static).update(text, layout=False)

    def _summary_status(self, note: str = "") -> None:
        inventory = self.inventory
        if inventory is None:
            return
        table = self.query_one("#identities", VirtualTable)
        text = Text(f"{table.row_count} of {len(inventory.identities)} identities")
        if note:
            text.append(f" · {note}", style="green")
        if inventory.problems:
            text.append(f" · {len(inventory.problems)} problem(s): ", style="bold yellow")
            text.append_text(safe_text(self.redactor.text(inventory.problems[0]), 80, style="yellow"))
        self._set_status(text)
