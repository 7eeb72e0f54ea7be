"""Microsoft Graph's OData query options for directory objects: ``$filter``, ``$search``, ``$select``,
``$orderby``, ``$top`` and ``$skiptoken``, as far as the sandbox tenant serves them.

``$filter`` grammar (case-insensitive keywords and property names, single-quoted strings with ``''`` as escape)::

    expr    := and ('or' and)*
    and     := unary ('and' unary)*
    unary   := 'not' unary | '(' expr ')' | call | lambda | compare
    call    := ('startswith' | 'endswith') '(' prop ',' literal ')'
    lambda  := prop '/' 'any' '(' var ':' (var op literal | var 'in' list | 'startswith(' var ',' literal ')') ')'
    compare := prop ('eq' | 'ne' | 'ge' | 'le') literal | prop 'in' list
    list    := '(' literal (',' literal)* ')'
    literal := 'string' | true | false | null | number

``ne``, ``not`` and ``endswith`` are "advanced queries": Graph answers them only with the header
``ConsistencyLevel: eventual`` and ``$count=true``; :attr:`Filter.advanced` says whether one was used.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class QueryError(Exception):
    """A query Graph would refuse: answered 400 with ``code``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# Properties of an object that $filter may name: lower-case name -> (canonical name, is collection)
FilterProps = Mapping[str, tuple[str, bool]]
Getter = Callable[[Any, str], Any]  # (object, canonical property name) -> value

_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+(?:\.\d+)?)(?![\w-])|(?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})|(?P<name>[A-Za-z_$][\w.]*)|(?P<punct>[(),/:]))"
)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryError("BadRequest", f"Invalid filter clause: syntax error at position {pos} in '{text}'.")
        kind = m.lastgroup or ""
        tokens.append((kind, m.group(kind)))
        pos = m.end()
    return tokens


@dataclass
class Filter:
    predicate: Callable[[Any], bool]
    advanced: bool


class _Parser:
    def __init__(self, text: str, props: FilterProps, get: Getter, resource: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.props = props
        self.get = get
        self.resource = resource
        self.advanced = False

    # --- token helpers ---
    def peek(self, offset: int = 0) -> tuple[str, str] | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def is_word(self, word: str, offset: int = 0) -> bool:
        t = self.peek(offset)
        return t is not None and t[0] == "name" and t[1].lower() == word

    def is_punct(self, p: str, offset: int = 0) -> bool:
        t = self.peek(offset)
        return t is not None and t == ("punct", p)

    def take(self) -> tuple[str, str]:
        t = self.peek()
        if t is None:
            raise self.syntax("unexpected end of clause")
        self.i += 1
        return t

    def expect_punct(self, p: str) -> None:
        t = self.take()
        if t != ("punct", p):
            raise self.syntax(f"expected '{p}' but found '{t[1]}'")

    def syntax(self, why: str) -> QueryError:
        return QueryError("BadRequest", f"Invalid filter clause: {why}.")

    # --- grammar ---
    def parse(self) -> Filter:
        pred = self.expr()
        if self.peek() is not None:
            raise self.syntax(f"unexpected '{self.peek()[1]}'")  # type: ignore[index]
        return Filter(pred, self.advanced)

    def expr(self) -> Callable[[Any], bool]:
        parts = [self.conj()]
        while self.is_word("or"):
            self.i += 1
            parts.append(self.conj())
        return parts[0] if len(parts) == 1 else (lambda o: any(p(o) for p in parts))

    def conj(self) -> Callable[[Any], bool]:
        parts = [self.unary()]
        while self.is_word("and"):
            self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda o: all(p(o) for p in parts))

    def unary(self) -> Callable[[Any], bool]:
        if self.is_word("not"):
            self.i += 1
            self.advanced = True
            inner = self.unary()
            return lambda o: not inner(o)
        if self.is_punct("("):
            self.i += 1
            inner = self.expr()
            self.expect_punct(")")
            return inner
        if (self.is_word("startswith") or self.is_word("endswith")) and self.is_punct("(", 1):
            fn = self.take()[1].lower()
            self.i += 1
            prop, many = self.prop()
            self.expect_punct(",")
            value = self.literal()
            self.expect_punct(")")
            if fn == "endswith":
                self.advanced = True
            return self._text_test(prop, many, fn, value)
        prop, many = self.prop()
        if self.is_punct("/"):
            return self.lambda_(prop, many)
        if many:
            raise self.unsupported(prop)
        op = self.take()
        if op[0] != "name":
            raise self.syntax(f"expected an operator after '{prop}'")
        word = op[1].lower()
        if word == "in":
            values = self.literal_list()
            keys = {self._key(v) for v in values}
            return lambda o: self._key(self.get(o, prop)) in keys
        if word not in ("eq", "ne", "ge", "le"):
            raise QueryError("Request_UnsupportedQuery", f"Unsupported filter operator '{op[1]}'.")
        value = self.literal()
        if word == "ne":
            self.advanced = True
        return self._compare(prop, word, value)

    def lambda_(self, prop: str, many: bool) -> Callable[[Any], bool]:
        self.expect_punct("/")
        if not self.is_word("any"):
            raise QueryError("Request_UnsupportedQuery", f"Only 'any' lambdas are supported on '{prop}'.")
        if not many:
            raise self.unsupported(prop)
        self.i += 1
        self.expect_punct("(")
        var = self.take()
        if var[0] != "name":
            raise self.syntax("expected a lambda variable")
        self.expect_punct(":")
        if self.is_word("startswith"):
            self.i += 1
            self.expect_punct("(")
            if self.take() != var:
                raise self.syntax("startswith must test the lambda variable")
            self.expect_punct(",")
            prefix = self._key(self.literal())
            self.expect_punct(")")
            self.expect_punct(")")
            return lambda o: any(self._key(x).startswith(prefix) for x in self.get(o, prop) or [])
        if self.take() != var:
            raise self.syntax("the lambda must test its variable")
        op = self.take()
        if op[0] == "name" and op[1].lower() == "in":
            keys = {self._key(v) for v in self.literal_list()}
            self.expect_punct(")")
            return lambda o: any(self._key(x) in keys for x in self.get(o, prop) or [])
        if op[0] != "name" or op[1].lower() != "eq":
            raise QueryError("Request_UnsupportedQuery", f"Unsupported operator '{op[1]}' in a lambda on '{prop}'.")
        key = self._key(self.literal())
        self.expect_punct(")")
        return lambda o: any(self._key(x) == key for x in self.get(o, prop) or [])

    def prop(self) -> tuple[str, bool]:
        t = self.take()
        if t[0] != "name":
            raise self.syntax(f"expected a property name but found '{t[1]}'")
        found = self.props.get(t[1].lower())
        if found is None:
            raise self.unsupported(t[1])
        return found

    def unsupported(self, prop: str) -> QueryError:
        return QueryError(
            "Request_UnsupportedQuery",
            f"Unsupported or invalid query filter clause specified for property '{prop}' of resource "
            f"'{self.resource}'.",
        )

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "guid":
            return text
        if kind == "name" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "name" and text.lower() == "null":
            return None
        raise self.syntax(f"expected a literal but found '{text}'")

    def literal_list(self) -> list[Any]:
        self.expect_punct("(")
        values = [self.literal()]
        while self.is_punct(","):
            self.i += 1
            values.append(self.literal())
        self.expect_punct(")")
        if len(values) > 15:
            raise QueryError("Request_UnsupportedQuery", "The 'in' operator accepts at most 15 values.")
        return values

    @staticmethod
    def _key(value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    def _compare(self, prop: str, op: str, value: Any) -> Callable[[Any], bool]:
        key = self._key(value)
        get = self.get

        def test(o: Any) -> bool:
            v = self._key(get(o, prop))
            if op == "eq":
                return v == key
            if op == "ne":
                return v != key
            if v is None or key is None or type(v) is not type(key):
                return False
            return v >= key if op == "ge" else v <= key

        return test

    def _text_test(self, prop: str, many: bool, fn: str, value: Any) -> Callable[[Any], bool]:
        if not isinstance(value, str):
            raise self.syntax(f"{fn} needs a string")
        key = value.lower()
        get = self.get

        def one(v: Any) -> bool:
            if not isinstance(v, str):
                return False
            return v.lower().startswith(key) if fn == "startswith" else v.lower().endswith(key)

        if many:
            return lambda o: any(one(x) for x in get(o, prop) or [])
        return lambda o: one(get(o, prop))


def parse_filter(text: str, props: FilterProps, get: Getter, resource: str) -> Filter:
    """Compile a ``$filter`` expression into a predicate over objects read through ``get``."""
    if not text.strip():
        return Filter(lambda o: True, False)
    return _Parser(text, props, get, resource).parse()


# --- $search -----------------------------------------------------------------------------------------------
_SEARCH_CLAUSE = re.compile(r'\s*"(?P<prop>[A-Za-z]+):(?P<term>[^"]*)"\s*')
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+|[^\W\d_]+", re.UNICODE)


def words(text: str) -> list[str]:
    """Graph's tokenization for ``$search``: split on symbols, spaces and casing changes."""
    return [w.lower() for w in _WORDS.findall(text or "")]


def parse_search(text: str, searchable: set[str], get: Getter) -> Callable[[Any], bool]:
    """``$search="displayName:web" OR "displayName:func"``: each term's words must start words of the property."""
    clauses: list[tuple[str, list[str]]] = []
    joins: list[str] = []
    pos = 0
    text = text.strip()
    while True:
        m = _SEARCH_CLAUSE.match(text, pos)
        if not m:
            raise QueryError("Request_BadRequest", 'Invalid $search clause: expected "property:term".')
        prop = next((p for p in searchable if p.lower() == m.group("prop").lower()), None)
        if prop is None:
            raise QueryError(
                "Request_UnsupportedQuery", f"Unsupported property '{m.group('prop')}' in the $search clause."
            )
        clauses.append((prop, words(m.group("term"))))
        pos = m.end()
        if pos >= len(text):
            break
        j = re.match(r"(AND|OR)\s+", text[pos:])
        if not j:
            raise QueryError("Request_BadRequest", "Invalid $search clause: expected AND or OR between terms.")
        joins.append(j.group(1))
        pos += j.end()

    def clause(o: Any, prop: str, terms: list[str]) -> bool:
        have = words(get(o, prop) or "")
        return all(any(h.startswith(t) for h in have) for t in terms)

    def test(o: Any) -> bool:
        result = clause(o, *clauses[0])
        for join, c in zip(joins, clauses[1:], strict=True):
            result = (result and clause(o, *c)) if join == "AND" else (result or clause(o, *c))
        return result

    return test


# --- $select, $top, $orderby, $skiptoken ----------------------------------------------------------------------
def parse_select(text: str | None, known: list[str], type_name: str) -> list[str] | None:
    if text is None or not text.strip():
        return None
    by_lower = {k.lower(): k for k in known}
    out = []
    for raw in text.split(","):
        name = raw.strip()
        canonical = by_lower.get(name.lower())
        if canonical is None:
            raise QueryError("Request_BadRequest", f"Could not find a property named '{name}' on type '{type_name}'.")
        if canonical not in out:
            out.append(canonical)
    return out


def parse_top(text: str | None, default: int = 100, maximum: int = 999) -> int:
    if text is None:
        return default
    try:
        top = int(text.strip())
    except ValueError:
        raise QueryError("BadRequest", f"Invalid $top value '{text}': an integer is expected.") from None
    if top < 1 or top > maximum:
        raise QueryError(
            "Request_BadRequest", f"Invalid page size specified: '{top}'. Must be between 1 and {maximum} inclusive."
        )
    return top


def parse_orderby(text: str | None, sortable: set[str]) -> tuple[str, bool] | None:
    """``displayName [asc|desc]`` -> (canonical property, descending)."""
    if text is None or not text.strip():
        return None
    parts = text.split()
    prop = next((p for p in sortable if p.lower() == parts[0].lower()), None)
    if prop is None or len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
        raise QueryError("Request_UnsupportedQuery", "Sorting not supported for current query.")
    return prop, len(parts) == 2 and parts[1].lower() == "desc"


def encode_skiptoken(offset: int, eventual: bool = False) -> str:
    """An opaque page token. It remembers whether the first page was an advanced (eventual) query, so that a
    client following ``@odata.nextLink`` verbatim, without the ConsistencyLevel header, gets the next page."""
    text = f"mitui-page:{offset}:{int(eventual)}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_skiptoken(token: str) -> tuple[int, bool]:
    """(offset, eventual) from a token made by :func:`encode_skiptoken`."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        prefix, offset, eventual = text.split(":")
        if prefix != "mitui-page" or eventual not in ("0", "1"):
            raise ValueError(text)
        value = int(offset)
        if value < 0:
            raise ValueError(text)
        return value, eventual == "1"
    except (ValueError, UnicodeDecodeError):
        raise QueryError("Request_BadRequest", "The $skiptoken is invalid or has expired.") from None
