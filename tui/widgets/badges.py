"""Small pieces of styled text: the privilege badge, the mode badge, yes/no marks."""

from __future__ import annotations

from rich.text import Text

from tui.services.models import Privilege

_PRIVILEGE_STYLE = {
    Privilege.CRITICAL: "bold white on red",
    Privilege.HIGH: "bold black on yellow",
    Privilege.NORMAL: "dim",
}
_PRIVILEGE_LABEL = {Privilege.CRITICAL: "CRITICAL", Privilege.HIGH: "HIGH", Privilege.NORMAL: "normal"}


def privilege_badge(privilege: Privilege | str | None, short: bool = False) -> Text:
    """``CRITICAL`` (red), ``HIGH`` (yellow) or a dim ``normal``; empty for None."""
    if privilege is None:
        return Text("")
    value = Privilege(privilege)
    label = _PRIVILEGE_LABEL[value]
    if short:
        label = {"CRITICAL": "CRIT", "HIGH": "HIGH", "normal": "-"}[label]
    if value is Privilege.NORMAL:
        return Text(label, style=_PRIVILEGE_STYLE[value])
    return Text(f" {label} ", style=_PRIVILEGE_STYLE[value])


def yes_no(value: bool) -> Text:
    return Text("yes" if value else "no", style="" if value else "dim")
