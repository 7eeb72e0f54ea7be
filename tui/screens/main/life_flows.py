"""The main screen's identity lifecycle flows (issue #15): menu → form → Plan → confirmation → apply → load again.

Each menu entry names what it acts on; what has to be typed (a resource id, a name, a federated credential's issuer
and subject) is asked in a form and checked by the service layer before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding

from tui.screens.identity_life import Field, FormScreen, LifeAction, LifeActionsScreen
from tui.screens.main.flows import confirm_and_apply
from tui.services import lifecycle_rules as rules
from tui.services.backend import ArmResource
from tui.services.errors import MituiError
from tui.services.models import IdentityKind, Inventory, ManagedIdentity
from tui.widgets.safe_text import Redactor

if TYPE_CHECKING:
    from tui.screens.main.screen import MainScreen

LIFE_BINDINGS = [
    Binding(
        "m",
        "manage_identity",
        "Identity",
        id="manage-identity",
        show=False,  # (F1 and the palette list it; the footer keeps room for the rights)
        tooltip="The identity's life: turn a system-assigned identity on or off, attach / detach a user-assigned "
        "identity, add / remove federated credentials, delete a user-assigned identity",
    ),
    Binding(
        "n",
        "new_identity",
        "New identity",
        id="new-identity",
        show=False,  # (F1 and the palette list it)
        tooltip="Create a user-assigned identity (subscription, resource group, region, name, tags)",
    ),
]


def _short(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def _has_system_identity(inventory: Inventory | None, resource_id: str) -> bool:
    key = resource_id.lower()
    return inventory is not None and any(
        i.kind is IdentityKind.SYSTEM and i.resource_id.lower() == key for i in inventory.identities
    )


def user_identities_on(inventory: Inventory | None, resource_id: str) -> list[ManagedIdentity]:
    key = resource_id.lower()
    if inventory is None:
        return []
    return [i for i in inventory.identities if i.kind is IdentityKind.USER and key in (u.lower() for u in i.used_by)]


def life_actions(
    identity: ManagedIdentity,
    inventory: Inventory | None,
    credentials: list[Any] | None,
    redactor: Redactor | None = None,
) -> list[LifeAction]:
    """What can be done to ``identity`` (and around it), in the admin's words (names masked with ``redactor``)."""
    out: list[LifeAction] = []
    name = (redactor or Redactor()).name
    if identity.kind is IdentityKind.SYSTEM:
        rid = identity.resource_id
        out.append(LifeAction("disable-system", "Turn off system-assigned identity", name(_short(rid)), rid))
        out.append(LifeAction("attach-to-resource", "Attach a user-assigned identity", name(_short(rid)), rid))
        for uami in user_identities_on(inventory, rid):
            out.append(
                LifeAction("detach", f"Detach {name(uami.name)}", name(_short(rid)), f"{rid}\n{uami.principal_id}")
            )
    else:
        out.append(LifeAction("fic-github", "Add federated credential: GitHub Actions", name(identity.name)))
        out.append(LifeAction("fic-kubernetes", "Add federated credential: Kubernetes", name(identity.name)))
        out.append(LifeAction("fic-other", "Add federated credential: other issuer", name(identity.name)))
        for c in credentials or []:
            out.append(LifeAction("fic-remove", f"Remove federated credential {name(c.name)}", name(c.subject), c.name))
        out.append(LifeAction("attach-identity", "Attach to a resource…", name(identity.name)))
        for rid in identity.used_by:
            if rid.lower() == identity.resource_id.lower():
                continue
            out.append(LifeAction("detach-identity", "Detach from resource", name(_short(rid)), rid))
            if not _has_system_identity(inventory, rid):
                out.append(LifeAction("enable-system", "Turn on system-assigned identity", name(_short(rid)), rid))
        out.append(LifeAction("delete", "Delete this user-assigned identity", name(identity.name)))
    out.append(LifeAction("enable-system-other", "Turn on system-assigned identity of a resource…"))
    out.append(LifeAction("create", "Create a user-assigned identity…"))
    return out


async def manage(screen: MainScreen, identity: ManagedIdentity) -> None:
    app = screen.app
    credentials = None
    if identity.kind is IdentityKind.USER:
        try:
            credentials = await screen.session.federated_credentials(identity)
        except MituiError as exc:
            app.show_error(exc)  # type: ignore[attr-defined]
            return
    actions = life_actions(identity, screen.inventory, credentials, screen.redactor)
    chosen: LifeAction | None = await app.push_screen_wait(LifeActionsScreen(identity, actions, screen.redactor))
    if chosen is not None:
        await run_action(screen, identity, chosen)


async def run_action(screen: MainScreen, identity: ManagedIdentity, action: LifeAction) -> None:
    session, inventory = screen.session, screen.inventory
    kind = action.kind
    if kind == "create":
        await create(screen, identity)
    elif kind == "delete":
        await confirm_and_apply(screen, session.plan_delete_user_identity(identity, inventory))
    elif kind in ("disable-system", "enable-system"):
        await confirm_and_apply(screen, session.plan_system_identity(action.target, kind == "enable-system", inventory))
    elif kind == "enable-system-other":
        rid = await _pick_resource(
            screen, identity, "Turn on the system-assigned identity of", lambda r: not r.system_principal_id
        )
        if rid:
            await confirm_and_apply(screen, session.plan_system_identity(rid, True, inventory))
    elif kind == "attach-identity":
        uid = identity.resource_id.lower()
        rid = await _pick_resource(
            screen,
            identity,
            f"Attach {screen.redactor.name(identity.name)} to",
            lambda r: uid not in _lower(r.user_assigned),
        )
        if rid:
            await confirm_and_apply(screen, session.plan_attach_user_identity(rid, identity, inventory))
    elif kind == "attach-to-resource":
        uami = await _pick_user_identity(screen, inventory)
        if uami is not None:
            await confirm_and_apply(screen, session.plan_attach_user_identity(action.target, uami, inventory))
    elif kind == "detach-identity":
        await confirm_and_apply(screen, session.plan_detach_user_identity(action.target, identity))
    elif kind == "detach":
        rid, principal = action.target.split("\n", 1)
        uami = next((i for i in user_identities_on(inventory, rid) if i.principal_id == principal), None)
        if uami is not None:
            await confirm_and_apply(screen, session.plan_detach_user_identity(rid, uami))
    elif kind == "fic-remove":
        await confirm_and_apply(screen, session.plan_remove_federated_credential(identity, action.target))
    elif kind.startswith("fic-"):
        await add_federated_credential(screen, identity, kind)


def _lower(ids: Any) -> set[str]:
    return {i.lower() for i in ids}


async def _pick_resource(
    screen: MainScreen, identity: ManagedIdentity, verb: str, wanted: Callable[[ArmResource], bool]
) -> str | None:
    """A resource of the identity's subscription (or the one chosen in the pane) picked from a list of those
    ``wanted``; None when cancelled or unreadable (the error is shown)."""
    from rich.text import Text

    from tui.screens.identity_life import ResourcePickerScreen

    subscription = identity.subscription_id or screen.subscription_id
    if not subscription and screen.inventory is not None and screen.inventory.subscriptions:
        subscription = screen.inventory.subscriptions[0].id
    try:
        resources = [r for r in await screen.session.resources_for_identities(subscription or "") if wanted(r)]
    except MituiError as exc:
        screen.app.show_error(exc)  # type: ignore[attr-defined]
        return None
    title = Text(verb + " …", style="bold")
    picked = await screen.app.push_screen_wait(ResourcePickerScreen(title, resources, screen.redactor))
    return picked.id if picked is not None else None


async def _form(screen: MainScreen, title: str, fields: list[Field], note: str = "") -> dict[str, str] | None:
    return await screen.app.push_screen_wait(FormScreen(title, fields, note))


async def _pick_user_identity(screen: MainScreen, inventory: Inventory | None) -> ManagedIdentity | None:
    if inventory is None:
        return None
    users = [i for i in inventory.identities if i.kind is IdentityKind.USER]
    name = screen.redactor.name
    actions = [LifeAction("pick", name(i.name), name(i.resource_group or ""), i.principal_id) for i in users]
    picked = await screen.app.push_screen_wait(LifeActionsScreen(None, actions, screen.redactor))
    if picked is None:
        return None
    return next((i for i in users if i.principal_id == picked.target), None)


def subscription_id_of(inventory: Inventory | None, text: str) -> str:
    """The id of the subscription named ``text`` (its display name, any case), else ``text`` as typed."""
    wanted = text.strip().lower()
    for sub in inventory.subscriptions if inventory is not None else []:
        if sub.display_name.strip().lower() == wanted:
            return sub.id
    return text.strip()


async def create(screen: MainScreen, near: ManagedIdentity | None) -> None:
    """Create a user-assigned identity: the form starts from the selected identity's subscription, group, region."""
    subscription = (near.subscription_id if near else None) or screen.subscription_id or ""
    if not subscription and screen.inventory is not None and screen.inventory.subscriptions:
        subscription = screen.inventory.subscriptions[0].id
    fields = [
        Field("subscription", "Subscription", "its name or id", subscription),
        Field("group", "Resource group", "rg-identities", (near.resource_group or "") if near else ""),
        Field("region", "Region", "westeurope", (near.location or "") if near else ""),
        Field("name", "Name", "id-my-workload"),
        Field("tags", "Tags", "team=ops, env=prod"),
    ]
    answers = await _form(screen, "Create a user-assigned identity", fields)
    if answers:
        planning = screen.session.plan_create_user_identity(
            subscription_id_of(screen.inventory, answers["subscription"]),
            answers["group"],
            answers["name"],
            answers["region"],
            answers["tags"],
        )
        await confirm_and_apply(screen, planning)


async def add_federated_credential(screen: MainScreen, identity: ManagedIdentity, preset: str) -> None:
    app = screen.app
    if preset == "fic-github":
        fields = [
            Field("name", "Credential name", "github-main"),
            Field("repository", "Repository", "ORG/REPO"),
            Field("branch", "Branch", "main (or leave empty)"),
            Field("environment", "Environment", "production (instead of a branch)"),
        ]
        note = f"Issuer {rules.GITHUB_ISSUER}, audience {rules.DEFAULT_AUDIENCE}"
    elif preset == "fic-kubernetes":
        fields = [
            Field("name", "Credential name", "aks-workload"),
            Field("issuer", "Cluster OIDC URL", "https://westeurope.oic.prod-aks.azure.com/…/"),
            Field("namespace", "Namespace", "default"),
            Field("account", "Service account", "workload-sa"),
        ]
        note = "az aks show --query oidcIssuerProfile.issuerUrl gives the cluster's OIDC URL"
    else:
        fields = [
            Field("name", "Credential name", "my-credential"),
            Field("issuer", "Issuer", "https://…"),
            Field("subject", "Subject", "the token's sub claim"),
            Field("audience", "Audience", rules.DEFAULT_AUDIENCE),
        ]
        note = ""
    answers = await _form(screen, f"Add a federated credential to {screen.redactor.name(identity.name)}", fields, note)
    if not answers:
        return
    try:
        if preset == "fic-github":
            credential = rules.github_actions(
                answers["name"], answers["repository"], answers["branch"], answers["environment"]
            )
        elif preset == "fic-kubernetes":
            credential = rules.kubernetes(answers["name"], answers["issuer"], answers["namespace"], answers["account"])
        else:
            credential = rules.federated_credential(
                answers["name"], answers["issuer"], answers["subject"], answers["audience"]
            )
    except MituiError as exc:
        app.show_error(exc)  # type: ignore[attr-defined]
        return
    await confirm_and_apply(
        screen, screen.session.plan_add_federated_credential(identity, credential, screen.inventory)
    )


class IdentityLifeActions:
    """The main screen's keys for the identity's life (a mixin of MainScreen; its check_action gates them)."""

    def action_manage_identity(self: Any) -> None:
        identity = self.selected_identity()
        if identity is not None and self.inventory is not None and not self.session.read_only:
            self.identity_life_flow(identity, False)

    def action_new_identity(self: Any) -> None:
        if self.inventory is not None and not self.session.read_only:
            self.identity_life_flow(self.selected_identity(), True)

    @work(group="flow", description="identity_life_flow")
    async def identity_life_flow(self: Any, identity: ManagedIdentity | None, new: bool) -> None:
        if new or identity is None:
            await create(self, identity)
        else:
            await manage(self, identity)
