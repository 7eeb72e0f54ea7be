"""A Graph page's next link, read from the head of its answer while the rest of it streams in.

Graph writes a collection page's ``@odata.nextLink`` before its ``value`` (``{"@odata.context": …,
"@odata.nextLink": …, "value": [ … ]}``: Microsoft Graph's "Paging Microsoft Graph data in your app" shows it so,
and the sandbox writes it so). A listing's pages follow one another, so the sooner the next one is asked for, the
shorter the listing: with the link read from the first bytes, the next page's round trip overlaps the transfer of
this page's (up to a megabyte) instead of following it.

:class:`LinkWatch` is a kiota request option carrying who wants the link; :class:`LinkPeek` is the middleware (in
the Graph client's kiota pipeline, after the retry and redirect handlers have given their final answer) that reads
the head of a 200 answer to a request carrying one. The link read here is a hint: the page's full decode is the
truth (``tui.azure.paging.read_ahead`` corrects it when the two disagree). An answer whose head does not say
(compressed in a way not read here, the link written after the items, no next page) gives no hint.

Imported lazily (it imports kiota and httpx): by the Graph client's construction and a listing's first page."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
from kiota_http.middleware.middleware import REQUEST_OPTIONS_KEY, BaseMiddleware

from tui.azure.records import link_in_head

HEAD_LIMIT = 64 * 1024  # bytes of a page's head read for its link: the link and the context URL are far shorter
LINK_KEY = "@odata.nextLink"


class LinkWatch:
    """A kiota request option: ``seen(link)`` is called (on the event loop, while the body is still being read) with
    the next page's link, as soon as the head of a 200 answer shows one."""

    KEY = "mitui.LinkWatch"

    def __init__(self, seen: Callable[[str], None]) -> None:
        self.seen = seen

    @staticmethod
    def get_key() -> str:
        return LinkWatch.KEY


class _HeadReader:
    """The first bytes of a body as its content encoding gives them (gzip and deflate read; anything else not)."""

    def __init__(self, encoding: str) -> None:
        encoding = encoding.strip().lower()
        self.readable = encoding in ("", "identity", "gzip", "deflate")
        self._inflate = (
            zlib.decompressobj(zlib.MAX_WBITS | 32) if encoding in ("gzip", "deflate") else None  # (header read)
        )
        self.head = b""

    def add(self, chunk: bytes) -> None:
        if self._inflate is None:
            self.head += chunk
            return
        try:
            self.head += self._inflate.decompress(chunk, HEAD_LIMIT - len(self.head))
        except zlib.error:
            self.readable = False


class _WatchedStream(httpx.AsyncByteStream):
    """The answer's body as it came, calling the watch once with the link its head shows."""

    def __init__(self, stream: Any, watch: LinkWatch, encoding: str) -> None:
        self._stream = stream
        self._watch = watch
        self._reader = _HeadReader(encoding)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        reader: _HeadReader | None = self._reader if self._reader.readable else None
        async for chunk in self._stream:
            if reader is not None:
                reader.add(chunk)
                found = link_in_head(reader.head, LINK_KEY) if reader.readable else None
                if found is not False or len(reader.head) >= HEAD_LIMIT:
                    reader = None
                    if found:
                        self._watch.seen(found)
            yield chunk

    async def aclose(self) -> None:
        await self._stream.aclose()


class LinkPeek(BaseMiddleware):
    """The kiota middleware that reads a watched request's answer head for its next link (see the module)."""

    async def send(self, request: httpx.Request, transport: httpx.AsyncBaseTransport) -> httpx.Response:
        options = request.extensions.get(REQUEST_OPTIONS_KEY) if isinstance(request.extensions, dict) else None
        watch = options.get(LinkWatch.KEY) if isinstance(options, dict) else None
        response = await super().send(request, transport)
        if isinstance(watch, LinkWatch) and response.status_code == 200:
            response.stream = _WatchedStream(response.stream, watch, response.headers.get("Content-Encoding", ""))
        return response
