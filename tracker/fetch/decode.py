"""Content-Encoding, inflated layer by layer in bounded steps under the size cap.

`Content-Encoding: gzip, gzip` is two layers; each layer's output is fed to the next at
most `STEP` bytes at a time, and every layer's output — not only the last — counts
against `max_bytes`, so neither a bomb nor a stream of empty deflate blocks can grow memory
or CPU past the cap. Anything but gzip/x-gzip/deflate/identity fails the source (the
client only offers gzip and deflate).
"""

from __future__ import annotations

import zlib
from typing import Iterator

from tracker.errors import FetchError

STEP = 1 << 20  # at most this much decompressed output per step
MAX_LAYERS = 8  # more is no real server: a hostile header costs a zlib state each
GZIP_MAGIC = b"\x1f\x8b"
KNOWN = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


def encodings(header: str | None, where: str) -> list[str]:
    """The layers to undo, outermost first (the reverse of the header's order)."""
    if not header:
        return []
    names = [name.strip().lower() for name in header.split(",")]
    layers = [name for name in names if name and name != "identity"]
    unknown = [name for name in layers if name not in KNOWN]
    if unknown:
        shown = unknown[0][:30].encode("ascii", "replace").decode()
        raise FetchError(
            f"{where}: unsupported Content-Encoding {shown!r} "
            "(the tracker accepts gzip and deflate only)"
        )
    if len(layers) > MAX_LAYERS:
        raise FetchError(
            f"{where}: {len(layers)} Content-Encoding layers (at most {MAX_LAYERS} accepted)"
        )
    return [KNOWN[name] for name in reversed(layers)]


class _Layer:
    """One gzip or deflate layer: input in, output out in steps of at most STEP bytes."""

    def __init__(self, name: str, where: str) -> None:
        self.name, self.where = name, where
        self._obj: zlib._Decompress | None = None
        self._head = b""  # deflate: the first bytes, until zlib vs raw can be told apart
        self.done = False  # a complete stream ended; what follows is ignored

    def _start(self, data: bytes) -> bytes:
        if self.name == "gzip":
            self._obj = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip (or zlib) header
            return data
        self._head += data
        if len(self._head) < 2:
            return b""
        data, self._head = self._head, b""
        # "deflate" should be zlib-wrapped; some servers send raw deflate instead
        wrapped = data[0] & 0x0F == 8 and int.from_bytes(data[:2], "big") % 31 == 0
        self._obj = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        return data

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._obj is None:
            data = self._start(data)
        while data and not self.done:
            assert self._obj is not None
            try:
                out = self._obj.decompress(data, STEP)
            except zlib.error:
                raise FetchError(f"{self.where}: corrupt {self.name} body") from None
            if out:
                yield out
            data = self._obj.unconsumed_tail
            if self._obj.eof:
                data = self._next_member(self._obj.unused_data + data)

    def _next_member(self, rest: bytes) -> bytes:
        """After a complete stream: another gzip member (allowed by RFC 1952), else the
        end (trailing bytes, e.g. padding, are ignored)."""
        if self.name == "gzip" and rest.startswith(GZIP_MAGIC):
            self._obj = zlib.decompressobj(zlib.MAX_WBITS | 32)
            return rest
        self.done = True
        return b""

    def finish(self) -> Iterator[bytes]:
        if self._obj is None and not self._head:
            return  # an empty body is an empty document, in any encoding
        if self._obj is None or not (self.done or self._obj.eof):
            raise FetchError(f"{self.where}: corrupt {self.name} body (it ends early)")
        yield from ()


class BoundedBody:
    """Collects a response body through its Content-Encoding layers, under `max_bytes`."""

    def __init__(self, header: str | None, max_bytes: int, where: str) -> None:
        self.layers = [_Layer(name, where) for name in encodings(header, where)]
        self.max_bytes, self.where = max_bytes, where
        self.sizes = [0] * (len(self.layers) + 1)  # bytes in at each stage (0: the wire)
        self.parts: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        self._push(0, chunk)

    def finish(self) -> bytes:
        for index, layer in enumerate(self.layers):
            for out in layer.finish():
                self._push(index + 1, out)
        return b"".join(self.parts)

    def _push(self, stage: int, data: bytes) -> None:
        self.sizes[stage] += len(data)
        if self.sizes[stage] > self.max_bytes:
            raise FetchError(f"{self.where}: body exceeds the cap of {self.max_bytes} bytes")
        if stage == len(self.layers):
            self.parts.append(data)
            return
        for out in self.layers[stage].feed(data):
            self._push(stage + 1, out)
