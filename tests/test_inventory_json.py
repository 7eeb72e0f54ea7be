"""`mitui inventory --format json` text: the same document as json.dumps, one list item per line, ASCII only."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tui.commands.inventory import json_text

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text())
items = st.dictionaries(st.text(max_size=8), st.one_of(scalars, st.lists(scalars, max_size=3)), max_size=4)
documents = st.dictionaries(
    st.text(max_size=10),
    st.one_of(scalars, st.lists(items, max_size=5), st.dictionaries(st.text(), scalars)),
    max_size=6,
)


@given(documents)
def test_json_text_is_the_same_document(doc: dict[str, Any]) -> None:
    text = json_text(doc)
    assert json.loads(text) == doc
    assert text.isascii()  # no control or bidi character of an Azure string reaches a terminal raw


def test_each_identity_is_one_line() -> None:
    doc = {
        "tenantId": "t",
        "identities": [{"name": "a\nb", "roleAssignments": [{"id": "x"}]}, {"name": "c\u202e", "roleAssignments": []}],
        "problems": [],
    }
    lines = json_text(doc).splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    identity_lines = [line for line in lines if line.lstrip().startswith('{"name"')]
    assert [json.loads(line.strip().rstrip(",")) for line in identity_lines] == doc["identities"]
    assert '"problems": []' in json_text(doc)
