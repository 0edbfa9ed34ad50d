"""Versioned keys held in memory, for unit tests of code that uses the codec (``codec/keys/memory-key-store.ts``).

Keys vanish with the process: never use it for data that must be read again later.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field

from ..errors import KEY_VERSION_DESTROYED, UNKNOWN_KEY, UNKNOWN_KEY_VERSION, CodecError
from ..types import ROOT_KEY_BYTES, zero
from .provider import LatestKey


@dataclass
class _Version:
    state: str
    key: bytearray | None = field(repr=False)


class MemoryKeyStore:
    """A :class:`~temporal_vault_codec.keys.provider.VersionedKeyStore` in memory."""

    kind = "memory"

    def __init__(self) -> None:
        self._keys: dict[str, list[_Version]] = {}
        self.fail_with: CodecError | None = None
        """When set, every read raises this error (to simulate an outage)."""
        self.reads = 0
        """Reads served, for tests that count round trips."""

    def rotate(self, key_id: str, material: bytes | None = None) -> int:
        """Adds a version (random material unless given) and returns its number."""
        versions = self._keys.setdefault(key_id, [])
        versions.append(_Version("active", bytearray(os.urandom(ROOT_KEY_BYTES) if material is None else material)))
        return len(versions)

    def set_state(self, key_id: str, version: int, state: str) -> None:
        """Changes a version's state (``active``, ``inactive``, ``destroyed``); destruction zeroes the material."""
        versions = self._keys.get(key_id, [])
        if not 1 <= version <= len(versions):
            raise CodecError(UNKNOWN_KEY_VERSION, "Unknown key version", context={"keyId": key_id, "version": version})
        entry = versions[version - 1]
        entry.state = state
        if state == "destroyed" and entry.key is not None:
            zero(entry.key)
            entry.key = None

    async def read_latest(self, key_id: str) -> LatestKey:
        """The newest active version."""
        await self._read()
        versions = self._keys.get(key_id)
        if versions is None:
            raise CodecError(UNKNOWN_KEY, "Unknown key", context={"keyId": key_id})
        for number in range(len(versions), 0, -1):
            entry = versions[number - 1]
            if entry.state == "active" and entry.key is not None:
                return LatestKey(number, bytearray(entry.key))
        raise CodecError(UNKNOWN_KEY_VERSION, "Key has no active version", context={"keyId": key_id})

    async def read_version(self, key_id: str, version: int) -> bytearray:
        """Exactly ``version``."""
        await self._read()
        versions = self._keys.get(key_id)
        if versions is None:
            raise CodecError(UNKNOWN_KEY, "Unknown key", context={"keyId": key_id})
        if not 1 <= version <= len(versions):
            raise CodecError(UNKNOWN_KEY_VERSION, "Unknown key version", context={"keyId": key_id, "version": version})
        key = versions[version - 1].key
        if key is None:
            raise CodecError(
                KEY_VERSION_DESTROYED, "Key version was destroyed", context={"keyId": key_id, "version": version}
            )
        return bytearray(key)

    async def check_health(self) -> None:
        """Fails like a read when ``fail_with`` is set."""
        await self._read()

    async def _read(self) -> None:
        # Always suspends, like a real store, so tests see the same interleavings.
        await asyncio.sleep(0)
        self.reads += 1
        if self.fail_with is not None:
            raise self.fail_with
