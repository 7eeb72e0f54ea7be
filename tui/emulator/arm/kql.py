"""The subset of the Kusto Query Language (KQL) that the sandbox's Resource Graph answers.

A query is a table followed by operators separated by ``|``::

    resources | where isnotempty(identity) or type =~ 'microsoft.managedidentity/userassignedidentities'
              | project id, name, type, location, tags, identity

Understood: the tables ``resources``, ``authorizationresources`` and ``resourcecontainers`` (any case);
``where`` with ``==``, ``!=`` (case-sensitive), ``=~``, ``!~`` (case-insensitive), ``in`` / ``in~`` / ``!in`` /
``!in~`` a list of literals, ``contains`` / ``startswith`` (case-insensitive), ``isnotempty()`` / ``isempty()``,
``and``, ``or``, ``not()`` and parentheses; ``project`` a list of columns (``name = path`` renames); ``extend name =
path``. A path is a column with ``.field`` or ``['field']`` steps into its
object. Anything else is refused (:class:`KqlError`, with where it happened), as the service refuses a query it
cannot parse."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

TABLES = ("resources", "authorizationresources", "resourcecontainers")
_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<op>==|!=|=~|!~|!in~|!in|in~|[|(),.=\[\]])|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)


class KqlError(ValueError):
    """A query outside the subset: ``token`` and ``position`` (0-based, in the query) say where."""

    def __init__(self, message: str, token: str, position: int) -> None:
        super().__init__(message)
        self.token = token
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str  # "str", "num", "op", "word", "end"
    text: str
    value: Any
    position: int


def tokens(text: str) -> list[Token]:
    out: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            bad = text[pos:].lstrip()
            start = len(text) - len(bad)
            raise KqlError(f"unexpected character '{bad[:1]}'", bad[:1], start)
        kind = m.lastgroup or ""
        raw = m.group(kind)
        start = m.start(kind)
        value: Any = raw
        if kind == "str":
            value = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif kind == "num":
            value = float(raw) if "." in raw else int(raw)
        out.append(Token(kind, raw, value, start))
        pos = m.end()
    out.append(Token("end", "<EOF>", None, len(text)))
    return out


Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]
Getter = Callable[[Row], Any]


@dataclass
class Query:
    table: str  # lower-case
    where: list[Predicate]  # every one must hold (in order; extends are applied first)
    extends: list[tuple[str, Getter]]
    project: list[tuple[str, Getter]] | None  # None: every column
    # the subscriptions a row must be of, when a ``where`` says so (``subscriptionId == '...'`` in a top-level
    # ``and``): the table is then read only there, as Resource Graph reads only the partitions it needs
    # ("": what lies above the subscriptions); None: no such term
    subscriptions: frozenset[str] | None = None

    def matches(self, row: Row) -> bool:
        if self.extends:
            row = self.extended(row)
        where = self.where
        if len(where) == 1:  # (the usual query: one ``where``; asked once per row of the table)
            return bool(where[0](row))
        return all(p(row) for p in where)

    def extended(self, row: Row) -> Row:
        extra = {name: get(row) for name, get in self.extends}
        return _Overlay(row, extra)

    def output(self, row: Row, columns: list[str]) -> dict[str, Any]:
        """The row as the answer carries it: the projected columns (else ``columns``, the table's)."""
        if self.extends:
            row = self.extended(row)
        if self.project is not None:
            return {name: get(row) for name, get in self.project}
        names = columns + [n for n, _ in self.extends]
        return {n: row[n] for n in names}


class Path:
    """A column, or a member within it (``properties.scope``): its value in a row (None where a step finds no
    object). ``column`` (as the query wrote it) and ``steps`` tell a caller what the value is made of."""

    __slots__ = ("column", "steps")

    def __init__(self, column: str, steps: tuple[str, ...]) -> None:
        self.column, self.steps = column, steps

    def __call__(self, row: Row) -> Any:
        value = row[self.column]
        for s in self.steps:
            if not isinstance(value, dict):
                return None
            value = value.get(s)
        return value


class _Overlay(Mapping[str, Any]):
    def __init__(self, base: Row, extra: dict[str, Any]) -> None:
        self.base, self.extra = base, extra

    def __getitem__(self, key: str) -> Any:
        return self.extra[key] if key in self.extra else self.base[key]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter([*self.base, *self.extra])

    def __len__(self) -> int:
        return len(self.base) + len(self.extra)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class Parser:
    def __init__(self, text: str, columns: Mapping[str, frozenset[str]]) -> None:
        self.toks = tokens(text)
        self.i = 0
        self.columns = columns  # table -> its column names (lower-case)
        self.known: set[str] = set()
        self._term: tuple[str, str, Any] | None = None  # the last factor, when it is ``column == literal``
        self._terms: list[tuple[str, str, Any] | None] = []  # the factors of the last top-level ``and``

    # --- tokens -------------------------------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def fail(self, message: str) -> KqlError:
        return KqlError(message, self.tok.text, self.tok.position)

    def take(self, kind: str, text: str | None = None) -> Token:
        t = self.tok
        if t.kind != kind or (text is not None and t.text.lower() != text):
            raise self.fail(f"expected {text or kind}, found '{t.text}'")
        self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        t = self.tok
        return t.kind == kind and (text is None or t.text.lower() == text)

    # --- the grammar --------------------------------------------------------------------------------------------
    def query(self) -> Query:
        table = self.take("word").text.lower()
        if table not in TABLES:
            self.i -= 1
            raise self.fail(f"unknown table '{self.tok.text}': the sandbox serves {', '.join(TABLES)}")
        self.known = set(self.columns[table])
        q = Query(table, [], [], None)
        while self.at("op", "|"):
            self.i += 1
            word = self.take("word").text.lower()
            if word == "where":
                if q.project is not None:
                    raise self.fail("'where' after 'project' is outside the sandbox's subset")
                q.where.append(self.disjunction())
                q.subscriptions = self.narrowed(q.subscriptions, {n.lower() for n, _ in q.extends})
            elif word == "project":
                if q.project is not None:
                    raise self.fail("a second 'project' is outside the sandbox's subset")
                q.project = self.assignments(allow_bare=True)
            elif word == "extend":
                if q.project is not None or q.where:
                    raise self.fail("'extend' must come before 'where' and 'project' in the sandbox's subset")
                q.extends.extend(self.assignments(allow_bare=False))
                self.known |= {n.lower() for n, _ in q.extends}
            else:
                self.i -= 1
                raise self.fail(f"the operator '{word}' is outside the sandbox's subset")
        if not self.at("end"):
            raise self.fail(f"unexpected '{self.tok.text}'")
        return q

    def assignments(self, *, allow_bare: bool) -> list[tuple[str, Getter]]:
        out: list[tuple[str, Getter]] = []
        while True:
            start = self.i
            name = self.take("word").text
            if self.at("op", "="):
                self.i += 1
                out.append((name, self.path()))
            elif allow_bare:
                self.i = start
                column = self.tok.text
                out.append((column, self.path()))
            else:
                raise self.fail("expected '=' in extend")
            if not self.at("op", ","):
                return out
            self.i += 1

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        terms = self._terms
        while self.at("word", "or"):
            self.i += 1
            parts.append(self.conjunction())
        self._terms = terms if len(parts) == 1 else []
        return parts[0] if len(parts) == 1 else (lambda row, ps=tuple(parts): any(p(row) for p in ps))

    def conjunction(self) -> Predicate:
        parts = [self.factor()]
        terms = [self._term]
        while self.at("word", "and"):
            self.i += 1
            parts.append(self.factor())
            terms.append(self._term)
        self._terms = terms
        return parts[0] if len(parts) == 1 else (lambda row, ps=tuple(parts): all(p(row) for p in ps))

    def narrowed(self, subscriptions: frozenset[str] | None, extended: set[str]) -> frozenset[str] | None:
        """``subscriptions`` narrowed by the ``subscriptionId == '...'`` terms of the ``where`` just parsed (every
        row it keeps is of one of them); a column that ``extend`` made does not count."""
        for term in self._terms:
            if term is None or term[0] != "subscriptionid" or term[0] in extended or term[1] not in ("==", "=~"):
                continue
            if not isinstance(term[2], str):
                return frozenset()
            found = frozenset({term[2].lower()})
            subscriptions = found if subscriptions is None else subscriptions & found
        return subscriptions

    def factor(self) -> Predicate:
        self._term = None
        if self.at("op", "("):
            self.i += 1
            inner = self.disjunction()
            self.take("op", ")")
            self._term = None
            return inner
        if self.at("word") and self.toks[self.i + 1].text == "(":
            fn = self.take("word").text.lower()
            self.take("op", "(")
            if fn == "not":
                inner = self.disjunction()
                self.take("op", ")")
                self._term = None
                return lambda row: not inner(row)
            if fn in ("isnotempty", "isempty"):
                get = self.path()
                self.take("op", ")")
                if fn == "isempty":
                    return lambda row: _empty(get(row))
                return lambda row: not _empty(get(row))
            self.i -= 2
            raise self.fail(f"the function '{fn}' is outside the sandbox's subset")
        column, start = self.tok.text.lower(), self.i
        get = self.path()
        op = self.tok
        if op.kind == "op" and op.text in ("==", "!=", "=~", "!~"):
            self.i += 1
            value = self.literal()
            predicate = _compare(get, op.text, value)
            self._term = (column, op.text, value) if self.i - start == 3 else None  # (a bare column: no steps)
            return predicate
        if op.kind == "word" and op.text.lower() in ("contains", "startswith"):
            self.i += 1
            value = self.literal()
            return _text_test(get, op.text.lower(), value)
        if (op.kind == "word" and op.text.lower() in ("in", "in~")) or (op.kind == "op" and "in" in op.text):
            self.i += 1
            values = self.literal_list()
            return _member(get, op.text.lower(), values)
        raise self.fail(f"expected a comparison, found '{op.text}'")

    def path(self) -> Path:
        first = self.take("word")
        column = first.text
        if column.lower() not in self.known:
            self.i -= 1
            raise self.fail(f"unknown column '{column}'")
        steps: list[str] = []
        while self.at("op", ".") or self.at("op", "["):
            if self.take("op").text == ".":
                steps.append(self.take("word").text)
            else:
                t = self.take("str")
                self.take("op", "]")
                steps.append(str(t.value))

        return Path(column, tuple(steps))

    def literal(self) -> Any:
        t = self.tok
        if t.kind in ("str", "num"):
            self.i += 1
            return t.value
        if t.kind == "word" and t.text.lower() in ("true", "false"):
            self.i += 1
            return t.text.lower() == "true"
        raise self.fail(f"expected a literal, found '{t.text}'")

    def literal_list(self) -> list[Any]:
        self.take("op", "(")
        values = [self.literal()]
        while self.at("op", ","):
            self.i += 1
            values.append(self.literal())
        self.take("op", ")")
        return values


def _compare(get: Getter, op: str, value: Any) -> Predicate:
    if op == "==":
        return lambda row: get(row) == value
    if op == "!=":
        return lambda row: get(row) != value
    folded = _lower(value)
    if op == "=~":
        return lambda row: _lower(get(row)) == folded
    return lambda row: _lower(get(row)) != folded


def _text_test(get: Getter, op: str, value: Any) -> Predicate:
    """``contains`` / ``startswith``: case-insensitive, as Kusto's are."""
    folded = str(value).lower()
    if op == "contains":
        return lambda row: isinstance(v := get(row), str) and folded in v.lower()
    return lambda row: isinstance(v := get(row), str) and v.lower().startswith(folded)


def _member(get: Getter, op: str, values: list[Any]) -> Predicate:
    negate = op.startswith("!")
    if op.endswith("~"):
        folded = {_lower(v) for v in values}
        test: Predicate = lambda row: _lower(get(row)) in folded  # noqa: E731
    else:
        exact = set(values)
        test = lambda row: get(row) in exact  # noqa: E731
    return (lambda row: not test(row)) if negate else test


def parse(text: str, columns: Mapping[str, frozenset[str]]) -> Query:
    """The query ``text`` (tables' columns in ``columns``), or :class:`KqlError`."""
    return Parser(text, columns).query()
