"""The freshness rules every key provider shares, as ``codec/cache/key-cache.ts`` has them.

A :class:`KeyCache` is an LRU of keys with single flight and these rules: an entry is fresh for ``max_age``; a miss
asks the source once however many callers wait; when the source fails with a retryable error (an outage), an entry
past its age is still served for ``stale_if_error`` more; when it refuses (the version is gone, the wrapped key is
bad), the entry is forgotten at once instead of at its age. Callers store what they fetch (``entries.set``) and hand
out copies; evicted values go to ``on_evict`` to be zeroed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from ..errors import CodecError
from .cache import LruCache, SingleFlight
from .provider import CacheKind, KeyProviderObserver

K = TypeVar("K")
V = TypeVar("V")


class KeyCache(Generic[K, V]):
    """An LRU of keys with single flight, a max age and stale-if-error (see the module docstring)."""

    def __init__(
        self,
        *,
        max_entries: int,
        max_age: float,
        stale_if_error: float,
        now: Callable[[], float],
        on_evict: Callable[[V], None],
        kind: CacheKind,
        observer: KeyProviderObserver,
        forget_refused: bool = True,
    ) -> None:
        self.entries: LruCache[K, V] = LruCache(max_entries, now, on_evict)
        self._flights: SingleFlight[K, V] = SingleFlight()
        self._max_age = max_age
        self._stale_if_error = stale_if_error
        self._now = now
        self._kind = kind
        self._observer = observer
        self._forget_refused = forget_refused

    def fresh(self, key: K) -> V | None:
        """The entry for ``key`` while it is younger than ``max_age``, without counting a hit."""
        entry = self.entries.get(key)
        return entry.value if entry is not None and self._now() - entry.stored_at < self._max_age else None

    async def get(self, key: K, fetch: Callable[[], Awaitable[V]]) -> V:
        """The fresh entry, else what ``fetch`` returns (one call for concurrent misses), else a stale entry."""
        cached = self.fresh(key)
        if cached is not None:
            self._observer.cache_hit(self._kind)
            return cached
        self._observer.cache_miss(self._kind)
        try:
            return await self._flights.run(key, fetch)
        except CodecError as err:
            stale = self.entries.peek(key)
            if (
                stale is not None
                and err.retryable
                and self._now() - stale.stored_at < self._max_age + self._stale_if_error
            ):
                self._observer.stale_served(self._kind)
                return stale.value
            if self._forget_refused and not err.retryable:
                self.entries.delete(key)
            raise

    def sweep(self) -> None:
        """Zeroes and drops every entry past its stale window."""
        self.entries.sweep(self._max_age + self._stale_if_error)

    def clear(self) -> None:
        """Zeroes and drops every entry."""
        self.entries.clear()
