"""Sealing and opening whole payloads: the codec's inner loop (no I/O), written for the interpreter's sake.

Each sealed payload becomes a complete serialized outer ``Payload`` (its metadata, then the ``data`` field holding
``salt || commitment || nonce || ciphertext || tag``) that protobuf parses, copying it once. Small payloads are joined
as one ``bytes``; from ``LARGE_BYTES`` up the payload is sealed into the per-thread working buffer instead, because a
fresh buffer of a megabyte costs page faults that outweigh the AES itself. Opening works the same way: small
plaintexts come back from ``decrypt`` as ``bytes``; large ones are decrypted into the working buffer, parsed, and the
buffer wiped. The loops call C (protobuf, OpenSSL) with as few Python calls around it as they can.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import cast

from cryptography.exceptions import InvalidTag
from temporalio.api.common.v1 import Payload

from .aead import DerivedKey, open_into
from .errors import decryption_failed
from .payload_proto import data_field_prefix, parse_payload
from .scratch import ScratchBuffer
from .sealing_sessions import SealingSession
from .types import HEADER_BYTES, MINIMUM_SEALED_BYTES, SALT_BYTES

LARGE_BYTES = 32 * 1024
"""Payloads from this size up are sealed and opened in the working buffer."""

_COMMIT_END = 64
_from_string = Payload.FromString


def seal_payloads(session: SealingSession, payloads: Sequence[Payload], scratch: ScratchBuffer) -> list[Payload]:
    """Seals each payload under the session's key, with the session's next nonces."""
    aad, nonces, head = session.aad, session.nonces, session.metadata_head
    cipher = session.key.cipher
    encrypt = cipher.encrypt
    key_header = session.key.salt + session.key.commitment
    out = []
    for payload in payloads:
        plaintext = payload.SerializeToString(deterministic=True)
        length = MINIMUM_SEALED_BYTES + len(plaintext)
        nonce = nonces.next()
        prefix = data_field_prefix(head, length)
        if length < LARGE_BYTES:
            out.append(_from_string(b"".join((prefix, key_header, nonce, encrypt(nonce, plaintext, aad)))))
            continue
        start = len(prefix)
        buffer = scratch.view(start + length)
        buffer[:start] = prefix
        buffer[start : start + _COMMIT_END] = key_header
        buffer[start + _COMMIT_END : start + HEADER_BYTES] = nonce
        cipher.encrypt_into(nonce, plaintext, aad, buffer[start + HEADER_BYTES :])
        out.append(_from_string(cast(bytes, buffer)))
    return out


def open_payload(key: DerivedKey, aad: bytes, data: bytes, scratch: ScratchBuffer) -> Payload:
    """Checks the commitment, decrypts and parses one sealed payload (length already checked)."""
    if len(data) >= LARGE_BYTES:
        buffer = scratch.view(len(data) - MINIMUM_SEALED_BYTES)
        try:
            open_into(key, aad, data, buffer)
            return parse_payload(buffer)
        finally:
            scratch.wipe(buffer)
    view = memoryview(data)
    if not hmac.compare_digest(key.commitment, view[SALT_BYTES:_COMMIT_END]):
        raise decryption_failed()
    try:
        plaintext = key.cipher.decrypt(view[_COMMIT_END:HEADER_BYTES], view[HEADER_BYTES:], aad)
    except InvalidTag:
        raise decryption_failed() from None
    return parse_payload(plaintext)
