"""Reading collections to the end: ARM and Graph pages as plain JSON, and Graph ``$batch``.

Pages go through the SDK clients' pipelines (auth, retries, the read-only gate) but skip the SDKs' model
deserialization (azure-mgmt ~0.4 ms per role assignment, kiota ~13 ms per object: seconds for a tenant with tens of
thousands of them). Each page is decoded and converted (by a tui.azure.wire converter) in the CPU worker thread, so
that the event loop (a UI's) is never held for more than a moment."""

from __future__ import annotations

import asyncio
import json
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tui.azure import records
from tui.azure.calls import GRAPH_BATCH, Calls
from tui.azure.errors import map_error
from tui.services.errors import MituiError
from tui.services.offload import gather_limited, off_loop, off_loop_first

T = TypeVar("T")
READ_ATTEMPTS = 4  # reading an ARM page's body (the pipeline retries everything before it)


def decode_page(
    body: bytes | None, convert: Callable[[dict], Any] | None, next_link: str
) -> tuple[list[Any], str | None]:
    """(the items of an ARM or Graph page, ``convert``-ed; the link to the next page, under ``next_link``).

    ``convert`` may be a :class:`tui.azure.records.Records`: the page is then decoded straight into its records
    (or, when it does not fit them, as plain JSON through its plain converter)."""
    if isinstance(convert, records.Records) and body:
        try:
            return records.decode(body, convert, ("value", next_link))
        except records.Misfit:
            pass
    page = json.loads(body or b"{}")
    if not isinstance(page, dict):
        raise ValueError("not a JSON object")
    values = [v for v in page.get("value") or [] if isinstance(v, dict)]
    return ([convert(v) for v in values] if convert else values), page.get(next_link)


async def _decoded(
    body: bytes | None,
    convert: Callable[[dict], Any] | None,
    next_link: str,
    api: str,
    service: str,
    *,
    urgent: bool = False,
) -> tuple[list[Any], str | None]:
    """:func:`decode_page` in the CPU worker thread (``urgent``: ahead of what waits there); an unreadable page is
    the ``service``'s error."""
    try:
        run = off_loop_first if urgent else off_loop
        return await run(decode_page, body, convert, next_link)
    except (ValueError, TypeError, AttributeError) as err:
        raise map_error(ValueError(f"unreadable {api} page: {err}"), service) from None


async def arm_body(calls: Calls, client: Any, request: Any, **options: Any) -> bytes:
    """One ARM request's answer body, sent through ``client``'s pipeline (auth, retries, the read-only gate); an
    error status raises azure-core's error (``calls.arm_call`` maps it). ``options`` go to the pipeline (e.g. a
    ``raw_response_hook``)."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        IncompleteReadError,
        ResourceExistsError,
        ResourceNotFoundError,
        ServiceResponseError,
    )
    from azure.core.exceptions import map_error as sdk_map_error
    from azure.mgmt.core.exceptions import ARMErrorFormat

    # The client's own pipeline, its URL made as the client's send_request makes it, but without the deep copy of
    # the request that send_request takes first (a fresh request per page here: ~0.2 ms each, 440 listings at
    # 200:40000). Every autorest client keeps its pipeline in _client; the newer ones their endpoint in
    # _config.base_url (for the "{endpoint}" of their pipeline's URL), the older ones in the pipeline itself.
    pipeline = getattr(client, "_client", client)  # (ArmClients.reads is a pipeline client itself)
    endpoint = getattr(getattr(client, "_config", None), "base_url", None)
    request.url = pipeline.format_url(request.url, **({"endpoint": endpoint} if endpoint else {}))
    send_request = pipeline.send_request
    error_map = {401: ClientAuthenticationError, 404: ResourceNotFoundError, 409: ResourceExistsError}

    async def get() -> Any:
        # stream=True: azure-core's ContentDecodePolicy would otherwise json-decode every page on the event
        # loop, only for this function to decode it again (in a worker thread). The body is then read here,
        # outside the pipeline's retries, so a connection lost while reading is retried here.
        for attempt in range(READ_ATTEMPTS):
            response = await send_request(request, stream=True, **options)
            try:
                await response.read()
                break
            except (IncompleteReadError, ServiceResponseError):
                if attempt == READ_ATTEMPTS - 1:
                    raise
            finally:
                await response.close()
            await asyncio.sleep(0.5 * 2**attempt)
        if response.status_code != 200:
            sdk_map_error(status_code=response.status_code, response=response, error_map=error_map)
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        return response.body()

    return await calls.arm_call(get)


async def arm_pages(
    calls: Calls,
    url: str,
    params: dict[str, str],
    convert: Callable[[dict], T] | None = None,
    client: Any = None,
) -> list:
    """Every item of an ARM collection as plain JSON (or ``convert``-ed); through ``client``'s pipeline (any ARM
    client's will do: the URL carries everything; by default the pipeline for reads, ArmClients.reads)."""
    from azure.core.rest import HttpRequest

    client = client if client is not None else calls.arm.reads()

    def page(link: str | None, _seen: Callable[[str], None]) -> Awaitable[bytes]:
        request = HttpRequest("GET", link or url, params={} if link else params, headers={"Accept": "application/json"})
        return arm_body(calls, client, request)

    def decoded(body: bytes | None) -> Awaitable[tuple[list[Any], str | None]]:
        return _decoded(body, convert, "nextLink", "ARM", "Azure Resource Manager")

    return await read_ahead(page, decoded, "nextLink")


async def graph_body(
    calls: Calls, info: Any, *, write: bool = False, on_link: Callable[[str], None] | None = None
) -> bytes | None:
    """One Graph request's answer body, asking for JSON, through the Graph client's pipeline (auth, retries, the
    read-only gate); ``on_link`` (a page of a listing): called with the next page's link as soon as the head of
    the answer shows one (:mod:`tui.azure.graph_links`)."""
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    info.headers.try_add("Accept", "application/json")
    if on_link is not None:
        from tui.azure.graph_links import LinkWatch

        info.add_request_options([LinkWatch(on_link)])
    adapter = calls.graph.request_adapter
    return await calls.graph_call(lambda: adapter.send_primitive_async(info, "bytes", {"XXX": ODataError}), write=write)


async def graph_json(calls: Calls, info: Any, *, write: bool = False) -> Any:
    """One Graph request's answer as plain JSON (None when it has no body)."""
    raw = await graph_body(calls, info, write=write)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError as err:
        raise map_error(ValueError(f"unreadable Graph answer: {err}"), "Microsoft Graph") from None


async def graph_pages(
    calls: Calls,
    info: Any,
    convert: Callable[[dict], T] | None = None,
    headers: dict[str, str] | None = None,
    on_page: Callable[[list], None] | None = None,
    *,
    urgent: bool = False,
    first: asyncio.Future[bytes | None] | None = None,
) -> list:
    """Every item of a Graph collection as plain JSON (or ``convert``-ed); ``headers`` go with every page;
    ``on_page`` (optional) is given each page's items as it lands (on the event loop); ``urgent``: each page is
    decoded ahead of what waits in the CPU worker (the listing someone waits to see); ``first``: the first page's
    body, asked for already (:func:`graph_body`; when it failed, the page is asked for again)."""
    from kiota_abstractions.request_information import RequestInformation

    for name, value in (headers or {}).items():
        info.headers.try_add(name, value)

    async def ahead(page_ahead: asyncio.Future[bytes | None], seen: Callable[[str], None]) -> bytes | None:
        try:
            return await asyncio.shield(page_ahead)  # (this listing cancelled: the page is not)
        except MituiError:
            pass  # (asked for again, below: it may have been a passing failure)
        except asyncio.CancelledError:
            if not page_ahead.cancelled():
                raise  # (this listing was cancelled)
        return await graph_body(calls, info, on_link=seen)

    def page(link: str | None, seen: Callable[[str], None]) -> Awaitable[bytes | None]:
        if link is None:
            return ahead(first, seen) if first is not None else graph_body(calls, info, on_link=seen)
        later = RequestInformation()
        later.http_method = info.http_method
        later.url = link
        for name, value in (headers or {}).items():
            later.headers.try_add(name, value)
        return graph_body(calls, later, on_link=seen)

    def decoded(raw: bytes | None) -> Awaitable[tuple[list[Any], str | None]]:
        return _decoded(raw, convert, "@odata.nextLink", "Graph", "Microsoft Graph", urgent=urgent)

    return await read_ahead(page, decoded, "@odata.nextLink", on_page)


async def read_ahead(
    page: Callable[[str | None, Callable[[str], None]], Awaitable[bytes | None]],
    decoded: Callable[[bytes | None], Awaitable[tuple[list[Any], str | None]]],
    link_key: str,
    on_page: Callable[[list], None] | None = None,
) -> list:
    """Every item of a paged collection: ``page(None, seen)`` is its first page's body, ``page(link, seen)`` a later
    one's; ``decoded(body)`` is (its items, the next link, under ``link_key``). The next page is asked for as soon as
    its link is known, while this one is decoded: when ``page`` calls ``seen(link)`` (Graph's pages: from the head
    of the answer, while its body streams in, :mod:`tui.azure.graph_links`), else once the body is in
    (:func:`tui.azure.records.next_link`). The pages of a long listing follow one another by a round trip each, not
    a round trip plus a transfer and a decode. ``on_page`` (optional) is given each page's items, in order, as it
    is decoded (on the event loop)."""
    items: list[Any] = []
    current: _Page | None = _Page(page, None)
    try:
        while current is not None:
            body = await current.body
            if current.next is None:
                current.ask_next(records.next_link(body, link_key))
            values, link = await decoded(body)
            if current.next is None or link != current.next.link:  # (the full decode is the truth)
                _drop(current.next)
                current.next = None
                current.ask_next(link)
            current.closed = True
            following = current.next
            current.next = None  # (let go of: the pages behind hold no page ahead, nor their bodies)
            current = following
            items.extend(values)
            if on_page is not None:
                on_page(values)
        return items
    finally:
        while current is not None:
            current.closed = True
            _drop(current)
            current = current.next


class _Page:
    """One page asked for, and the next one once its link is known (see :func:`read_ahead`)."""

    def __init__(self, page: Callable[[str | None, Callable[[str], None]], Awaitable[bytes | None]], link: str | None):
        self.page = page
        self.link = link
        self.next: _Page | None = None
        self.closed = False  # (this page's link is settled: later hints are not taken)
        self.body: asyncio.Future[bytes | None] = asyncio.ensure_future(page(link, _weakly(self)))

    def ask_next(self, link: str | None) -> None:
        if link and self.next is None and not self.closed:
            self.next = _Page(self.page, link)


def _weakly(page: _Page) -> Callable[[str], None]:
    """``page.ask_next`` through a weak reference: the request keeps the callback it is given (kiota's request
    options outlive the answer), and a callback holding its page held the page's body, and every page after it
    (up to 20 MB of a listing's bodies alive at 200:40000)."""
    ref = weakref.ref(page)

    def seen(link: str) -> None:
        p = ref()
        if p is not None:
            p.ask_next(link)

    return seen


def _drop(page: _Page | None) -> None:
    """Cancel a page asked for ahead that is no longer wanted (its outcome retrieved, so never reported)."""
    if page is None:
        return
    fetch = page.body
    if fetch.done():
        if not fetch.cancelled():
            fetch.exception()
    else:
        fetch.cancel()
        fetch.add_done_callback(lambda f: f.cancelled() or f.exception())


async def batched_collections(
    calls: Calls,
    urls: dict[str, str],
    headers: dict[str, str] | None = None,
    convert: Callable[[dict], Any] | None = None,
) -> dict[str, list]:
    """GET each relative URL (by key) through Graph ``$batch``, 20 per request, then follow each nextLink; ``headers``
    go with each request (e.g. ``ConsistencyLevel: eventual``). Each item as plain JSON, or ``convert``-ed in the CPU
    worker (a :class:`tui.azure.records.Records`: the pages after the first decoded straight into its records; the
    first, which the batch's answer holds, from its JSON).

    Items answered 429 / 503 / 504 inside a batch are sent again (after their Retry-After), a bounded number of
    times; any other failed item fails the whole read."""
    keys = list(urls)
    results: dict[str, list[Any]] = {}
    next_links: dict[str, str] = {}
    max_retries = calls.graph_max_retries

    async def one_batch(chunk: list[str]) -> None:
        pending = list(chunk)
        for attempt in range(max_retries + 2):
            answers = await post_batch(calls, [urls[k] for k in pending], headers)
            retry: list[str] = []
            wait = 0.0
            for key, (status, answer_headers, body) in zip(pending, answers, strict=True):
                if status == 200:
                    page = body if isinstance(body, dict) else {}
                    results[key] = list(page.get("value") or [])
                    if page.get("@odata.nextLink"):
                        next_links[key] = page["@odata.nextLink"]
                elif status in (429, 503, 504) and attempt <= max_retries:
                    calls.gate.note_retry(f"Microsoft Graph answered {status}")
                    retry.append(key)
                    wait = max(wait, retry_after(answer_headers, attempt))
                else:
                    raise map_error(_BatchItemError(status, body), "Microsoft Graph")
            if not retry:
                return
            pending = retry
            await asyncio.sleep(wait)

    chunks = [keys[i : i + GRAPH_BATCH] for i in range(0, len(keys), GRAPH_BATCH)]
    await gather_limited([one_batch(c) for c in chunks], calls.concurrency)

    async def follow(key: str, link: str) -> None:
        from kiota_abstractions.method import Method
        from kiota_abstractions.request_information import RequestInformation

        info = RequestInformation()
        info.http_method = Method.GET
        info.url = link
        results[key].extend(await graph_pages(calls, info, convert, headers=headers))

    firsts = {k: len(v) for k, v in results.items()}
    await gather_limited([follow(k, v) for k, v in next_links.items()], calls.concurrency)
    if convert is None:
        return results

    def converted() -> dict[str, list]:
        return {
            k: [convert(v) for v in items[: firsts[k]] if isinstance(v, dict)] + items[firsts[k] :]
            for k, items in results.items()
        }

    return await off_loop(converted)


async def post_batch(
    calls: Calls, relative_urls: list[str], headers: dict[str, str] | None = None
) -> list[tuple[int, dict, Any]]:
    """One ``POST /$batch`` of GETs (each with ``headers``, if any); the (status, headers, body) of each, in order."""
    from kiota_abstractions.method import Method
    from kiota_abstractions.request_information import RequestInformation
    from msgraph.generated.models.o_data_errors.o_data_error import ODataError

    adapter = calls.graph.request_adapter
    info = RequestInformation()
    info.http_method = Method.POST
    info.url = adapter.base_url.rstrip("/") + "/$batch"
    info.headers.try_add("Accept", "application/json")
    extra = {"headers": dict(headers)} if headers else {}
    payload = {"requests": [{"id": str(i), "method": "GET", "url": u, **extra} for i, u in enumerate(relative_urls)]}
    info.set_stream_content(json.dumps(payload).encode(), "application/json")
    error_map = {"XXX": ODataError}
    raw = await calls.graph_call(lambda info=info: adapter.send_primitive_async(info, "bytes", error_map))
    try:
        data = json.loads(raw or b"{}")
        by_id = {str(r.get("id")): r for r in data.get("responses", [])}
    except (ValueError, AttributeError) as err:
        raise map_error(ValueError(f"unreadable $batch answer: {err}"), "Microsoft Graph") from None
    out = []
    for i in range(len(relative_urls)):
        r = by_id.get(str(i)) or {"status": 0, "body": {"error": {"code": "MissingResponse"}}}
        out.append((int(r.get("status") or 0), dict(r.get("headers") or {}), r.get("body")))
    return out


def retry_after(headers: dict, attempt: int) -> float:
    for k, v in headers.items():
        if k.lower() == "retry-after":
            try:
                return min(float(v), 60.0)
            except (TypeError, ValueError):
                break
    return min(0.5 * 2**attempt, 8.0)


class _BatchItemError(Exception):
    """A failed request inside a Graph $batch, shaped like an ODataError for map_error."""

    def __init__(self, status: int, body: Any) -> None:
        self.response_status_code = status
        err = body.get("error", {}) if isinstance(body, dict) else {}
        self.error = type("E", (), {"code": err.get("code"), "message": err.get("message"), "inner_error": None})()
        super().__init__(f"{status} {err.get('code')}")
