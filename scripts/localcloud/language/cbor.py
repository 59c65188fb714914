"""A small CBOR (RFC 8949) codec for the Smithy RPC v2 CBOR protocol.

Recent AWS SDKs (botocore >= 1.36 among them) talk to Comprehend and Translate in Smithy RPC v2
CBOR rather than AWS JSON 1.1, so the local language services must speak both. This module owns
turning CBOR bytes into plain Python values and back; it covers what those services exchange:
integers, floats (half, single, double), text and byte strings (definite and indefinite length),
arrays, maps, booleans, null/undefined and tags (the tag is dropped, its value kept, e.g. an
epoch-seconds timestamp). Malformed or hostile input raises :class:`CBORDecodeError`, never
anything else, and nesting is bounded.
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["CBORDecodeError", "CBOREncodeError", "decode", "encode"]

_MAX_DEPTH = 64
_BREAK = object()


class CBORDecodeError(ValueError):
    """The bytes are not one well-formed CBOR data item."""


class CBOREncodeError(TypeError):
    """The value holds something CBOR cannot carry here."""


def decode(data: bytes) -> Any:
    """Decode exactly one CBOR data item; trailing bytes are an error."""
    decoder = _Decoder(bytes(data))
    value = decoder.item(0)
    if value is _BREAK:
        raise CBORDecodeError("unexpected 'break' at top level")
    if decoder.pos != len(decoder.data):
        raise CBORDecodeError(f"{len(decoder.data) - decoder.pos} trailing bytes after the item")
    return value


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        end = self.pos + size
        if size < 0 or end > len(self.data):
            raise CBORDecodeError("truncated CBOR data")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def argument(self, info: int) -> int | None:
        """The head's argument; None for an indefinite length (info 31)."""
        if info < 24:
            return info
        if info in (24, 25, 26, 27):
            size = 1 << (info - 24)
            return int.from_bytes(self.take(size), "big")
        if info == 31:
            return None
        raise CBORDecodeError(f"reserved additional information {info}")

    def item(self, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise CBORDecodeError(f"nesting deeper than {_MAX_DEPTH}")
        initial = self.take(1)[0]
        major, info = initial >> 5, initial & 0x1F
        if major == 7:
            return self.simple(info)
        arg = self.argument(info)
        if major == 0:
            return self.definite(arg)
        if major == 1:
            return -1 - self.definite(arg)
        if major in (2, 3):
            return self.string(major, arg, depth)
        if major == 4:
            return self.array(arg, depth)
        if major == 5:
            return self.map(arg, depth)
        # major 6: a tag; keep the tagged value (e.g. tag 1, epoch seconds)
        self.definite(arg)
        return self.value(depth + 1)

    def value(self, depth: int) -> Any:
        item = self.item(depth)
        if item is _BREAK:
            raise CBORDecodeError("unexpected 'break'")
        return item

    @staticmethod
    def definite(arg: int | None) -> int:
        if arg is None:
            raise CBORDecodeError("indefinite length is not allowed here")
        return arg

    def string(self, major: int, arg: int | None, depth: int) -> bytes | str:
        if arg is None:
            chunks = []
            while (chunk := self.item(depth + 1)) is not _BREAK:
                if not isinstance(chunk, bytes if major == 2 else str):
                    raise CBORDecodeError("indefinite string chunk of the wrong type")
                chunks.append(chunk)
            if major == 2:
                return b"".join(c for c in chunks if isinstance(c, bytes))
            return "".join(c for c in chunks if isinstance(c, str))
        raw = self.take(arg)
        if major == 2:
            return raw
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as err:
            raise CBORDecodeError("text string is not valid UTF-8") from err

    def array(self, arg: int | None, depth: int) -> list[Any]:
        if arg is None:
            items = []
            while (item := self.item(depth + 1)) is not _BREAK:
                items.append(item)
            return items
        if arg > len(self.data) - self.pos:  # each item takes at least one byte
            raise CBORDecodeError("truncated CBOR data")
        return [self.value(depth + 1) for _ in range(arg)]

    def map(self, arg: int | None, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        count = 0
        while arg is None or count < arg:
            key = self.item(depth + 1)
            if key is _BREAK:
                if arg is None:
                    return result
                raise CBORDecodeError("unexpected 'break'")
            if isinstance(key, list | dict):
                raise CBORDecodeError("map keys must be scalars")
            result[key] = self.value(depth + 1)
            count += 1
        return result

    def simple(self, info: int) -> Any:
        if info == 20:
            return False
        if info == 21:
            return True
        if info in (22, 23):
            return None
        if info == 25:
            return struct.unpack(">e", self.take(2))[0]
        if info == 26:
            return struct.unpack(">f", self.take(4))[0]
        if info == 27:
            return struct.unpack(">d", self.take(8))[0]
        if info == 31:
            return _BREAK
        raise CBORDecodeError(f"unsupported simple value {info}")


def encode(value: Any) -> bytes:
    """Encode a JSON-like value (dict, list, str, bytes, int, float, bool, None) as CBOR."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


def _head(major: int, arg: int, out: bytearray) -> None:
    if arg < 24:
        out.append(major << 5 | arg)
    elif arg < 1 << 8:
        out += bytes((major << 5 | 24, arg))
    elif arg < 1 << 16:
        out.append(major << 5 | 25)
        out += arg.to_bytes(2, "big")
    elif arg < 1 << 32:
        out.append(major << 5 | 26)
        out += arg.to_bytes(4, "big")
    elif arg < 1 << 64:
        out.append(major << 5 | 27)
        out += arg.to_bytes(8, "big")
    else:
        raise CBOREncodeError(f"integer {arg} does not fit in 64 bits")


def _encode(value: Any, out: bytearray, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise CBOREncodeError(f"nesting deeper than {_MAX_DEPTH}")
    if isinstance(value, list | tuple):
        _head(4, len(value), out)
        for item in value:
            _encode(item, out, depth + 1)
    elif isinstance(value, dict):
        _head(5, len(value), out)
        for key, item in value.items():
            _encode(key, out, depth + 1)
            _encode(item, out, depth + 1)
    else:
        _encode_scalar(value, out)


def _encode_scalar(value: Any, out: bytearray) -> None:
    if value is None or isinstance(value, bool):
        out.append({None: 0xF6, True: 0xF5, False: 0xF4}[value])
    elif isinstance(value, int):
        if value >= 0:
            _head(0, value, out)
        else:
            _head(1, -1 - value, out)
    elif isinstance(value, float):
        out.append(0xFB)  # always double precision: simple, and exact for every float
        out += struct.pack(">d", value)
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        _head(3, len(raw), out)
        out += raw
    elif isinstance(value, bytes | bytearray):
        _head(2, len(value), out)
        out += value
    else:
        raise CBOREncodeError(f"cannot encode {type(value).__name__} as CBOR")
