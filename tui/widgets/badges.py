"""Small pieces of styled text: the privilege badge, the mode badge, yes/no marks."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from tui.services.filtering import parse_time
from tui.services.models import Privilege, Via
from tui.widgets.safe_text import safe_text

_PRIVILEGE_STYLE = {
    Privilege.CRITICAL: "bold white on red",
    Privilege.HIGH: "bold black on yellow",
    Privilege.NORMAL: "dim",
}
_PRIVILEGE_LABEL = {Privilege.CRITICAL: "CRITICAL", Privilege.HIGH: "HIGH", Privilege.NORMAL: "normal"}


def privilege_badge(privilege: Privilege | str | None, short: bool = False, escalated: bool = False) -> Text:
    """``CRITICAL`` (red), ``HIGH`` (yellow) or a dim ``normal``; empty for None. ``escalated``: the level is reached
    through identities one can act as, not held directly (a trailing arrow)."""
    if privilege is None:
        return Text("")
    value = Privilege(privilege)
    label = _PRIVILEGE_LABEL[value]
    if short:
        label = {"CRITICAL": "CRIT", "HIGH": "HIGH", "normal": "-"}[label]
    if value is Privilege.NORMAL:
        return Text(label, style=_PRIVILEGE_STYLE[value])
    badge = Text(f" {label} ", style=_PRIVILEGE_STYLE[value])
    if escalated:
        badge.append("↑")
    return badge


def privilege_why(value: Privilege, reason: str) -> Text:
    """The badge and why the right has it (the reason comes from our own rules, but it names actions and
    permissions read from Azure: shown literally)."""
    out = Text()
    out.append_text(privilege_badge(value))  # (the badge's style is its own, not the reason's)
    out.append(" ")
    out.append_text(safe_text(reason or "no reason recorded", style="dim"))
    return out


def via_text(via: Via | None) -> Text:
    """``group <name>`` for a right held through a group (the name is Azure's: literal), a dim ``direct`` else."""
    if via is None:
        return Text("direct", style="dim")
    out = Text("group ", style="dim")
    out.append_text(safe_text(via.group_name or via.group_id, 40))
    return out


def created_ago(created_on: str | None, now: datetime | None = None) -> Text:
    """When a right was created, in calendar days before today (UTC): ``today``, ``3d ago``, ``5mo ago``, ``2y ago``;
    a dim ``—`` when unknown. Whole days, so the same right reads the same all day long."""
    when = parse_time(created_on)
    if when is None:
        return Text("—", style="dim")
    days = ((now or datetime.now(UTC)).astimezone(UTC).date() - when.astimezone(UTC).date()).days
    if days <= 0:
        return Text("today", style="bold")
    if days < 60:
        return Text(f"{days}d ago", style="bold" if days <= 7 else "")
    if days < 730:
        return Text(f"{days // 30}mo ago", style="dim")
    return Text(f"{days // 365}y ago", style="dim")


def created_at(created_on: str | None) -> str:
    """The absolute time of ``created_on`` (UTC, to the minute), or "" when unknown."""
    when = parse_time(created_on)
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if when is not None else ""


def yes_no(value: bool) -> Text:
    return Text("yes" if value else "no", style="" if value else "dim")
