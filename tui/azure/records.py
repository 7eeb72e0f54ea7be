"""The big listings decoded straight from a page's bytes into compact typed records (msgspec), then into the models.

A tenant of 40,000 identities sends ~150,000 role assignments, ~40,000 resources, ~40,000 service principals and
their app role grants.
Read as plain JSON (``json.loads``, then a converter of tui.azure.wire per item) every item first becomes a dict of
dicts that lives only until it is converted: measured on 37,000 role assignments (35 MB), 261 ms of CPU against
115 ms for msgspec's typed decode plus the conversion (orjson's ``loads`` plus the same converters: 287 ms, no gain:
the dicts are the cost). msgspec skips every field mitui does not read (a resource's ``properties`` above all) without
building it, and the transient dicts no longer fragment the heap the long-lived models live in.

The strings that repeat across items (scopes, role definition ids, principal types, creators, locations) are
interned, so that 150,000 assignments share a few thousand of them.

A page whose shape the records do not accept (a field of an unexpected type: nothing Azure sends, but the answer is
untrusted) is decoded as plain JSON and converted by tui.azure.wire instead: the two paths give the same models
(tests/azure/test_records.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec

from tui.azure import wire
from tui.services.backend import ArmResource, DirectoryIdentity
from tui.services.models import AppRoleAssignment, Privilege, RoleAssignment, ScopeLevel
from tui.services.scopes import scope_level

_intern = sys.intern
_NORMAL = Privilege.NORMAL


def _i(value: str | None) -> str | None:
    return _intern(value) if value else None


# --- the records: only the fields mitui reads ----------------------------------------------------------------------


class _AssignmentProps(msgspec.Struct, gc=False):
    scope: str | None = None
    roleDefinitionId: str | None = None  # noqa: N815 - the wire's names
    principalId: str | None = None  # noqa: N815
    principalType: str | None = None  # noqa: N815
    createdOn: str | None = None  # noqa: N815
    condition: str | None = None
    conditionVersion: str | None = None  # noqa: N815
    description: str | None = None
    createdBy: str | None = None  # noqa: N815


class _Assignment(msgspec.Struct, gc=False):
    id: str | None = None  # (its name is the id's last segment: not read twice)
    properties: _AssignmentProps | None = None


class _UserIdentity(msgspec.Struct, gc=False):
    principalId: str | None = None  # noqa: N815
    clientId: str | None = None  # noqa: N815


class _IdentityBlock(msgspec.Struct, gc=False):
    type: str | None = None
    principalId: str | None = None  # noqa: N815
    userAssignedIdentities: dict[str, _UserIdentity | None] | None = None  # noqa: N815


class _ResourceProps(msgspec.Struct, gc=False):  # (a user-assigned identity's own principal and client id)
    principalId: str | None = None  # noqa: N815
    clientId: str | None = None  # noqa: N815


class _Resource(msgspec.Struct, gc=False):
    id: str | None = None
    name: str | None = None
    type: str | None = None
    location: str | None = None
    tags: dict[str, str] | None = None
    identity: _IdentityBlock | None = None
    properties: _ResourceProps | None = None


class _Grant(msgspec.Struct, gc=False):  # an app role assignment
    id: str | None = None
    principalId: str | None = None  # noqa: N815
    resourceId: str | None = None  # noqa: N815
    appRoleId: str | None = None  # noqa: N815
    principalDisplayName: str | None = None  # noqa: N815
    resourceDisplayName: str | None = None  # noqa: N815
    createdDateTime: str | None = None  # noqa: N815


class _ServicePrincipal(msgspec.Struct, gc=False):
    id: str | None = None
    appId: str | None = None  # noqa: N815
    displayName: str | None = None  # noqa: N815
    alternativeNames: list[str] | None = None  # noqa: N815


# --- records -> models (the same models as tui.azure.wire's converters) ---------------------------------------------


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def _once(make: Callable[[K], V], kept: int) -> Callable[[K], V]:
    """``make(key)`` once per distinct key, up to ``kept`` keys (then forgotten all at once): what many items of a
    load share, made or held once (a closure: a call to it is cheaper than an object's ``__call__``)."""
    found: dict[K, V] = {}

    def once(key: K) -> V:
        value = found.get(key)
        if value is None:
            if len(found) >= kept:
                found.clear()
            value = found[key] = make(key)
        return value

    return once


_NO_PROPERTIES = _AssignmentProps()
_level: Callable[[str], ScopeLevel] = _once(scope_level, 200_000)  # (a scope holds many assignments)


def _role_assignment(r: _Assignment) -> RoleAssignment:
    # (by position, the model's field order: half the cost of keywords, per assignment of 150,000; a field moved
    # in the model fails tests/azure/test_records.py, which compares this with tui.azure.wire's converter)
    p = r.properties or _NO_PROPERTIES
    scope = _intern(p.scope) if p.scope else ""
    return RoleAssignment(
        r.id or "",
        scope,
        _intern(p.roleDefinitionId) if p.roleDefinitionId else "",
        _intern(p.principalId) if p.principalId else "",  # (shared by the principal's assignments)
        _intern(p.principalType) if p.principalType else "ServicePrincipal",
        "",  # role_name
        _level(scope),
        _NORMAL,  # privilege
        p.createdOn or None,
        "",  # privilege_reason
        p.condition or None,
        _i(p.conditionVersion),
        p.description or None,
        _i(p.createdBy),
    )


def _resource(r: _Resource) -> ArmResource:
    ident = r.identity
    system_pid = None
    users: dict[str, tuple[str | None, str | None]] = {}
    if ident is not None:
        # (whatever its type says: no principal, no system identity). A principal id is interned: the same
        # string as its role assignments' and grants' (one each, not one per listing)
        system_pid = _i(ident.principalId)
        if ident.userAssignedIdentities:
            for uid, v in ident.userAssignedIdentities.items():
                users[uid] = (_i(v.principalId), v.clientId or None) if v is not None else (None, None)
    props = r.properties
    tags: tuple[tuple[str, str], ...] = ()
    if r.tags:
        tags = _same_tags(tuple(sorted(r.tags.items())) if len(r.tags) > 1 else tuple(r.tags.items()))
    # (by position, the model's field order, as _role_assignment)
    return ArmResource(
        r.id or "",
        r.name or "",
        _intern(r.type) if r.type else "",
        _i(r.location),
        tags,
        system_pid,
        users,
        _i(props.principalId) if props is not None else None,
        props.clientId if props is not None else None,
    )


def _grant(g: _Grant) -> AppRoleAssignment:
    # (by position, as wire.app_role_grant: the identity's principal id and name, a few resource apps and their
    # roles are named by every grant, one string each)
    return AppRoleAssignment(
        g.id or "",
        _intern(g.principalId) if g.principalId else "",
        _intern(g.resourceId) if g.resourceId else "",
        _intern(g.appRoleId) if g.appRoleId else "",
        _intern(g.principalDisplayName) if g.principalDisplayName else "",
        _intern(g.resourceDisplayName) if g.resourceDisplayName else "",
        "",  # resource_app_id
        "",  # app_role_value
        "",  # app_role_description
        _NORMAL,
        g.createdDateTime or None,
    )


def _directory_identity(sp: _ServicePrincipal) -> DirectoryIdentity:
    explicit, resource_id = False, ""
    for n in sp.alternativeNames or ():
        if not resource_id and n[:1] == "/":
            resource_id = n
        elif not explicit and len(n) == 15 and n.lower() == "isexplicit=true":
            explicit = True
    return DirectoryIdentity(
        principal_id=_intern(sp.id) if sp.id else "",  # (shared with its assignments and grants)
        client_id=sp.appId or "",
        display_name=sp.displayName or "",
        resource_id=resource_id,
        user_assigned=explicit,
    )


_Tags = tuple[tuple[str, str], ...]
# one tuple per distinct set of tags (resources share a few: ``env=prod``, a cost centre), not one each
_same_tags: Callable[[_Tags], _Tags] = _once(lambda tags: tags, 20_000)


# --- pages ----------------------------------------------------------------------------------------------------------

# where Resource Graph puts a page's rows and the token to the next page (ARM and Graph: "value" and their link)
RESOURCE_GRAPH = ("data", "$skipToken")


@dataclass(frozen=True)
class Records:
    """How to read one listing's items: a typed record, its conversion to the model, and the plain-JSON converter
    (tui.azure.wire) for a page the record does not accept. Passed where a converter goes (tui.azure.paging)."""

    record: type
    to_model: Callable[[Any], Any]
    plain: Callable[[dict], Any]

    def decoder(self, shape: tuple[str, str]) -> msgspec.json.Decoder:
        return _decoders(self.record, shape)

    def __call__(self, item: dict) -> Any:  # (an item already decoded as plain JSON)
        return self.plain(item)


_DECODERS: dict[tuple[type, tuple[str, str]], msgspec.json.Decoder] = {}


def _decoders(record: type, shape: tuple[str, str]) -> msgspec.json.Decoder:
    key = (record, shape)
    found = _DECODERS.get(key)
    if found is None:
        items, link = shape
        page = msgspec.defstruct(
            f"{record.__name__}Page",
            [
                ("items", list[record] | None, msgspec.field(default=None, name=items)),  # type: ignore[valid-type]
                ("link", str | None, msgspec.field(default=None, name=link)),
            ],
            gc=False,
        )
        found = _DECODERS[key] = msgspec.json.Decoder(page)
    return found


def decode(body: bytes, records: Records, shape: tuple[str, str]) -> tuple[list[Any], str | None]:
    """(the page's items as models, its next link or token); ``ValueError`` when the page is not JSON; :class:`Misfit`
    when it is, but not of the records' shape (the caller then reads it as plain JSON)."""
    try:
        page = records.decoder(shape).decode(body)
    except msgspec.ValidationError:
        raise Misfit from None
    except msgspec.DecodeError as err:
        raise ValueError(str(err)) from None
    convert = records.to_model
    return [convert(r) for r in page.items or ()], page.link or None


_ITEMS_KEYS = (b'"value"', b'"data"')  # where ARM and Graph ("value") and Resource Graph ("data") put the items
_STRINGS = json.JSONDecoder()
_EDGE = 8192  # bytes of a page's head or end read for its link (the link and what goes before it are far shorter)


def next_link(body: bytes | None, key: str) -> str | None:
    """The page's link to the next page (the top-level ``key``), read without decoding the page, so the next page
    can be asked for before this one is decoded: from the page's last bytes when it ends with the link (ARM's
    pages), or its first when the link comes before the items (Graph's, Resource Graph's). None otherwise: no link,
    or one these reads do not find (the page's full decode, in the CPU worker, is the truth: the next page is then
    asked for after it). A last page, which has no link, used to be decoded here a second time to be sure, on the
    event loop: ~20 ms of a load at 50:10000, for a case that neither ARM nor Graph writes."""
    if not body:
        return None
    found = link_at_end(body, key)
    if found is None:
        head = link_in_head(body[:_EDGE], key)
        found = head if isinstance(head, str) else None
    return found


def link_at_end(body: bytes, key: str) -> str | None:
    """The top-level ``key``'s string when the page ends with it (``…,"nextLink":"…"}``); None otherwise. Only the
    top-level object's last member ends right before its closing brace: a value of the same name inside an item
    (a tag, say) is followed by more of the page."""
    end = body[-_EDGE:].rstrip()
    marker = b'"' + key.encode() + b'"'
    at = end.rfind(marker)
    if at < 0 or not end.endswith(b"}"):
        return None
    try:
        rest = end[at + len(marker) :].decode().lstrip()
        if not rest.startswith(":"):
            return None
        rest = rest[1:].lstrip()
        link, stop = _STRINGS.raw_decode(rest)
    except ValueError:  # (not UTF-8, not a JSON value)
        return None
    return link if isinstance(link, str) and link and rest[stop:].strip() == "}" else None


def link_in_head(head: bytes, key: str) -> str | None | bool:
    """The top-level ``key`` (a page's next link) from the page's first bytes, when the page writes it before its
    items: the link; None when the head shows the items begin with no link before them; False when the head does
    not tell yet (read more). Before the items there is only what the service writes of the page itself."""
    marker = b'"' + key.encode() + b'"'
    items_at = min((i for i in (head.find(k) for k in _ITEMS_KEYS) if i >= 0), default=-1)
    link_at = head.find(marker)
    if link_at < 0 or 0 <= items_at < link_at:
        return None if items_at >= 0 else False
    colon = head.find(b":", link_at + len(marker))
    if colon < 0:
        return False
    try:
        link, _ = _STRINGS.raw_decode(head[colon + 1 :].decode("utf-8", "ignore").lstrip())
    except ValueError:
        return False  # (the string goes on past the head read so far)
    return link if isinstance(link, str) and link else None


class Misfit(Exception):
    """The page is JSON, but not of the records' shape."""


ROLE_ASSIGNMENTS = Records(_Assignment, _role_assignment, wire.role_assignment)
RESOURCES = Records(_Resource, _resource, wire.resource)
MANAGED_IDENTITIES = Records(_ServicePrincipal, _directory_identity, wire.directory_identity)
APP_ROLE_GRANTS = Records(_Grant, _grant, wire.app_role_grant)
