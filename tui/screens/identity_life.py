"""The identity's life (issue #15): a menu of what can be done to the selected identity (turn a system-assigned
identity on or off, attach and detach user-assigned identities, add and remove federated credentials, create and
delete user-assigned identities), and a small form for what a change needs typed in. The plan, its confirmation and
the write are the main screen's flow (tui.screens.main.life_flows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from tui.screens.picker import PickerScreen
from tui.services.backend import ArmResource
from tui.services.models import ManagedIdentity
from tui.services.scopes import resource_group_of
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import Column, Row


@dataclass(frozen=True)
class LifeAction:
    """One thing the menu offers: ``kind`` says which flow, ``target`` what it acts on (a resource id, a credential
    name, ...), ``label`` and ``detail`` what the admin reads."""

    kind: str
    label: str
    detail: str = ""
    target: str = ""


ACTION_COLUMNS = (
    Column("action", "Action", 34, flex=1),
    Column("detail", "On", 24, flex=2, drop=1),
)


def action_rows(actions: Sequence[LifeAction], redactor: Redactor) -> list[Row]:
    return [
        Row(
            key=f"{i}:{a.kind}",
            cells=(safe_text(a.label), safe_text(redactor.text(a.detail), style="dim")),
            search=f"{a.label} {a.detail}".lower(),
            data=a,
        )
        for i, a in enumerate(actions)
    ]


class LifeActionsScreen(PickerScreen[LifeAction]):
    COLUMNS = ACTION_COLUMNS
    PLACEHOLDER = "search: turn on, turn off, attach, detach, federated, create, delete"

    def __init__(
        self, identity: ManagedIdentity | None, actions: Sequence[LifeAction], redactor: Redactor | None = None
    ) -> None:
        redactor = redactor or Redactor()
        title = Text("Identity", style="bold")
        if identity is not None:
            title.append(" → ")
            title.append_text(safe_text(redactor.name(identity.name), 50, style="bold"))
            title.append(f"  ({identity.kind.value})", style="dim")
        super().__init__(title, redactor)
        self.actions = list(actions)

    def on_mount(self) -> None:
        super().on_mount()
        self.set_items(action_rows(self.actions, self.redactor), empty_text="Nothing to do here.")


RESOURCE_COLUMNS = (
    Column("name", "Resource", 24, flex=1),
    Column("type", "Type", 24, flex=1, drop=2),
    Column("group", "Resource group", 16, flex=1, drop=1),
    Column("identity", "Identity", 18),
)


def identity_state(res: ArmResource) -> str:
    parts = ["system-assigned"] if res.system_principal_id else []
    if res.user_assigned:
        parts.append(f"{len(res.user_assigned)} user-assigned")
    return ", ".join(parts) or "none"


class ResourcePickerScreen(PickerScreen[ArmResource]):
    """The subscription's resources (name, type, group, identities now), loaded by the caller; enter picks one."""

    COLUMNS = RESOURCE_COLUMNS
    PLACEHOLDER = "search resources by name, type or group"

    def __init__(self, title: Text, resources: Sequence[ArmResource], redactor: Redactor | None = None) -> None:
        super().__init__(title, redactor)
        self.resources = list(resources)

    def on_mount(self) -> None:
        super().on_mount()
        name = self.redactor.name
        rows = [
            Row(
                key=r.id.lower(),
                cells=(
                    safe_text(name(r.name)),
                    safe_text(r.type, style="dim"),
                    safe_text(name(resource_group_of(r.id) or "")),
                    Text(identity_state(r), style="dim"),
                ),
                search=f"{name(r.name)} {r.type} {name(resource_group_of(r.id) or '')}".lower(),
                data=r,
            )
            for r in self.resources
        ]
        self.set_items(rows, empty_text="No resource here can carry an identity.")


@dataclass(frozen=True)
class Field:
    id: str  # the key of the answer
    label: str
    placeholder: str = ""
    value: str = ""


class FormScreen(ModalScreen[dict[str, str] | None]):
    """Labelled text fields; enter in the last field (or OK) returns {field id: text}, escape returns None. The
    answers are checked by the service layer (a bad one is an error naming it, and nothing is sent)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="form-cancel")]

    def __init__(self, title: str, fields: Sequence[Field], note: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.fields = list(fields)
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(id="form-dialog", classes="dialog"):
            yield Static(safe_text(self.title_text, style="bold"), classes="dialog-title", id="form-title")
            for field in self.fields:
                with Horizontal(classes="form-row"):
                    yield Label(field.label, classes="form-label")
                    yield Input(value=field.value, placeholder=field.placeholder, id=f"form-{field.id}")
            if self.note:
                yield Static(safe_text(self.note, style="dim"), id="form-note")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="form-cancel")
                yield Button("Next", id="form-ok", variant="primary")

    def on_mount(self) -> None:
        first = next((f for f in self.fields if not f.value), self.fields[0] if self.fields else None)
        if first is not None:
            self.query_one(f"#form-{first.id}", Input).focus()

    def answers(self) -> dict[str, str]:
        return {f.id: self.query_one(f"#form-{f.id}", Input).value for f in self.fields}

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        ids = [f"form-{f.id}" for f in self.fields]
        if event.input.id == ids[-1]:
            self.dismiss(self.answers())
        elif event.input.id in ids:
            self.query_one(f"#{ids[ids.index(event.input.id) + 1]}", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self.answers() if event.button.id == "form-ok" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
