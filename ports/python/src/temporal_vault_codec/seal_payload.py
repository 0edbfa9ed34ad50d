"""Sealing and opening whole payloads in the per-thread working buffer (the codec's inner loop, no I/O).

A sealed payload is written into the buffer as a complete serialized outer ``Payload`` (its metadata, then the
``data`` field holding ``salt || commitment || nonce || ciphertext || tag``) and parsed by protobuf, which copies it
once: no intermediate buffer of the payload's size is ever allocated. Opening decrypts into the buffer, parses the
inner ``Payload`` from it and wipes it.
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio.api.common.v1 import Payload

from .aead import DerivedKey, open_into, seal_into, sealed_length
from .payload_proto import data_field_prefix, parse_bytes, parse_payload, serialize_payload
from .scratch import ScratchBuffer
from .sealing_sessions import SealingSession
from .types import MINIMUM_SEALED_BYTES


def seal_payloads(session: SealingSession, payloads: Sequence[Payload], scratch: ScratchBuffer) -> list[Payload]:
    """Seals each payload into the scratch buffer as a whole serialized Payload, which protobuf parses (one copy)."""
    key, aad, nonces, head = session.key, session.aad, session.nonces, session.metadata_head
    out = []
    for payload in payloads:
        plaintext = serialize_payload(payload)
        length = sealed_length(len(plaintext))
        prefix = data_field_prefix(head, length)
        start = len(prefix)
        buffer = scratch.view(start + length)
        buffer[:start] = prefix
        seal_into(key, aad, plaintext, nonces.next(), buffer[start:])
        out.append(parse_bytes(buffer))
    return out


def open_payload(key: DerivedKey, aad: bytes, data: bytes, scratch: ScratchBuffer) -> Payload:
    """Opens ``data`` into the scratch buffer and parses the Payload from it; the buffer is wiped either way."""
    buffer = scratch.view(len(data) - MINIMUM_SEALED_BYTES)
    try:
        open_into(key, aad, data, buffer)
        return parse_payload(buffer)
    finally:
        scratch.wipe(buffer)
