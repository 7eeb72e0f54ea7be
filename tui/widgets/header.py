"""The top line: who is signed in where, and whether mitui may change anything (DEMO / READ-ONLY / WRITE)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.widgets.safe_text import Redactor, safe_text


class SessionHeader(Static):
    """``mitui │ AzureCloud │ tenant … │ admin@contoso │ DEMO WRITE`` — every part from Azure shown literally."""

    DEFAULT_CSS = """
    SessionHeader {
        dock: top;
        height: 1;
        background: $panel;
        color: $foreground;
        padding: 0 1;
    }
    """

    def show(
        self,
        *,
        cloud: str = "",
        tenant: str = "",
        principal: str = "",
        demo: bool = False,
        read_only: bool | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        redactor = redactor or Redactor()
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append("mitui ", style="bold")
        # The mode comes first so it is visible at any width.
        if demo:
            line.append(" DEMO ", style="bold black on magenta")
            line.append(" ")
        if read_only is not None:
            if read_only:
                line.append(" READ-ONLY ", style="bold black on green")
            else:
                line.append(" WRITE ", style="bold white on dark_red")
        separator = Text(" │ ", style="dim")
        if cloud:
            line.append_text(separator)
            line.append_text(safe_text(cloud, 24))
        if tenant:
            line.append_text(separator)
            line.append("tenant ", style="dim")
            line.append_text(safe_text(redactor.id(tenant), 36))
        if principal:
            line.append_text(separator)
            line.append_text(safe_text(redactor.name(principal), 40))
        self.update(line, layout=False)  # one docked line: its size never depends on the text
