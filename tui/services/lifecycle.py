"""The Session's plans for an identity's life (issue #15): turn a resource's system-assigned identity on or off,
create and delete user-assigned identities, attach and detach them, add and remove their federated credentials.

A mixin of :class:`tui.services.session.Session`. Each plan reads what is there now (one ARM request or two), so the
confirmation says whether anything will change; what the writer sends is in the plan's ``params``, the equivalent
``az`` and PowerShell commands in its commands; rights that go (or that a new holder gains) are its ``warnings``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tui.services import lifecycle_rules as rules
from tui.services.backend import ArmResource, Backend
from tui.services.errors import InvalidInput, NotFound
from tui.services.lifecycle_rules import FederatedCredentialInput
from tui.services.models import IdentityKind, Inventory, ManagedIdentity, Privilege, right_name
from tui.services.odata import arm_id, guid
from tui.services.plans import Plan, PlanAction
from tui.services.privilege import highest
from tui.services.scopes import resource_group_of

if TYPE_CHECKING:
    from tui.services.models import Right

MAX_LISTED_RIGHTS = 12
UAMI_TYPE = "Microsoft.ManagedIdentity/userAssignedIdentities"


def _identity_of(res: ArmResource, rid: str) -> ManagedIdentity:
    """The system-assigned identity of ``res`` (its principal id "" while it has none)."""
    return ManagedIdentity(
        principal_id=res.system_principal_id or "",
        client_id="",
        name=res.name or rid.rsplit("/", 1)[-1],
        kind=IdentityKind.SYSTEM,
        resource_id=res.id or rid,
        subscription_id=rid.split("/")[2],
        resource_group=resource_group_of(rid),
        location=res.location,
        used_by=(res.id or rid,),
        resource_type=res.type,
    )


def _right_line(right: Right) -> str:
    from tui.services.models import AppRoleAssignment, DirectoryRoleAssignment

    name = right_name(right) or "(unknown)"
    if isinstance(right, AppRoleAssignment):
        return f"app role {name} of {right.resource_display_name or right.resource_id} ({right.privilege.value})"
    if isinstance(right, DirectoryRoleAssignment):
        return f"directory role {name} ({right.privilege.value})"
    return f"Azure role {name} at {right.scope} ({right.privilege.value})"


def rights_lines(inventory: Inventory | None, identity: ManagedIdentity) -> tuple[list[str], Privilege]:
    """The identity's rights as lines for a warning (the most privileged first, at most MAX_LISTED_RIGHTS), and the
    highest privilege among them."""
    if inventory is None or not identity.principal_id:
        return [], Privilege.NORMAL
    rights = sorted(inventory.rights_of(identity), key=lambda r: -r.privilege.rank)
    lines = [_right_line(r) for r in rights[:MAX_LISTED_RIGHTS]]
    if len(rights) > MAX_LISTED_RIGHTS:
        lines.append(f"… and {len(rights) - MAX_LISTED_RIGHTS} more")
    return lines, highest(r.privilege for r in rights)


def _user_names(res: ArmResource) -> str:
    return ", ".join(uid.rsplit("/", 1)[-1] for uid in res.user_assigned) or "none"


def _uami_parts(identity: ManagedIdentity) -> tuple[str, str, str, str]:
    """(ARM id, subscription, group, name) of a user-assigned identity, or InvalidInput."""
    if identity.kind is not IdentityKind.USER:
        raise InvalidInput(f"{identity.name} is not a user-assigned identity", "pick a user-assigned identity")
    rid = arm_id(identity.resource_id, "identity id")
    parts = rid.split("/")
    if len(parts) != 9:
        raise InvalidInput("Not a user-assigned identity id", rid[:100])
    return rid, guid(parts[2], "subscription id"), parts[4], parts[8]


class IdentityLifecycle:
    """Needs from the Session: its backend and the ARM endpoint (for the equivalent commands)."""

    _backend: Backend

    if TYPE_CHECKING:

        @property
        def arm_url(self) -> str: ...

    async def resources_for_identities(self, subscription_id: str) -> list[ArmResource]:
        """The subscription's resources that can carry an identity (not identities themselves, not child resources),
        by name: what the attach and turn-on pickers list. One paged ARM listing."""
        sub = guid(subscription_id, "subscription id")
        items = await self._backend.list_resources(sub)
        out = [r for r in items if not r.is_user_assigned_identity and r.type.count("/") == 1 and "/" not in r.name]
        out.sort(key=lambda r: (r.name.lower(), r.id.lower()))
        return out

    async def _resource(self, resource_id: str) -> tuple[str, ArmResource, str]:
        """(its id, the resource as ARM has it now, the api-version its provider takes)."""
        rid = arm_id(resource_id, "resource id")
        if not rules.resource_type_of(rid) or rid.split("/")[1].lower() != "subscriptions":
            raise InvalidInput("Not a resource id", f"expected /subscriptions/…/providers/…, got {rid[:80]!r}")
        api_version = await self._backend.resource_api_version(rid)
        res = await self._backend.get_resource(rid, api_version)
        if res is None:
            raise NotFound(
                "No such resource", f"{rid} does not exist (or you may not read it)", code="ResourceNotFound"
            )
        return rid, res, api_version

    def _identity_plan(
        self,
        action: PlanAction,
        identity: ManagedIdentity,
        rid: str,
        block: dict,
        api_version: str,
        *,
        already: bool,
        details: list[tuple[str, str]],
        warnings: list[str],
        privilege: Privilege,
        right: str,
    ) -> Plan:
        return Plan(
            action=action,
            identity=identity,
            right_name=right,
            right_id=rid,
            target=rid,
            target_id=rid,
            scope_level=None,
            privilege=privilege,
            already_exists=already,
            existing_id=rid if already else None,
            az_command=rules.az_patch_identity(self.arm_url, rid, block, api_version),
            powershell_command=rules.ps_patch_identity(rid, block, api_version),
            details=tuple(details),
            warnings=tuple(warnings),
            params=(("resource_id", rid), ("identity", json.dumps(block)), ("api_version", api_version)),
        )

    # --- system-assigned ----------------------------------------------------------------------------------------
    async def plan_system_identity(self, resource_id: str, enable: bool, inventory: Inventory | None = None) -> Plan:
        """Turn the resource's system-assigned identity on (``enable``) or off, keeping its user-assigned identities.
        Off lists the rights that go with it (from ``inventory``)."""
        rid, res, api_version = await self._resource(resource_id)
        identity = _identity_of(res, rid)
        has = bool(res.system_principal_id)
        block = rules.identity_block(rid, enable, list(res.user_assigned))
        details = [("Resource", rid), ("Resource type", res.type), ("User-assigned kept", _user_names(res))]
        warnings: list[str] = []
        privilege = Privilege.NORMAL
        if not enable and has:
            lines, privilege = rights_lines(inventory, identity)
            warnings.append(
                "Its service principal is deleted: code on the resource can no longer sign in as it, app role grants "
                "and directory roles go with it, Azure role assignments stay behind orphaned. Turning it on again "
                "makes a new principal with none of these rights."
            )
            if lines:
                warnings.append("Rights lost: " + "; ".join(lines))
        action = PlanAction.ENABLE_SYSTEM_IDENTITY if enable else PlanAction.DISABLE_SYSTEM_IDENTITY
        return self._identity_plan(
            action,
            identity,
            rid,
            block,
            api_version,
            already=has,
            details=details,
            warnings=warnings,
            privilege=privilege,
            right=identity.name,
        )

    # --- user-assigned: attach and detach -------------------------------------------------------------------------
    async def plan_attach_user_identity(
        self, resource_id: str, identity: ManagedIdentity, inventory: Inventory | None = None
    ) -> Plan:
        """Attach ``identity`` to the resource, keeping its other identities. Whatever runs on the resource can then
        act as the identity: its rights are listed as the warning and set the plan's privilege."""
        uid, *_ = _uami_parts(identity)
        rid, res, api_version = await self._resource(resource_id)
        if rules.resource_type_of(rid) == rules.resource_type_of(uid):
            raise InvalidInput("A user-assigned identity cannot be attached to an identity", "pick another resource")
        keys = {u.lower(): u for u in res.user_assigned}
        already = uid.lower() in keys
        users = list(res.user_assigned) + ([] if already else [uid])
        block = rules.identity_block(rid, bool(res.system_principal_id), users)
        lines, privilege = rights_lines(inventory, identity)
        warnings = [
            f"Code running on {res.name} can act as {identity.name}" + (": " + "; ".join(lines) if lines else ".")
        ]
        details = [
            ("Resource", rid),
            ("Resource type", res.type),
            ("Identity id", uid),
            ("Already attached", _user_names(res)),
            ("System-assigned", "on (kept)" if res.system_principal_id else "off"),
        ]
        return self._identity_plan(
            PlanAction.ATTACH_USER_IDENTITY,
            identity,
            rid,
            block,
            api_version,
            already=already,
            details=details,
            warnings=warnings,
            privilege=privilege,
            right=identity.name,
        )

    async def plan_detach_user_identity(self, resource_id: str, identity: ManagedIdentity) -> Plan:
        uid, *_ = _uami_parts(identity)
        rid, res, api_version = await self._resource(resource_id)
        attached = [u for u in res.user_assigned if u.lower() == uid.lower()]
        keep = [u for u in res.user_assigned if u.lower() != uid.lower()]
        block = rules.identity_block(rid, bool(res.system_principal_id), keep, detach=attached or [uid])
        details = [
            ("Resource", rid),
            ("Identity id", uid),
            ("Others kept", ", ".join(u.rsplit("/", 1)[-1] for u in keep) or "none"),
            ("System-assigned", "on (kept)" if res.system_principal_id else "off"),
        ]
        warnings = [f"Code running on {res.name} can no longer sign in as {identity.name}; the identity itself stays."]
        return self._identity_plan(
            PlanAction.DETACH_USER_IDENTITY,
            identity,
            rid,
            block,
            api_version,
            already=bool(attached),
            details=details,
            warnings=warnings,
            privilege=Privilege.NORMAL,
            right=identity.name,
        )

    # --- user-assigned: create and delete -------------------------------------------------------------------------
    async def plan_create_user_identity(
        self, subscription_id: str, resource_group: str, name: str, region: str, tag_text: str = ""
    ) -> Plan:
        sub = guid(subscription_id, "subscription id")
        group, name = rules.group_name(resource_group), rules.identity_name(name)
        loc, tag_map = rules.location(region), rules.tags(tag_text)
        rid = f"/subscriptions/{sub}/resourceGroups/{group}/providers/{UAMI_TYPE}/{name}"
        existing = await self._backend.get_user_assigned_identity(rid)
        if existing is not None and (existing.location or loc).lower().replace(" ", "") != loc:
            raise InvalidInput(
                f"{name} exists already in {existing.location}",
                "an identity cannot move region: choose another name (or the region it is in)",
            )
        identity = ManagedIdentity(
            principal_id=existing.principal_id or "" if existing else "",
            client_id=existing.client_id or "" if existing else "",
            name=name,
            kind=IdentityKind.USER,
            resource_id=rid,
            subscription_id=sub,
            resource_group=group,
            location=loc,
            resource_type=UAMI_TYPE,
            tags=tuple(tag_map.items()),
        )
        details = [
            ("Subscription", sub),
            ("Resource group", group),
            ("Region", loc),
            ("Tags", ", ".join(f"{k}={v}" for k, v in tag_map.items()) or "none"),
            ("Resource ID", rid),
        ]
        return Plan(
            action=PlanAction.CREATE_USER_IDENTITY,
            identity=identity,
            right_name=name,
            right_id=rid,
            target=rid,
            target_id=rid,
            scope_level=None,
            privilege=Privilege.NORMAL,
            already_exists=existing is not None,
            existing_id=rid if existing else None,
            az_command=rules.az_identity_create(sub, group, name, loc, tag_map),
            powershell_command=rules.ps_identity_create(sub, group, name, loc, tag_map),
            details=tuple(details),
            params=(
                ("subscription_id", sub),
                ("resource_group", group),
                ("name", name),
                ("location", loc),
                ("tags", json.dumps(tag_map)),
            ),
        )

    async def plan_delete_user_identity(self, identity: ManagedIdentity, inventory: Inventory | None = None) -> Plan:
        """Delete a user-assigned identity: the resources it is attached to lose it, its federated credentials and
        its service principal go (with its app roles and directory roles), its Azure role assignments stay orphaned."""
        rid, sub, group, name = _uami_parts(identity)
        current = await self._backend.get_user_assigned_identity(rid)
        credentials = await self._backend.list_federated_credentials(rid) if current is not None else []
        lines, privilege = rights_lines(inventory, identity)
        used_by = [u for u in identity.used_by if u.lower() != rid.lower()]
        warnings = []
        if used_by:
            warnings.append("Resources that lose it: " + ", ".join(used_by))
        if credentials:
            warnings.append(
                "Federated credentials deleted: " + ", ".join(f"{c.name} ({c.subject})" for c in credentials)
            )
        if lines:
            warnings.append("Rights lost (Azure role assignments stay behind orphaned): " + "; ".join(lines))
        details = [
            ("Resource ID", rid),
            ("Attached to", str(len(used_by)) + " resource(s)"),
            ("Credentials", f"{len(credentials)} federated"),
        ]
        return Plan(
            action=PlanAction.DELETE_USER_IDENTITY,
            identity=identity,
            right_name=name,
            right_id=rid,
            target=rid,
            target_id=rid,
            scope_level=None,
            privilege=privilege,
            already_exists=current is not None,
            existing_id=rid if current else None,
            az_command=rules.az_identity_delete(rid),
            powershell_command=rules.ps_identity_delete(sub, group, name),
            details=tuple(details),
            warnings=tuple(warnings),
            params=(("identity_id", rid),),
        )

    # --- federated credentials ----------------------------------------------------------------------------------------
    async def plan_add_federated_credential(
        self, identity: ManagedIdentity, credential: FederatedCredentialInput, inventory: Inventory | None = None
    ) -> Plan:
        """Trust tokens from ``credential.issuer`` for ``credential.subject``: their holder acts as the identity."""
        rid, sub, group, name = _uami_parts(identity)
        current = await self._backend.list_federated_credentials(rid)
        same = next((c for c in current if c.name.lower() == credential.name.lower()), None)
        if same is not None and (same.issuer, same.subject) != (credential.issuer, credential.subject):
            raise InvalidInput(
                f"{name} has a federated credential named {credential.name} already",
                f"it trusts {same.subject} from {same.issuer}: remove it first, or choose another name",
            )
        clash = next(
            (c for c in current if c is not same and (c.issuer, c.subject) == (credential.issuer, credential.subject)),
            None,
        )
        if clash is not None:
            raise InvalidInput(
                "This issuer and subject are trusted already", f"by the federated credential {clash.name} of {name}"
            )
        if same is None and len(current) >= 20:
            raise InvalidInput(f"{name} has 20 federated credentials", "an identity may have at most 20")
        lines, privilege = rights_lines(inventory, identity)
        warnings = [
            f"Whoever presents a token from {credential.issuer} with subject {credential.subject} acts as {name}"
            + (": " + "; ".join(lines) if lines else ".")
        ]
        details = [
            ("Credential", credential.name),
            ("Issuer", credential.issuer),
            ("Subject", credential.subject),
            ("Audience", credential.audience),
        ]
        return Plan(
            action=PlanAction.ADD_FEDERATED_CREDENTIAL,
            identity=identity,
            right_name=credential.name,
            right_id=f"{rid}/federatedIdentityCredentials/{credential.name}",
            target=rid,
            target_id=rid,
            scope_level=None,
            privilege=privilege,
            already_exists=same is not None,
            existing_id=credential.name if same else None,
            az_command=rules.az_fic_create(sub, group, name, credential),
            powershell_command=rules.ps_fic_create(sub, group, name, credential),
            details=tuple(details),
            warnings=tuple(warnings),
            params=(
                ("identity_id", rid),
                ("name", credential.name),
                ("issuer", credential.issuer),
                ("subject", credential.subject),
                ("audience", credential.audience),
            ),
        )

    async def plan_remove_federated_credential(self, identity: ManagedIdentity, credential_name: str) -> Plan:
        rid, sub, group, name = _uami_parts(identity)
        current = await self._backend.list_federated_credentials(rid)
        found = next((c for c in current if c.name.lower() == (credential_name or "").strip().lower()), None)
        fic = found.name if found else (credential_name or "").strip()
        if not rules.FIC_NAME_RE.match(fic):
            raise InvalidInput("Not a valid federated credential name", fic[:60])
        details = [("Credential", fic)]
        if found is not None:
            details += [("Issuer", found.issuer), ("Subject", found.subject)]
        return Plan(
            action=PlanAction.REMOVE_FEDERATED_CREDENTIAL,
            identity=identity,
            right_name=fic,
            right_id=f"{rid}/federatedIdentityCredentials/{fic}",
            target=rid,
            target_id=rid,
            scope_level=None,
            privilege=Privilege.NORMAL,
            already_exists=found is not None,
            existing_id=fic if found else None,
            az_command=rules.az_fic_delete(sub, group, name, fic),
            powershell_command=rules.ps_fic_delete(sub, group, name, fic),
            details=tuple(details),
            params=(("identity_id", rid), ("name", fic)),
        )
