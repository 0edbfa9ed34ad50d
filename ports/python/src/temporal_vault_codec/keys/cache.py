"""The two cache primitives every key provider uses: a bounded LRU with store times, and single flight.

Freshness policy (TTL, max age, stale-if-error) belongs to the caller, which knows what a stale entry is still good
for. Same behaviour as ``codec/cache/lru-cache.ts`` and ``codec/cache/single-flight.ts``.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class CacheEntry(Generic[V]):
    """One cached value and when it was stored (seconds, on the cache's clock)."""

    value: V
    stored_at: float


class LruCache(Generic[K, V]):
    """A bounded least-recently-used map that remembers when each entry was stored.

    ``on_evict`` receives every value that leaves (eviction, replacement, delete, clear): zero key bytes there.
    """

    def __init__(
        self,
        max_entries: int,
        now: Callable[[], float],
        on_evict: Callable[[V], None] | None = None,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be a positive integer")
        self._entries: OrderedDict[K, CacheEntry[V]] = OrderedDict()
        self._max_entries = max_entries
        self._now = now
        self._on_evict = on_evict or (lambda _value: None)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> CacheEntry[V] | None:
        """The entry for ``key``, marked most recently used."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def peek(self, key: K) -> CacheEntry[V] | None:
        """The entry for ``key`` without touching recency."""
        return self._entries.get(key)

    def set(self, key: K, value: V) -> None:
        """Stores ``value``, evicting the least recently used entries beyond ``max_entries``."""
        previous = self._entries.pop(key, None)
        if previous is not None and previous.value is not value:
            self._on_evict(previous.value)
        self._entries[key] = CacheEntry(value, self._now())
        while len(self._entries) > self._max_entries:
            _, oldest = self._entries.popitem(last=False)
            self._on_evict(oldest.value)

    def delete(self, key: K) -> bool:
        """Removes ``key``; returns whether it was present."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        self._on_evict(entry.value)
        return True

    def sweep(self, max_age: float) -> int:
        """Removes every entry stored more than ``max_age`` seconds ago; returns how many."""
        cutoff = self._now() - max_age
        stale = [key for key, entry in self._entries.items() if entry.stored_at < cutoff]
        for key in stale:
            self.delete(key)
        return len(stale)

    def clear(self) -> None:
        """Removes every entry."""
        for key in list(self._entries):
            self.delete(key)


class SingleFlight(Generic[K, V]):
    """Collapses concurrent calls for the same key into one.

    While a call for ``key`` is in flight, later callers await the same task: a thousand cold-cache requests cost
    one key-source round trip. A caller that is cancelled does not cancel the shared call (``asyncio.shield``).
    Tasks belong to the running event loop, so one provider serves one loop (as one Temporal worker or client does).
    """

    def __init__(self) -> None:
        self._in_flight: dict[K, asyncio.Task[V]] = {}

    def __len__(self) -> int:
        return len(self._in_flight)

    async def run(self, key: K, fn: Callable[[], Awaitable[V]]) -> V:
        """Runs ``fn`` unless a call for ``key`` is in flight, in which case its result is shared."""
        task = self._in_flight.get(key)
        if task is None:

            async def call() -> V:
                return await fn()

            task = asyncio.get_running_loop().create_task(call())
            self._in_flight[key] = task
            task.add_done_callback(lambda done: self._finish(key, done))
        return await asyncio.shield(task)

    def _finish(self, key: K, done: asyncio.Task[V]) -> None:
        if self._in_flight.get(key) is done:
            del self._in_flight[key]
        # Retrieve the outcome so that a call whose callers were all cancelled logs no "never retrieved" warning.
        if not done.cancelled():
            done.exception()
