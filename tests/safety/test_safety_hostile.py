"""Hostile data from the tenant (names, tags, role and app role texts with markup, ANSI/OSC escapes, control
characters, bidi overrides, zero-width characters, 500-character strings and emoji) through `mitui inventory`
against `mitui emulator --tenant tests/fixtures/hostile-tenant.json`: JSON keeps every string exactly (escaped),
CSV and the table show it inert, and no cell can become a spreadsheet formula. Commands built for hostile
identities and scopes cannot be broken out of (hypothesis)."""

from __future__ import annotations

import csv
import io
import json
import shlex
import subprocess
import sys
import unicodedata
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safety_helpers import ROOT, clean_env, connection_flags, identity_env, ps_tokens, start_served, stop_served

from tui.emulator.tenants.fixture import load_tenant_file
from tui.services.models import IdentityKind, ManagedIdentity, Privilege, RoleDefinition
from tui.services.plans import PlanAction, role_assignment_plan, role_removal_plan
from tui.services.text import plain

FIXTURE = ROOT / "tests" / "fixtures" / "hostile-tenant.json"
HOSTILE_STRINGS: set[str] = set()  # distinct hostile strings from the fixture seen through the inventory
GENERATED: list[int] = [0]  # hypothesis examples (arbitrary names / scopes / literals)
BIDI_AND_INVISIBLE = {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}
BIDI_AND_INVISIBLE |= {"\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


@pytest.fixture(scope="module", autouse=True)
def _print_count() -> Iterator[None]:
    yield
    print(f"\n[safety] hostile strings tried: {len(HOSTILE_STRINGS)} from the fixture, {GENERATED[0]} generated")


def _is_hostile(s: str) -> bool:
    return (
        len(s) > 100
        or "[" in s
        or any(unicodedata.category(c) in ("Cc", "Cf", "So", "Cs") or c in BIDI_AND_INVISIBLE for c in s)
    )


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    tmp = tmp_path_factory.mktemp("hostile")
    proc, conn = start_served(tmp / "emulator", "--tenant", str(FIXTURE))
    try:
        runs = {
            fmt: subprocess.Popen(
                [sys.executable, "-m", "tui.cli", "inventory", *connection_flags(conn), "--format", fmt],
                cwd=ROOT,
                env=clean_env(identity_env(conn), tmp),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            for fmt in ("json", "csv", "table")
        }
        out = {}
        for fmt, p in runs.items():
            stdout, stderr = p.communicate(timeout=180)
            assert p.returncode == 0, stderr.decode(errors="replace")[-2000:]
            assert stderr == b""
            out[fmt] = stdout.decode("utf-8")  # strict: the output is valid UTF-8
        yield out
    finally:
        stop_served(proc)


def test_json_keeps_every_hostile_string_exactly(outputs: dict[str, str]) -> None:
    text = outputs["json"]
    assert text.isascii()  # everything outside ASCII (and every control character) is a JSON escape
    data = json.loads(text)
    got = set(_strings(data))
    tenant = load_tenant_file(FIXTURE)
    expected: set[str] = set()
    for r in tenant.resources.values():
        expected.add(r.name)
        expected.update(r.tags.values())
    expected.update(rd.role_name for rd in tenant.role_definitions.values() if rd.role_type == "CustomRole")
    for sp in tenant.service_principals.values():
        if sp.service_principal_type == "Application" and sp.app_roles:
            expected.update(str(r.get("value")) for r in sp.app_roles)
    hostile_expected = {s for s in expected if _is_hostile(s)}
    shown = {s for s in got if _is_hostile(s)}
    HOSTILE_STRINGS.update(hostile_expected | shown)
    # identity names, custom role names and hostile app role values reach the JSON byte for byte
    names = {i["name"] for i in data["identities"]}
    assert any(_is_hostile(n) for n in names), names
    assert {n for n in names if _is_hostile(n)} <= expected  # exactly the tenant's strings, not a mangled copy
    custom = {rd.role_name for rd in tenant.role_definitions.values() if rd.role_type == "CustomRole"}
    role_names = {a["roleName"] for i in data["identities"] for a in i["roleAssignments"]}
    assert custom & role_names, (custom, role_names)
    app_values = {g["appRoleValue"] for i in data["identities"] for g in i["appRoleAssignments"]}
    assert any(_is_hostile(v) for v in app_values), app_values
    assert len(shown) >= 5


def _check_inert(text: str, allowed: str) -> None:
    for c in text:
        o = ord(c)
        if o < 0x20 or 0x7F <= o < 0xA0:
            assert c in allowed, f"control character {o:#x} in the output"
        assert c not in BIDI_AND_INVISIBLE, f"invisible / bidi character U+{o:04X} in the output"
        assert unicodedata.category(c) != "Cs"


def test_table_is_inert_and_keeps_its_layout(outputs: dict[str, str]) -> None:
    table = outputs["table"]
    _check_inert(table, "\n")
    assert "\\x1b" in table and "\\u202e" in table  # shown, as visible escapes
    assert "[@click=app.quit]" in table or "[bold]" in table  # markup shown literally
    known = ("    resource ", "    role     ", "    app role ", "    ")
    identities = 0
    for line in table.splitlines():
        if not line or line.startswith(("Tenant ", "Orphaned role assignments", "Could not be read")):
            continue
        if line.startswith(known):
            continue
        # an identity's own line: its name cut to 60 characters, then its kind in parentheses
        identities += 1
        name, sep, rest = line.partition("  (")
        assert sep and rest.split(",", 1)[0] in ("user-assigned", "system-assigned"), line[:200]
        assert len(name) <= 60, (len(name), name)
    data = json.loads(outputs["json"])
    assert identities == len(data["identities"])  # no hostile name broke a line or swallowed one


def test_csv_is_inert_and_no_cell_is_a_formula(outputs: dict[str, str]) -> None:
    text = outputs["csv"]
    _check_inert(text, "\n")
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert all(len(r) == len(header) for r in body)  # no hostile value split or merged a row
    cells = [c for r in body for c in r]
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), [c for c in cells if c[:1] in "=+-@"]
    data = json.loads(outputs["json"])
    formulas = [s for s in _strings(data) if s[:1] in "=+-@"]
    for s in formulas:  # each formula-looking value is there, neutralised with a leading quote
        assert "'" + plain(s) in cells
    assert len(body) >= len(data["identities"])


# --- commands: hypothesis ---------------------------------------------------------------------------------------

PID = "11111111-2222-3333-4444-555555555555"
SUB = "/subscriptions/0c00c5f2-91b2-5d5e-b7ee-28a0a0156f13"
RD = SUB + "/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"

# ARM names: no control characters, none of / \ ? # % (what arm_id lets through) — everything else goes
segment = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\?#%"), min_size=1, max_size=40
).filter(lambda s: s not in (".", "..") and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in s))


@settings(max_examples=150, deadline=None)
@given(name=st.text(max_size=80), rg=segment, resource=segment, role_name=st.text(max_size=60), exists=st.booleans())
def test_commands_for_hostile_identities_cannot_be_broken_out_of(
    name: str, rg: str, resource: str, role_name: str, exists: bool
) -> None:
    scope = f"{SUB}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{resource}"
    ident = ManagedIdentity(PID, PID, name, IdentityKind.SYSTEM, scope)
    role = RoleDefinition(RD, RD.rsplit("/", 1)[-1], role_name, privilege=Privilege.HIGH)
    existing = None
    if exists:
        from tui.services.models import RoleAssignment

        existing = RoleAssignment(scope + "/providers/Microsoft.Authorization/roleAssignments/x", scope, RD, PID)
    plan = role_assignment_plan(ident, role, scope, existing)
    GENERATED[0] += 1
    args = shlex.split(plan.az_command)
    assert args[:4] == ["az", "role", "assignment", "create"]
    assert args[args.index("--scope") + 1] == scope
    assert args[args.index("--assignee-object-id") + 1] == PID
    assert len(args) == 12  # nothing in a name or scope added an argument
    tokens = ps_tokens(plan.powershell_command)
    assert tokens[0] == "New-AzRoleAssignment" and len(tokens) == 7
    assert tokens[tokens.index("-Scope") + 1] == scope
    # the summary says what the plan does, with the exact (untrusted) texts: the UI escapes them when it shows them
    rows = dict(plan.summary())
    assert rows["Identity"] == name and rows["Role"] == role_name and rows["Scope"] == scope
    assert rows["Privilege"] == "high" and rows["Action"] == PlanAction.ASSIGN_ROLE.verb
    assert plan.nothing_to_do is exists and ("nothing to do" in rows["Status"]) is exists
    assert plan.requires_typed_confirmation is False

    if existing is not None:
        removal = role_removal_plan(ident, existing, still_exists=True)
        assert shlex.split(removal.az_command)[-1] == existing.id
        assert ps_tokens(removal.powershell_command)[-1] == scope
        assert not removal.nothing_to_do and dict(removal.summary())["Scope"] == scope


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_powershell_literal_round_trips(value: str) -> None:
    from tui.services.plans import ps_quote

    GENERATED[0] += 1
    assert ps_tokens("X -Y " + ps_quote(value) + " -Z 'z'") == ["X", "-Y", value, "-Z", "z"]
