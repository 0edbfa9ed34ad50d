"""The derived key each namespace currently seals with (``codec/sealing-sessions.ts``).

A session is a salt, the key derived from it, a nonce sequence and a use count. It is replaced when the key version
changes or when it cannot take a whole batch within ``max_uses`` payloads (the nonce budget), and its key is dropped
then. The codec splits a batch larger than the budget into chunks, so every chunk gets a session with room for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from .aead import DerivedKey, NonceSequence, derive_key
from .payload_proto import serialize_fields
from .types import SALT_BYTES, KeyMaterial, KeyReference
from .wire_format import encrypted_metadata


@dataclass(eq=False)
class SealingSession:
    """The derived key a namespace currently seals with, and what goes with it."""

    ref: KeyReference
    key: DerivedKey
    aad: bytes
    nonces: NonceSequence
    metadata_head: bytes
    """The sealed payloads' metadata, serialized once: each sealed Payload is parsed from this head and its data."""
    uses: int


class SealingSessions:
    """One sealing session per namespace."""

    def __init__(self, max_uses: int, aad_for: Callable[[str, str, int], bytes]) -> None:
        self._sessions: dict[str, SealingSession] = {}
        self._max_uses = max_uses
        self._aad_for = aad_for

    def reuse(self, namespace: str, ref: KeyReference | None, count: int) -> SealingSession | None:
        """The current session when it matches ``ref`` and has room for ``count`` more payloads (then reserved)."""
        if ref is None:
            return None
        session = self._sessions.get(namespace)
        if session is None or session.ref != ref or session.uses + count > self._max_uses:
            return None
        session.uses += count
        return session

    def install(self, namespace: str, material: KeyMaterial, count: int) -> SealingSession:
        """The session for ``material``, reserving ``count`` payloads: the current one when it still matches and has
        room, else a new one with a fresh salt. Zeroes ``material.key`` in every case."""
        ref = material.ref
        try:
            current = self.reuse(namespace, ref, count)
            if current is not None:
                return current
            key = derive_key(material.key, os.urandom(SALT_BYTES), ref.key_id, ref.version)
        finally:
            material.zero()
        session = SealingSession(
            ref=ref,
            key=key,
            aad=self._aad_for(namespace, ref.key_id, ref.version),
            nonces=NonceSequence(),
            metadata_head=serialize_fields(encrypted_metadata(ref).items(), b""),
            uses=count,
        )
        replaced = self._sessions.get(namespace)
        # Batches seal without awaiting once they hold a session, so the one replaced is in use by nobody.
        if replaced is not None:
            replaced.key.dispose()
        self._sessions[namespace] = session
        return session

    def clear(self) -> None:
        """Drops every session's key."""
        for session in self._sessions.values():
            session.key.dispose()
        self._sessions.clear()
