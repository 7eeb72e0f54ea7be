"""F1 / ?: every key of the screen underneath, read from its live bindings (so a remapped key shows as remapped)."""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from tui import version
from tui.widgets.safe_text import safe_text


def key_rows(app, screen: Screen) -> list[tuple[str, str, str, bool]]:  # type: ignore[no-untyped-def]
    """(key, what it does, binding id, enabled) for every described binding active on ``screen``."""
    by_action: dict[tuple[str, str], tuple[list[str], Binding, bool]] = {}
    # mitui's own keys (they all have ids) first, in the order the screen declares them; then the rest that
    # show in the footer. Textual's scrolling keys (no id, not shown) are left out: they are the usual ones.
    ordered = sorted(screen.active_bindings.items(), key=lambda item: 0 if item[1].binding.id else 1)
    for key, active in ordered:
        binding = active.binding
        if not binding.description or (not binding.id and not binding.show):
            continue
        shown = app.get_key_display(replace(binding, key=key, key_display=None))
        slot = (binding.description, binding.id or binding.action)
        if slot in by_action:
            by_action[slot][0].append(shown)
        else:
            by_action[slot] = ([shown], binding, active.enabled)
    rows = [
        (" / ".join(keys), binding.tooltip or binding.description, binding.id or "", enabled)
        for keys, binding, enabled in by_action.values()
    ]
    rows.append(("ctrl+p", "Command palette: every action by name", "", True))
    rows.append(("tab / shift+tab", "Next / previous pane", "", True))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,question_mark", "close", "Close help", id="help-close")]

    def __init__(self, screen: Screen) -> None:
        super().__init__(classes="dialog-screen")
        self.rows = key_rows(screen.app, screen)
        self.screen_title = type(screen).__name__.removesuffix("Screen") or "Screen"

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            title = Text(f"Keys — {self.screen_title}", style="bold")
            title.append(f"   mitui {version()}", style="dim")  # for bug reports: which mitui this is
            yield Static(title, classes="dialog-title")
            table: DataTable[Text] = DataTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            inner = min(110, int(self.app.size.width * 0.9)) - 14  # borders, padding, cell padding, scrollbar
            table.add_column("Key", key="key", width=14)
            table.add_column("Does", key="does", width=max(20, min(70, inner - 14 - 22)))
            table.add_column("Binding id", key="id", width=22)  # ("grant-directory-role")
            for key, does, binding_id, enabled in self.rows:
                style = "" if enabled else "dim"
                table.add_row(Text(key, style="bold " + style), safe_text(does, style=style), Text(binding_id, "dim"))
            yield table
            config = getattr(self.app, "config", None)
            path = getattr(config, "path", None)
            note = Text('Remap keys under [keymap] as  binding-id = "key"  in the config file:\n', style="dim")
            note.append_text(safe_text(str(path) if path else "(none)", style="dim"))
            yield Static(note, id="help-config")

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)
