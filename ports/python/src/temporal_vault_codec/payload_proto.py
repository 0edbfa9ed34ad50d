"""The ``temporal.api.common.v1.Payload`` protobuf: what wire format v1 seals.

The codec serializes with protobuf's own deterministic serialization (metadata entries sorted by key, then ``data``,
then any other field such as ``external_payloads``), so every field survives the round trip. Python's protobuf maps
do not keep insertion order, so byte-exact checks against vectors that list metadata in a given order use
:func:`serialize_fields`, which writes entries in the order given, exactly as ``codec/payload-proto.ts`` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload

from .errors import MALFORMED_METADATA, CodecError


def _varint(value: int) -> bytes:
    if value < 0x4000:  # every payload below 16 KiB: one or two bytes, no loop
        return bytes((value,)) if value < 0x80 else bytes(((value & 0x7F) | 0x80, value >> 7))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: int, value: bytes) -> bytes:
    return bytes((tag,)) + _varint(len(value)) + value


def serialize_fields(metadata: Iterable[tuple[str, bytes]], data: bytes) -> bytes:
    """A Payload with these metadata entries, in this order, then ``data`` (omitted when empty)."""
    parts = [_field(0x0A, _field(0x0A, key.encode("utf-8")) + _field(0x12, value)) for key, value in metadata]
    if data:
        parts.append(_field(0x12, data))
    return b"".join(parts)


def data_field_prefix(metadata_head: bytes, data_length: int) -> bytes:
    """Everything of a serialized Payload before its ``data`` bytes: the metadata entries (already serialized), then
    the ``data`` field's tag and length. Precondition: ``data_length > 0`` (protobuf omits an empty ``data``)."""
    return metadata_head + b"\x12" + _varint(data_length)


def serialize_payload(payload: Payload) -> bytes:
    """The payload's protobuf bytes (deterministic: metadata sorted by key)."""
    return payload.SerializeToString(deterministic=True)


def parse_bytes(serialized: bytes | memoryview) -> Payload:
    """``Payload.FromString`` of any buffer: protobuf's parser reads the buffer protocol and copies what it keeps
    (its type stub says ``bytes`` only)."""
    return Payload.FromString(cast(bytes, serialized))


def parse_payload(plaintext: bytes | memoryview) -> Payload:
    """Parses authenticated plaintext; ``ERR_MALFORMED_METADATA`` when it is not a Payload message."""
    try:
        return parse_bytes(plaintext)
    except DecodeError:
        raise CodecError(
            MALFORMED_METADATA, "Decrypted bytes are not a valid Payload message", context={"field": "data"}
        ) from None
