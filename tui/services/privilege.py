"""How much harm a right can do: one rule set for Azure roles and app roles, each verdict with its reason.

The levels, from principles (DESIGN.md, "The domain, as it grows"):

* critical: any path to rights beyond those granted: change who may do what (role assignments and
  definitions, elevate access, policy definitions whose remediation runs as an identity); take over an
  identity (attach a user-assigned identity, add a federated credential); run code or deploy as a managed
  identity on compute in scope (VM run command and extensions, Automation runbooks and modules, App Service
  and Functions deployment and settings, Logic Apps, Container Apps and Instances, AKS admin credentials and
  cluster-admin Kubernetes RBAC, Batch pools, VM sign-in, ...); broad write that includes any of those (``*``,
  ``Microsoft.Web/*``: Contributor and the "X Contributor" roles over compute); and for Microsoft Graph, a
  path to Global Administrator.
* high: lateral movement: operations that hand out secrets (``listKeys``, ``listSecrets``, connection strings,
  credentials, ...), broad wildcards that include such operations, data-plane writes, reads of sensitive data
  planes (blobs, files, queues, tables, Cosmos DB, messages, Key Vault secrets, Kubernetes secrets, ...),
  starting code that already runs as an identity (Automation jobs, Logic App runs, policy remediation).
* normal: the rest: control-plane reads, narrow non-sensitive data (Azure Maps, metrics, Key Vault key use),
  cost, billing, monitoring, support.

Azure roles are classified from their actions, notActions, dataActions and notDataActions, never from
their names, so custom roles are classified as carefully as built-in ones. The operations that decide a
level are probed against the role's patterns (wildcards included, minus notActions), so a notAction that
takes the dangerous operation back lowers the level. Data actions are classified by what they do: writes
are high, reads are high only on the sensitive data planes. What actions cannot tell is in one reviewed
table, :data:`tui.services.privilege_rules.EXCEPTIONS`, each entry with its reason and source.

App roles: Microsoft Graph application permissions with a path to Global Administrator are critical
(:data:`~tui.services.privilege_rules.ESCALATION_APP_ROLES`, each with its path); any other write
(``ReadWrite``, ``Send``, ``Manage``, ``Create``, ...) is high, as is a read of mail, files, chats or
recovery keys, and any permission Microsoft rates privilegeLevel 4 or above; EntraOps' control-plane
(tier 0) app roles of other resource apps are high; the rest is normal.

Decisions, revisited against the references (emiliensocchi/azure-tiering, read as a reference, not copied;
Microsoft's privileged-role category and Graph privilegeLevel; EntraOps):

* Contributor is critical (was high): its ``*`` includes VM run command, so it holds the rights of every
  managed identity on compute in scope. Microsoft lists it among the privileged roles; azure-tiering tier 0.
* Policy.ReadWrite.ConditionalAccess is critical (was high): Conditional Access decides who may sign in at
  all, so its holder can lock out every administrator or drop MFA for accounts it targets (azure-tiering
  tier 0, Microsoft privilegeLevel 4).
* Automation jobs, Logic App runs and policy remediation are high, not critical: they start code that
  someone else wrote (azure-tiering puts Automation Job Operator in tier 3; we keep it high because the code
  runs as the account's identity).
* Starting code that the holder writes (runbooks, modules, workflows, pipelines, ML jobs) is critical, also
  where azure-tiering is lower (Data Factory Contributor, tier 2): the code runs as the identity.
* Group-OnPremisesSyncBehavior.ReadWrite.All (needs an on-premises Domain Admin too) and
  Synchronization.ReadWrite.All (no proven path) stay high, though azure-tiering files them tier 0.
* Roles that read what others may have stored insecurely (Reader, Logic App Operator's run history, AKS RBAC
  Reader) are normal: reading settings is not reading secrets (azure-tiering: tier 1).
* ``roleAssignments/write`` is critical even where a built-in role narrows it with an ABAC condition (Key Vault
  Data Access Administrator, the Defender storage scanner operators; azure-tiering: tier 1): the condition
  is not among the actions mitui reads, and without it the action assigns any role.
* Log Analytics Contributor is critical (azure-tiering: tier 1): it includes
  ``Microsoft.Compute/virtualMachines/extensions/*``, and an extension runs code as the VM's identity.
* Where no operation runs code as an identity, broad write stays high though azure-tiering says tier 0:
  App Compliance Automation Administrator (its path is deleting resource groups: availability, not rights),
  Cognitive Services Contributor and Cognitive Services OpenAI Contributor (keys and data, no code of the
  holder's choosing run as the account's identity), and Desktop Virtualization Session Host Operator
  (normal: its session host writes are the ones Power On Off Contributor, tier 3, holds too).
* Managed Application Operator Role is high (azure-tiering: tier 3): ``Microsoft.Solutions/*/action``
  includes ``applications/listTokens/action``, which hands out the managed application's tokens.
* Conditional Access, authentication-method policy and account disable/delete permissions are critical:
  each decides who may sign in at all.
* Graph reads of audit logs, security alerts, role assignments and policies are normal (azure-tiering: tier
  1): they show who holds what, not content or credentials. Every Graph application write is high, also
  the narrow ones azure-tiering files tier 2 (Group.Create, User.Invite.All, Chat.Create): an application
  permission acts across the whole tenant. Microsoft's privilegeLevel 4 keeps a permission at least high.

Microsoft Entra directory roles are classified from their allowed actions (``allowedResourceActions``), built-in
and custom alike, by the same principles and in step with the Graph permissions that do the same thing
(:data:`~tui.services.directory_privilege_rules.CRITICAL_DIRECTORY_ACTIONS`, ``HIGH_DIRECTORY_ACTIONS``,
``DIRECTORY_EXCEPTIONS``). Critical: a path to Global Administrator or to rights beyond those granted — assign
roles (directly, through PIM, administrative units or the directory roles API), consent or grant permissions, add
credentials to or take ownership of applications, reset passwords or sign-in methods, change the attributes,
names or state that decide sign-in and dynamic groups, change group membership or ownership, decide how everyone
signs in (Conditional Access, authentication methods and MFA settings, domain federation, pass-through
authentication), run code on administrators' devices (Intune). High: reading secrets (BitLocker recovery keys,
local administrator passwords, password single sign-on credentials) and any other write, since a directory role
acts across the tenant or whole administrative units. Normal: reads, and the writes the exceptions table names
(support tickets, service health, billing, branding, printers, ...). Actions granted under a condition
(``$ResourceIsSelf``, ``$SubjectIsOwner``) do not count: they act on the holder itself or what it owns.
An assignment scoped to an administrative unit or one object keeps its role's level: which objects a unit holds
is not read.

Decisions for directory roles (checked against azure-tiering's Entra tiers with scripts/compare_tiering.py):

* Conditional Access writes are critical (Conditional Access Administrator, Security Administrator), as for
  Policy.ReadWrite.ConditionalAccess: they decide who may sign in at all (azure-tiering: tier 0).
* Group membership and ownership writes are critical, Microsoft 365 groups included, as for
  GroupMember.ReadWrite.All: a group can hold Owner on a subscription. So Exchange, SharePoint, Teams, Yammer,
  Knowledge and Windows 365 Administrators are critical through their group writes (azure-tiering: tier 0),
  their workload-wide actions alone being high.
* The authentication methods policy and the tenant's MFA settings are critical (Authentication Policy
  Administrator; azure-tiering: tier 1), as for Policy.ReadWrite.AuthenticationMethod.
* Global Reader, Security Reader and Cloud Device Administrator are high: ``bitlockerKeys/key/read`` hands out
  recovery keys (azure-tiering: Global Reader tier 1), as BitlockerKey.Read.All does.
* Defender for Endpoint's ``allTasks`` is high, not critical: Live Response, which runs scripts on devices, is
  granted by Defender's own roles besides (Security Operator; azure-tiering: tier 1).
* ``createAsOwner`` is high: it creates an object the holder then owns, a right over nothing that exists
  (Application Developer; azure-tiering: tier 2).
* Azure DevOps Administrator is high (azure-tiering: tier 0, through pipelines that run with Azure rights): the
  Entra role manages the organisations' tenant policies; pipelines and their service connections are governed by
  Azure DevOps' own permissions. AI Administrator and Agent ID Administrator are high (azure-tiering: tier 0,
  through agent identities' Graph permissions): the definitions mitui ships hold no action on agent identities'
  credentials, so nothing in them shows the path; revisit when they do.
* Tier 2 roles that write tenant-wide (attribute sets, B2C user attributes, organisational messages, Teams
  communications, ...) are high, as every Graph application write is: only the writes the exceptions table
  names are normal.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from tui.services import directory_privilege_rules as directory_rules
from tui.services import privilege_rules as rules
from tui.services.models import DirectoryRoleDefinition, Privilege, RoleDefinition
from tui.services.privilege_rules import ESCALATION_APP_ROLES

MICROSOFT_GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A level and its reason: the action or permission that decided it and what it lets the holder do."""

    level: Privilege
    reason: str


# --- app roles ----------------------------------------------------------------------------------------------

_ESCALATIONS = {k.lower(): (k, why) for k, why in ESCALATION_APP_ROLES.items()}
_SENSITIVE_READS = {f.lower() for f in rules.SENSITIVE_GRAPH_READS}
_BASIC_ONLY = rules.BASIC_READS_WITHOUT_CONTENT


@cache
def _app_role_data() -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    text = resources.files("tui.data").joinpath("app-role-privilege.json").read_text("utf-8")
    data = json.loads(text)
    graph = {k.lower(): int(v) for k, v in data["microsoftGraph"].items()}
    tiers = {app.lower(): {k.lower(): int(v) for k, v in vals.items()} for app, vals in data["entraOpsTier"].items()}
    return graph, tiers


@cache
def app_role_verdict(resource_app_id: str, value: str) -> Verdict:
    """The privilege of an app role and why, by the resource app's appId and the role's value."""
    value = value or ""
    key = value.lower()
    app = (resource_app_id or "").lower()
    graph_levels, tiers = _app_role_data()
    if app == MICROSOFT_GRAPH_APP_ID:
        if key in _ESCALATIONS:
            return Verdict(Privilege.CRITICAL, f"{value}: {_ESCALATIONS[key][1]}")
        family, _, rest = value.partition(".")
        verb = rest.partition(".")[0].lower()
        if not verb.startswith("read") or verb.startswith("readwrite") or verb == "readupdate":
            return Verdict(Privilege.HIGH, f"{value}: changes or acts on {family} across the tenant")
        if family.lower() in _SENSITIVE_READS and not (verb == "readbasic" and family in _BASIC_ONLY):
            return Verdict(Privilege.HIGH, f"{value}: reads {family} tenant-wide, content others may not see")
        level = graph_levels.get(key)
        if level is not None and level >= 4:
            return Verdict(Privilege.HIGH, f"{value}: Microsoft rates it privilege level {level} of 5")
        return Verdict(Privilege.NORMAL, f"{value}: reads {family}, with no path to other rights")
    if tiers.get(app, {}).get(key) == 0:
        return Verdict(Privilege.HIGH, f"{value}: control plane of its API (EntraOps tier 0)")
    return Verdict(Privilege.NORMAL, f"{value}: no known path to other rights")


def classify_app_role(resource_app_id: str, value: str) -> Privilege:
    """The privilege of an app role, by the resource app's appId and the role's value."""
    return app_role_verdict(resource_app_id, value).level


def microsoft_privilege_level(value: str) -> int | None:
    """Microsoft's own privilegeLevel (1..5) of a Microsoft Graph application permission, when known."""
    return _app_role_data()[0].get((value or "").lower())


# --- Azure roles --------------------------------------------------------------------------------------------


@cache
def _pattern(action: str) -> re.Pattern[str]:
    # "*" matches anything; a whole "/*/" segment may also match nothing ("a/*/read" grants "a/read").
    body = ".*".join(re.escape(p) for p in action.split("*")).replace("/.*/", "/(?:.*/)?")
    return re.compile("^" + body + "$", re.IGNORECASE)


def _matches(pattern: str, probe: str) -> bool:
    """Case-insensitive wildcard match; a regex is compiled only when the literal prefix already matches."""
    low_pattern, low_probe = pattern.lower(), probe.lower()
    star = low_pattern.find("*")
    if star < 0:
        return low_pattern == low_probe
    prefix = low_pattern[:star]
    if prefix.endswith("/") and low_pattern[star + 1 : star + 2] == "/":
        prefix = prefix[:-1]  # "a/*/read" also grants "a/read"
    return low_probe.startswith(prefix) and bool(_pattern(pattern).match(probe))


def _allows(patterns: Iterable[str], not_patterns: Iterable[str], probe: str) -> str | None:
    """The first pattern that grants ``probe`` (and is not taken back by a not-pattern), or None."""
    if any(_matches(n, probe) for n in not_patterns):
        return None
    return next((p for p in patterns if _matches(p, probe)), None)


def role_grants(role: RoleDefinition, action: str) -> str | None:
    """The role's action pattern that grants ``action`` (not taken back by its notActions), or None."""
    return _allows(role.actions, role.not_actions, action)


def _granted(pattern: str, probe: str, why: str) -> str:
    if pattern.lower() == probe.lower():
        return f"{probe}: {why}"
    return f"{pattern} (includes {probe}): {why}"


def _probe_table(entries: Iterable[tuple[str, str]], level: Privilege) -> dict[str, list[tuple[str, str, Privilege]]]:
    """The probes by provider namespace (lowercase), so a pattern is only tried on its own provider's."""
    table: dict[str, list[tuple[str, str, Privilege]]] = {}
    for probe, why in entries:
        table.setdefault(probe.split("/", 1)[0].lower(), []).append((probe, why, level))
    table["*"] = [entry for entries in list(table.values()) for entry in entries]  # for "*" and "*/read"
    return table


_CONTROL_PROBES = (
    _probe_table(rules.CRITICAL_ACTIONS, Privilege.CRITICAL),
    _probe_table(rules.HIGH_ACTIONS, Privilege.HIGH),
)
_KUBERNETES_PROBES = tuple(
    (prefix + suffix, why) for prefix in rules.KUBERNETES_DATA_PREFIXES for suffix, why in rules.KUBERNETES_CRITICAL
)
_DATA_PROBES = (
    _probe_table(rules.CRITICAL_DATA_ACTIONS + _KUBERNETES_PROBES, Privilege.CRITICAL),
    _probe_table(rules.HIGH_DATA_ACTIONS, Privilege.HIGH),
)
_SENSITIVE_READS_DATA = tuple((prefix.lower(), verb, why) for prefix, verb, why in rules.SENSITIVE_READ_DATA)
# the reviewed exceptions by provider namespace (lowercase): (prefix, level, reason)
_EXCEPTIONS: dict[str, list[tuple[str, Privilege, str]]] = {}
for _prefix, _level, _why, _source in rules.EXCEPTIONS:
    _EXCEPTIONS.setdefault(_prefix.split("/", 1)[0].lower(), []).append((_prefix.lower(), Privilege(_level), _why))
# a verb that ends in a secret's name: listKeys, getSecret, listCredentials, regenerateKey, listAccountSas, ...
_SECRET_VERB = re.compile("(?:" + "|".join(rules.SECRET_WORDS) + ")s?$")
_READ_VERB = re.compile(r"^(read|get|list|query|search|receive|listen|download|export|view)", re.IGNORECASE)


def _probe(
    tables: tuple[dict[str, list[tuple[str, str, Privilege]]], ...], patterns: tuple[str, ...], nots: tuple[str, ...]
) -> Verdict | None:
    """The highest verdict of the probes some pattern grants (and no not-pattern takes back)."""
    for table in tables:  # ordered highest level first
        for pattern in patterns:
            provider = pattern.split("/", 1)[0].lower()
            candidates = table["*"] if "*" in provider else table.get(provider, ())
            for probe, why, level in candidates:
                if _matches(pattern, probe) and not any(_matches(n, probe) for n in nots):
                    return Verdict(level, _granted(pattern, probe, why))
    return None


def _exception(pattern: str) -> tuple[Privilege, str] | None:
    """The level and reason of the reviewed exception ``pattern`` falls under, if any."""
    low = pattern.lower()
    entries = _EXCEPTIONS.get(low.split("/", 1)[0], ())
    return next(((level, why) for prefix, level, why in entries if low.startswith(prefix)), None)


def _excepted(pattern: str, exception: tuple[Privilege, str]) -> Verdict | None:
    level, why = exception
    return None if level is Privilege.NORMAL else Verdict(level, f"{pattern}: {why}")


def _segments(action: str) -> tuple[str, str]:
    """(resource type, verb) of an operation: the type after the provider, the verb its last word."""
    parts = action.split("/")
    verb = parts[-2] if len(parts) > 2 and parts[-1].lower() == "action" else parts[-1]
    return (parts[1].lower() if len(parts) > 1 else ""), verb.lower()


def _control(pattern: str, nots: tuple[str, ...]) -> Verdict | None:
    """High for an operation that hands out secrets, or a wildcard broad enough to include one."""
    if any(_matches(n, pattern) for n in nots):
        return None  # taken back whole
    if exception := _exception(pattern):
        return _excepted(pattern, exception)
    rtype, verb = _segments(pattern)
    if _SECRET_VERB.search(verb):
        return Verdict(Privilege.HIGH, f"{pattern}: hands out secrets, keys or credentials")
    star = next(i for i, part in enumerate(pattern.split("/") + ["*"]) if "*" in part)
    if verb != "*" or star > 2 or rtype in rules.METADATA_TYPES:
        return None  # one verb ("X/write", "X/*/read"), or a wildcard below a resource type's children
    return Verdict(
        Privilege.HIGH,
        f"{pattern}: every operation it covers, listing keys, secrets and connection strings included",
    )


def _data_kind(pattern: str, verb: str) -> str:
    """ "write", "read" or "use" (an operation that neither changes nor reads stored data, e.g. "analyze")."""
    low = pattern.lower()
    if verb == "*" or low.endswith(("/write", "/delete")):
        return "write"
    if low.endswith("/read"):
        return "read"
    if any(word in verb for word in rules.WRITE_WORDS):
        return "write"
    return "read" if _READ_VERB.match(verb) else "use"


def _data(pattern: str, nots: tuple[str, ...]) -> Verdict | None:
    """High for a data-plane write, or a read of a sensitive data plane; None when narrow and harmless."""
    if any(_matches(n, pattern) for n in nots):
        return None
    if exception := _exception(pattern):
        return _excepted(pattern, exception)
    _, verb = _segments(pattern)
    if _SECRET_VERB.search(verb) and "metadata" not in verb:
        return Verdict(Privilege.HIGH, f"{pattern}: reads secrets, keys or credentials")
    if _data_kind(pattern, verb) == "write":
        return Verdict(Privilege.HIGH, f"{pattern}: writes data others rely on")
    low = pattern.lower()
    for prefix, read_verb, why in _SENSITIVE_READS_DATA:
        if low.startswith(prefix) and (not read_verb or read_verb == verb):
            return Verdict(Privilege.HIGH, f"{pattern}: {why}")
    return None


def role_permissions_verdict(
    actions: Iterable[str],
    not_actions: Iterable[str] = (),
    data_actions: Iterable[str] = (),
    not_data_actions: Iterable[str] = (),
) -> Verdict:
    """The privilege of a set of Azure role permissions and why (computed once per distinct set)."""
    return _role_verdict(tuple(actions), tuple(not_actions), tuple(data_actions), tuple(not_data_actions))


@cache
def _role_verdict(
    actions: tuple[str, ...], not_actions: tuple[str, ...], data_actions: tuple[str, ...], not_data: tuple[str, ...]
) -> Verdict:
    found = (
        _probe(_DATA_PROBES[:1], data_actions, not_data)
        or _probe(_CONTROL_PROBES[:1], actions, not_actions)
        or _probe(_CONTROL_PROBES[1:], actions, not_actions)
        or _probe(_DATA_PROBES[1:], data_actions, not_data)
    )
    found = found or next(filter(None, (_data(a, not_data) for a in data_actions)), None)
    found = found or next(filter(None, (_control(a, not_actions) for a in actions)), None)
    return found or _normal(actions, data_actions)


def _normal(actions: tuple[str, ...], data_actions: tuple[str, ...]) -> Verdict:
    if data_actions:
        data = data_actions[0]
        exception = _exception(data)
        what = exception[1] if exception else "uses or reads data that is neither secret nor sensitive"
        return Verdict(Privilege.NORMAL, f"{data}: {what}")
    if not actions:
        return Verdict(Privilege.NORMAL, "grants no operation")
    # name the widest change, preferring one that no reviewed exception explains away
    changing = sorted(
        (a for a in actions if not a.lower().endswith("/read")), key=lambda a: (bool(_exception(a)), "*" not in a)
    )
    widest = changing[0] if changing else next((a for a in actions if "*" in a), actions[0])
    if widest.lower().endswith("/read"):
        return Verdict(Privilege.NORMAL, f"{widest}: reads settings, not secrets or data")
    return Verdict(
        Privilege.NORMAL,
        f"{widest}: changes that reach neither access, identities, code, secrets nor data",
    )


def role_verdict(role: RoleDefinition) -> Verdict:
    """The privilege of a role definition and why."""
    return _role_verdict(role.actions, role.not_actions, role.data_actions, role.not_data_actions)


def classify_role(role: RoleDefinition) -> Privilege:
    return role_verdict(role).level


def highest(levels: Iterable[Privilege]) -> Privilege:
    """The highest of these privileges (by rank); NORMAL when there is none. (Called for every identity of a
    load: a set and three lookups beat ``max`` with a key.)"""
    seen = set(levels)
    return next((level for level in _DESCENDING if level in seen), Privilege.NORMAL)


_DESCENDING = (Privilege.CRITICAL, Privilege.HIGH)


def _rank(level: Privilege) -> int:
    return level.rank


# --- Microsoft Entra directory roles -------------------------------------------------------------------------


@cache
def _directory_pattern(action: str) -> re.Pattern[str]:
    """A directory role action as a regex over actions: ``allEntities`` any entity, ``allProperties`` any property
    path (or none), ``allTasks`` any rest of the path (a verb, or a property set and a verb), ``*`` anything."""
    namespace, *segments = action.split("/")
    body = ".*".join(re.escape(p) for p in namespace.split("*"))
    for seg in segments:
        low = seg.lower()
        if low == "allentities":
            body += "/[^/]+"
        elif low == "allproperties":
            body += "(?:/[^/]+)*"
        elif low == "alltasks":
            body += "(?:/[^/]+)+"
        else:
            body += "/" + ".*".join(re.escape(p) for p in seg.split("*"))
    return re.compile(body, re.IGNORECASE)


def _is_directory_read(action: str) -> bool:
    """read, limitedRead, restrictedRead: the verbs that only read."""
    return action.rsplit("/", 1)[-1].lower().endswith("read")


def _as_owner(action: str) -> bool:
    """createAsOwner: creates an object the holder then owns, a right over nothing that exists."""
    return action.rsplit("/", 1)[-1].lower().endswith("asowner")


def _directory_hit(pattern: str, rule: str) -> str | None:
    """How the role's ``pattern`` meets the ``rule`` (an action, or a family of writes written with wildcards):
    "within" when the pattern is one of the rule's actions, "includes" when the pattern is wider, else None."""
    if rule.rsplit("/", 1)[-1].lower() == "alltasks" and (_is_directory_read(pattern) or _as_owner(pattern)):
        return None  # a family of writes: its reads are not in it, nor creating objects of one's own
    if pattern.lower() == rule.lower() or _directory_pattern(rule).fullmatch(pattern):
        return "within"
    if _directory_pattern(pattern).fullmatch(rule):
        return "includes"
    return None


def _directory_rules(table: Iterable[tuple[str, str]], level: Privilege, actions: tuple[str, ...]) -> Verdict | None:
    for rule, why in table:
        for pattern in actions:
            hit = _directory_hit(pattern, rule)
            if hit == "within":
                return Verdict(level, f"{pattern}: {why}")
            if hit == "includes":
                return Verdict(level, f"{pattern} (includes {rule}): {why}")
    return None


_DIRECTORY_EXCEPTIONS = tuple(
    (prefix.lower(), Privilege(level), why) for prefix, level, why, _ in directory_rules.DIRECTORY_EXCEPTIONS
)


def _directory_exception(action: str) -> tuple[Privilege, str] | None:
    low = action.lower()
    return next(((level, why) for prefix, level, why in _DIRECTORY_EXCEPTIONS if low.startswith(prefix)), None)


def _what_it_changes(action: str) -> str:
    namespace, _, rest = action.partition("/")
    entity = rest.split("/", 1)[0]
    if not entity or entity.lower() == "allentities" or "*" in entity:
        return f"everything in {namespace}"
    return entity


def directory_actions_verdict(actions: Iterable[str]) -> Verdict:
    """The privilege of a set of directory role actions and why (computed once per distinct set)."""
    return _directory_verdict(tuple(actions))


@cache
def _directory_verdict(actions: tuple[str, ...]) -> Verdict:
    found = _directory_rules(
        directory_rules.CRITICAL_DIRECTORY_ACTIONS, Privilege.CRITICAL, actions
    ) or _directory_rules(directory_rules.HIGH_DIRECTORY_ACTIONS, Privilege.HIGH, actions)
    if found:
        return found
    excepted: list[tuple[str, str]] = []
    for action in actions:
        if _is_directory_read(action):
            continue
        exception = _directory_exception(action)
        if exception is None and _as_owner(action):
            return Verdict(Privilege.HIGH, f"{action}: creates {_what_it_changes(action)} that it then owns")
        if exception is None:
            return Verdict(
                Privilege.HIGH,
                f"{action}: changes {_what_it_changes(action)} across the tenant (or the administrative units it "
                "is assigned over)",
            )
        level, why = exception
        if level is not Privilege.NORMAL:
            return Verdict(level, f"{action}: {why}")
        excepted.append((action, why))
    if excepted:
        action, why = excepted[0]
        return Verdict(Privilege.NORMAL, f"{action}: {why}")
    if actions:
        return Verdict(Privilege.NORMAL, f"{actions[0]}: reads directory settings, not secrets or credentials")
    return Verdict(Privilege.NORMAL, "grants no operation")


def directory_role_verdict(definition: DirectoryRoleDefinition) -> Verdict:
    """The privilege of a directory role (built-in or custom: both by their allowed actions) and why. Actions under
    a condition ($ResourceIsSelf, $SubjectIsOwner: on itself or on what it owns) do not count."""
    if not definition.allowed_actions and definition.conditional_actions:
        action = definition.conditional_actions[0]
        return Verdict(
            Privilege.NORMAL, f"{action}: only on itself or on the objects it owns (a condition of the role)"
        )
    return _directory_verdict(definition.allowed_actions)


# Which built-in roles grant a right, for the hint of a 403 ("you need ... at that scope").
_ROLES_FOR_ACTION: tuple[tuple[str, str], ...] = (
    (
        "Microsoft.Authorization/roleAssignments/",
        "Owner, User Access Administrator or Role Based Access Control Administrator",
    ),
    ("Microsoft.Authorization/roleDefinitions/", "Owner or User Access Administrator"),
    (
        "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/",
        "Managed Identity Contributor, Contributor or Owner",
    ),
    ("Microsoft.ManagedIdentity/userAssignedIdentities/assign/", "Managed Identity Operator, Contributor or Owner"),
    ("Microsoft.ManagedIdentity/", "Managed Identity Contributor, Contributor or Owner"),
)


def roles_granting(action: str) -> str:
    """The built-in roles that grant ``action`` (a human phrase), for error hints."""
    low = action.lower()
    if low.endswith("/read"):
        return "Reader (or any role that includes it, e.g. Contributor or Owner)"
    for prefix, roles in _ROLES_FOR_ACTION:
        if low.startswith(prefix.lower()):
            return roles
    return "Contributor or Owner (or a custom role that includes it)"
