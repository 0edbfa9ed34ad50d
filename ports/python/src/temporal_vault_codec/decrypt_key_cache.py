"""Derived decryption keys by (key id, version, wrapped key, salt), as ``codec/decrypt-key-cache.ts`` keeps them.

Payloads sealed in one session share a salt, so a batch costs one derivation. The LRU is bounded, entries expire
after ``max_age`` seconds (so a destroyed version stops decrypting) and are disposed when they leave.
"""

from __future__ import annotations

from collections.abc import Callable

from .aead import DerivedKey
from .keys.cache import LruCache
from .types import KeyReference

_CacheKey = tuple[str, int, str, bytes]


class DecryptKeyCache:
    """A bounded, aging cache of derived keys that opened a payload (or that this process sealed with)."""

    def __init__(self, max_entries: int, max_age: float, now: Callable[[], float]) -> None:
        self._lru: LruCache[_CacheKey, DerivedKey] = LruCache(max_entries, now, lambda key: key.dispose())
        self._max_age = max_age
        self._now = now
        # The last hit, checked first: payloads of one session share ref and salt.
        self._last: tuple[KeyReference, DerivedKey, float] | None = None

    def get(self, ref: KeyReference, salt: bytes) -> DerivedKey | None:
        """The derived key for ``ref`` and ``salt`` if cached and younger than the max age."""
        last = self._last
        if last is not None and last[0] is ref and last[1].salt == salt:
            if self._now() - last[2] < self._max_age:
                return last[1]
            self._last = None
        cache_key = (ref.key_id, ref.version, ref.wrapped_key or "", salt)
        entry = self._lru.get(cache_key)
        if entry is None:
            return None
        if self._now() - entry.stored_at >= self._max_age:
            self._lru.delete(cache_key)
            return None
        self._last = (ref, entry.value, entry.stored_at)
        return entry.value

    def set(self, ref: KeyReference, key: DerivedKey) -> None:
        """Stores a key the cache now owns (disposed on eviction)."""
        self._lru.set((ref.key_id, ref.version, ref.wrapped_key or "", key.salt), key)
        # The memo must never outlive the LRU entry it points to (eviction disposes the key).
        self._last = None

    def clear(self) -> None:
        """Disposes and drops every key."""
        self._last = None
        self._lru.clear()
