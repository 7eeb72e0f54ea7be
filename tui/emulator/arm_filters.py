"""ARM's ``$filter`` mini-language, as far as the sandbox tenant serves it.

Grammar: ``expr := term ("or" term)*``, ``term := factor ("and" factor)*``, ``factor := "(" expr ")" |
name "(" [value ("," value)*] ")" | path ("eq"|"ne") value``; values are ``'quoted'`` (a doubled quote escapes
one), ``null``, or a bare word. Parsing yields a small tree; each route interprets the names it supports and
answers 400 for the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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
