"""Grant a Microsoft Entra directory role: a searchable list of the directory roles (name, privilege, description),
why the highlighted one has its level under it."""

from __future__ import annotations

from rich.text import Text

from tui.screens.picker import PickerScreen
from tui.services.models import DirectoryRoleDefinition, ManagedIdentity
from tui.widgets.badges import privilege_badge, privilege_why
from tui.widgets.safe_text import Redactor, safe_text
from tui.widgets.virtual_table import Column, Row

DIRECTORY_ROLE_COLUMNS = (
    Column("role", "Directory role", 24, flex=1),
    Column("privilege", "Privilege", 10),
    Column("type", "Type", 7, drop=2),
    Column("description", "Description", 20, flex=2, drop=1),
)


def directory_role_rows(roles: list[DirectoryRoleDefinition]) -> list[Row]:
    return [
        Row(
            key=role.id.lower(),
            cells=(
                safe_text(role.display_name or role.id),
                privilege_badge(role.privilege),
                Text("builtin" if role.is_built_in else "custom", style="dim"),
                safe_text(role.description),
            ),
            search=f"{role.display_name} {role.description} {role.privilege.value} {role.id}".lower(),
            data=role,
        )
        for role in roles
    ]


class DirectoryRolePickerScreen(PickerScreen[DirectoryRoleDefinition]):
    COLUMNS = DIRECTORY_ROLE_COLUMNS
    PLACEHOLDER = "search directory roles by name, description or privilege (e.g. global, exchange, critical)"

    def __init__(
        self, identity: ManagedIdentity, roles: list[DirectoryRoleDefinition], redactor: Redactor | None = None
    ) -> None:
        redactor = redactor or Redactor()
        title = Text("Grant directory role", style="bold")
        title.append(" → ")
        title.append_text(safe_text(redactor.name(identity.name), 50, style="bold"))
        title.append("  (tenant-wide)", style="dim")
        super().__init__(title, redactor)
        self.identity = identity
        self.roles = roles

    def on_mount(self) -> None:
        super().on_mount()
        self.set_items(directory_role_rows(self.roles), empty_text="No directory roles were read.")

    def why(self, item: DirectoryRoleDefinition) -> Text:
        return privilege_why(item.privilege, item.privilege_reason)
