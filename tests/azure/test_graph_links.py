"""A Graph page's next link read from the head of its answer (tui/azure/graph_links.py): through the real Graph
client's pipeline on the sandbox's pages, and on heads cut short, reordered or compressed on purpose."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from tui.azure.demo import connect_emulator
from tui.azure.graph_links import HEAD_LIMIT, LINK_KEY, _HeadReader
from tui.azure.paging import graph_body
from tui.azure.records import link_in_head
from tui.emulator.server import Emulator

NEXT = "https://graph.example/v1.0/servicePrincipals?$skiptoken=abc%27"


def test_the_link_is_read_from_the_head_when_it_comes_before_the_items() -> None:
    page = json.dumps({"@odata.context": "https://graph.example/$metadata#x", "@odata.nextLink": NEXT, "value": [1]})
    assert link_in_head(page.encode(), LINK_KEY) == NEXT
    cut = page.encode()[: page.index(NEXT) + 10]
    assert link_in_head(cut, LINK_KEY) is False  # (the link goes on past what came so far: read more)
    assert link_in_head(b'{"@odata.context": "https://graph.example/$metadata#x"', LINK_KEY) is False
    assert (
        link_in_head(b'{"@odata.context": "c", "value": [{"@odata.nextLink": "x"}', LINK_KEY) is None
    )  # (items first)
    assert (
        link_in_head(b'{"value": [], "@odata.nextLink": "x"}', LINK_KEY) is None
    )  # (written after the items: no hint)
    assert link_in_head(b'{"@odata.nextLink": 7, "value": []}', LINK_KEY) is None
    hostile = json.dumps({"@odata.context": 'c", "@odata.nextLink": "https://evil', "value": []})
    assert link_in_head(hostile.encode(), LINK_KEY) is None  # (a key's text inside a string is not the key)


def test_a_compressed_head_is_read_as_its_encoding_gives_it() -> None:
    body = json.dumps({"@odata.nextLink": NEXT, "value": [{"id": str(i)} for i in range(20000)]}).encode()
    squeezed = gzip.compress(body)
    reader = _HeadReader("gzip")
    for start in range(0, len(squeezed), 4096):
        reader.add(squeezed[start : start + 4096])
        if len(reader.head) >= HEAD_LIMIT:
            break
    assert reader.readable and link_in_head(reader.head, LINK_KEY) == NEXT and len(reader.head) <= HEAD_LIMIT
    assert not _HeadReader("br").readable  # (not read here: no hint, the full decode says)
    broken = _HeadReader("gzip")
    broken.add(b"not gzip at all")
    assert not broken.readable


async def test_each_page_of_a_real_listing_names_its_next_page_before_its_body_is_decoded(
    demo_emulator: Emulator, tmp_path: Path
) -> None:
    """Through the real Graph client (its kiota pipeline, with LinkPeek in it) on the sandbox's pages of three:
    every page's head names the same next link its full body does, and the last page names none."""
    from kiota_abstractions.base_request_configuration import RequestConfiguration
    from kiota_abstractions.method import Method
    from kiota_abstractions.request_information import RequestInformation
    from msgraph.generated.service_principals.service_principals_request_builder import (
        ServicePrincipalsRequestBuilder,
    )

    session = await connect_emulator(demo_emulator, audit_log=str(tmp_path / "a.jsonl"))
    backend = session.backend
    try:
        qp = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(select=["id"], top=3)
        info = backend.graph.service_principals.to_get_request_information(RequestConfiguration(query_parameters=qp))
        hints: list[str] = []
        links: list[str | None] = []
        while True:
            body = await graph_body(backend, info, on_link=hints.append)
            links.append(json.loads(body or b"{}").get("@odata.nextLink"))
            if not links[-1]:
                break
            info = RequestInformation()
            info.http_method = Method.GET
            info.url = links[-1]
        assert len(links) >= 3
        assert hints == links[:-1]
    finally:
        await session.close()
