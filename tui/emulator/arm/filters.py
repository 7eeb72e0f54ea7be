"""ARM's ``$filter`` mini-language, as far as the sandbox tenant serves it.

Grammar: ``expr := term ("or" term)*``, ``term := factor ("and" factor)*``, ``factor := "(" expr ")" |
name "(" [value ("," value)*] ")" | path ("eq"|"ne") value``; values are ``'quoted'`` (a doubled quote escapes
one), ``null``, or a bare word. Parsing yields a small tree; each route interprets the names it supports and
answers 400 for the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tui.emulator.arm.errors import bad_request
from tui.emulator.arm.shapes import identity_json
from tui.emulator.tenant import Resource, Tenant

_TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<punct>[(),])|(?P<word>[^\s(),']+))")


class FilterError(ValueError):
    pass


@dataclass(frozen=True)
class Compare:
    path: str  # lower-cased, e.g. "resourcetype", "identity/principalid"
    op: str  # "eq" | "ne"
    value: str | None  # None for null


@dataclass(frozen=True)
class Call:
    name: str  # lower-cased, e.g. "atscope", "assignedto", "substringof"
    args: tuple[str | None, ...]


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


Node = Compare | Call | And | Or


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"Invalid $filter near position {pos}.")
        pos = m.end()
        if m.group("str") is not None:
            out.append(("str", m.group("str")[1:-1].replace("''", "'")))
        elif m.group("punct") is not None:
            out.append(("punct", m.group("punct")))
        else:
            out.append(("word", m.group("word")))
    return out


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FilterError("The $filter ends too early.")
        self.i += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and tok[0] == "word" and tok[1].lower() == word:
            self.i += 1
            return True
        return False

    def expr(self) -> Node:
        parts = [self.term()]
        while self.keyword("or"):
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def term(self) -> Node:
        parts = [self.factor()]
        while self.keyword("and"):
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def value(self) -> str | None:
        kind, text = self.take()
        if kind == "str":
            return text
        if kind == "word":
            return None if text.lower() == "null" else text
        raise FilterError(f"Unexpected '{text}' in $filter.")

    def factor(self) -> Node:
        kind, text = self.take()
        if kind == "punct" and text == "(":
            node = self.expr()
            if self.take() != ("punct", ")"):
                raise FilterError("Unbalanced parentheses in $filter.")
            return node
        if kind != "word":
            raise FilterError(f"Unexpected '{text}' in $filter.")
        nxt = self.peek()
        if nxt == ("punct", "("):
            self.i += 1
            args: list[str | None] = []
            if self.peek() == ("punct", ")"):
                self.i += 1
                return Call(text.lower(), ())
            while True:
                args.append(self.value())
                sep = self.take()
                if sep == ("punct", ")"):
                    break
                if sep != ("punct", ","):
                    raise FilterError("Expected ',' or ')' in $filter.")
            return Call(text.lower(), tuple(args))
        op_tok = self.take()
        op = op_tok[1].lower()
        if op_tok[0] != "word" or op not in ("eq", "ne"):
            raise FilterError(f"Unsupported operator '{op_tok[1]}' in $filter.")
        return Compare(text.lower(), op, self.value())


def parse_filter(text: str | None) -> Node | None:
    """The parsed ``$filter``, or None when it is absent or empty (ARM tolerates ``$filter=``)."""
    if text is None or not text.strip():
        return None
    parser = _Parser(text)
    node = parser.expr()
    if parser.peek() is not None:
        raise FilterError(f"Unexpected '{parser.peek()[1]}' in $filter.")  # type: ignore[index]
    return node


def conjuncts(node: Node | None) -> list[Compare | Call] | None:
    """The flat list of an ``and``-only filter, or None if it uses ``or``/nesting that way."""
    if node is None:
        return []
    if isinstance(node, Compare | Call):
        return [node]
    if isinstance(node, And):
        out: list[Compare | Call] = []
        for p in node.parts:
            sub = conjuncts(p)
            if sub is None:
                return None
            out.extend(sub)
        return out
    return None


def tag_predicate(node: Node | None) -> Callable[[dict], bool]:
    parts = conjuncts(node)
    if parts is None:
        raise bad_request("InvalidFilter", "Resource groups can be filtered by tagName and tagValue only.")
    name = value = None
    for p in parts:
        if isinstance(p, Compare) and p.op == "eq" and p.path == "tagname":
            name = p.value
        elif isinstance(p, Compare) and p.op == "eq" and p.path == "tagvalue":
            value = p.value
        else:
            raise bad_request("InvalidFilter", "Resource groups can be filtered by tagName and tagValue only.")

    def pred(tags: dict) -> bool:
        if name is None:
            return value is None or value in tags.values()
        return any(k.lower() == name.lower() and (value is None or v == value) for k, v in tags.items())

    return pred


def resource_predicate(node: Node | None, tenant: Tenant) -> Callable[[Resource], bool]:
    """ARM's resource ``$filter``: location, resourceType, name, resourceGroup, identity, identity/principalId
    (eq/ne), substringof(value, name|resourceGroup), tagName/tagValue pairs, joined by and/or."""
    if node is None:
        return lambda r: True

    def principal_ids(r: Resource) -> list[str]:
        ids = [r.system_principal_id] if r.system_principal_id else []
        for uid in r.user_assigned_identity_ids:
            u = tenant.resource(uid)
            if u is not None and u.principal_id:
                ids.append(u.principal_id)
        return [i.lower() for i in ids]

    def identity_type(r: Resource) -> str | None:
        ident = identity_json(r, tenant)
        return ident["type"] if ident else None

    def compile_(n: Node) -> Callable[[Resource], bool]:
        if isinstance(n, Compare):
            v = n.value.lower() if n.value is not None else None
            getter: Callable[[Resource], Any]
            if n.path == "resourcetype":
                getter = lambda r: r.type.lower()  # noqa: E731
            elif n.path == "name":
                getter = lambda r: r.name.lower()  # noqa: E731
            elif n.path == "location":
                getter = lambda r: r.location.lower()  # noqa: E731
            elif n.path == "resourcegroup":
                getter = lambda r: r.resource_group.lower()  # noqa: E731
            elif n.path == "identity":
                getter = lambda r: (identity_type(r) or "").lower() or None  # noqa: E731
                if v is not None and v not in ("null", "none"):
                    # identity eq 'SystemAssigned' also matches "SystemAssigned, UserAssigned"
                    want = v

                    def has(r: Resource) -> bool:
                        kinds = [k.strip() for k in (identity_type(r) or "").lower().split(",")]
                        return want in kinds

                    return has if n.op == "eq" else (lambda r: not has(r))
                v = None
            elif n.path == "identity/principalid":
                if v is None:
                    raise FilterError("identity/principalId needs a value")
                want_pid = v
                return (
                    (lambda r: want_pid in principal_ids(r))
                    if n.op == "eq"
                    else (lambda r: want_pid not in principal_ids(r))
                )
            elif n.path == "tagname":
                want_tag, positive = v, n.op == "eq"
                return lambda r: any(k.lower() == want_tag for k in r.tags) == positive
            elif n.path == "tagvalue":
                want_val, positive_v = n.value, n.op == "eq"
                return lambda r: (want_val in r.tags.values()) == positive_v
            elif n.path.startswith("plan"):
                getter = lambda r: None  # noqa: E731 - sandbox resources carry no plan
            else:
                raise FilterError(f"The property '{n.path}' cannot be used in $filter.")
            if n.op == "eq":
                return lambda r: getter(r) == v
            return lambda r: getter(r) != v
        if isinstance(n, Call):
            if n.name == "substringof" and len(n.args) == 2 and n.args[0] is not None:
                needle = n.args[0].lower()
                prop = (n.args[1] or "").lower()
                if prop == "name":
                    return lambda r: needle in r.name.lower()
                if prop == "resourcegroup":
                    return lambda r: needle in r.resource_group.lower()
            raise FilterError(f"The function '{n.name}' is not supported in $filter.")
        if isinstance(n, And):
            # tagName eq 'k' and tagValue eq 'v' means one tag with that name and value
            names = [p for p in n.parts if isinstance(p, Compare) and p.path == "tagname" and p.op == "eq"]
            values = [p for p in n.parts if isinstance(p, Compare) and p.path == "tagvalue" and p.op == "eq"]
            rest = [p for p in n.parts if p not in names and p not in values]
            preds = [compile_(p) for p in rest]
            if len(names) == 1 and len(values) == 1:
                k, val = (names[0].value or "").lower(), values[0].value
                preds.append(lambda r: any(tk.lower() == k and tv == val for tk, tv in r.tags.items()))
            else:
                preds.extend(compile_(p) for p in names + values)
            return lambda r: all(p(r) for p in preds)
        parts = [compile_(p) for p in n.parts]
        return lambda r: any(p(r) for p in parts)

    return compile_(node)
