"""Declarative routes, in the style of moto's ``urls.py``: a table of URL patterns, each with its handlers by HTTP
method. ARM and Graph both route this way; a route's ``template`` is the spec's path, for statistics and faults.

Patterns match case-insensitively (clients send both ``resourcegroups`` and ``resourceGroups``). In a template,
``{name}`` matches one path segment; a pattern written by hand (a regular expression with named groups) says more,
e.g. ARM's ``{scope}``, any number of segments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def pattern_of(template: str, segment: str = r"[^/]+") -> re.Pattern[str]:
    """``template`` as a pattern: each ``{name}`` one segment (``segment``), a trailing slash allowed."""
    out, pos = [], 0
    for m in re.finditer(r"\{(\w+)\}", template):
        out.append(re.escape(template[pos : m.start()]))
        out.append(f"(?P<{m.group(1)}>{segment})")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return re.compile("^" + "".join(out) + "/?$", re.IGNORECASE)


@dataclass(frozen=True)
class Route:
    """A URL pattern and its handlers by method (``GET`` also answers ``HEAD`` where the family says so)."""

    template: str
    pattern: re.Pattern[str]
    handlers: Mapping[str, Any]
    public: bool = False  # served without a token (ARM's metadata endpoint)


def url(template: str, handlers: Mapping[str, Any], *, pattern: str | None = None, public: bool = False) -> Route:
    """One row of a route table: ``template`` (compiled with :func:`pattern_of` unless ``pattern`` is given)."""
    compiled = re.compile(pattern, re.IGNORECASE) if pattern is not None else pattern_of(template)
    return Route(template, compiled, dict(handlers), public)


def resolve(routes: list[Route], method: str, path: str) -> tuple[Route | None, Any, dict[str, str]]:
    """(route, handler, parameters) for ``method path``: the first route whose pattern matches and that has a
    handler for ``method``; (route, None, parameters) when routes match but none for the method (405); (None, None,
    {}) when none matches (404)."""
    known: tuple[Route, dict[str, str]] | None = None
    for route in routes:
        m = route.pattern.match(path)
        if m is None:
            continue
        handler = route.handlers.get(method)
        if handler is not None:
            return route, handler, m.groupdict()
        if known is None:
            known = (route, m.groupdict())
    return (known[0], None, known[1]) if known is not None else (None, None, {})
