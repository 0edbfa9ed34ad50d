"""The Transit data keys currently used for encryption, as ``codec/keys/vault-transit-data-keys.ts`` keeps them.

One key per slot (key id and namespace) under two limits: age and number of payloads. Every caller reserves its
payload count before it gets a copy, so concurrent batches cannot push a key past its limit; concurrent misses share
one request; callers that find the fresh key already used up fetch the next one. A key is copied out synchronously
when reserved, so replacing a slot can zero the old key at once.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import CodecError
from ..types import zero
from .cache import SingleFlight
from .provider import KeyProviderObserver
from .transit_client import TransitDataKey


@dataclass
class _Slot:
    data_key: TransitDataKey
    fetched_at: float
    uses: int = 0


class DataKeyPool:
    """Data keys for encryption, each used for at most ``max_age`` seconds and ``max_uses`` payloads."""

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[TransitDataKey]],
        *,
        max_age: float,
        max_uses: int,
        stale_if_error: float,
        now: Callable[[], float],
        observer: KeyProviderObserver,
    ) -> None:
        self._fetch = fetch
        self._max_age = max_age
        self._max_uses = max_uses
        self._stale_if_error = stale_if_error
        self._now = now
        self._observer = observer
        self._slots: dict[str, _Slot] = {}
        self._flights: SingleFlight[str, None] = SingleFlight()

    async def take(self, slot: str, count: int) -> TransitDataKey:
        """A copy of a data key for ``count`` payloads in ``slot``, fetching a new one when none has room."""
        # Each pass returns or waits for a fetch; a key fetched after the caller arrived is fresh enough for it
        # whatever the clock says, so the loop ends.
        arrived = self._now()
        while True:
            reserved = self._reserve(slot, count, self._max_age, arrived)
            if reserved is not None:
                self._observer.cache_hit("latest")
                return reserved
            self._observer.cache_miss("latest")
            try:
                await self._flights.run(slot, lambda: self._refill(slot))
            except CodecError as err:
                stale = self._reserve(slot, count, self._stale_limit(), math.inf) if err.retryable else None
                if stale is None:
                    raise
                self._observer.stale_served("latest")
                return stale

    def reserve_reference(self, slot: str, count: int) -> tuple[int, str] | None:
        """Reserves ``count`` uses of the current key without copying it: its (version, wrapped key), else None."""
        current = self._slots.get(slot)
        if current is None or self._now() - current.fetched_at >= self._max_age:
            return None
        if current.uses > 0 and current.uses + count > self._max_uses:
            return None
        current.uses += count
        self._observer.cache_hit("latest")
        return current.data_key.version, current.data_key.wrapped_key

    def sweep(self) -> None:
        """Zeroes and drops keys too old even for the stale window."""
        now = self._now()
        for name in [n for n, s in self._slots.items() if now - s.fetched_at >= self._stale_limit()]:
            self._drop(name)

    def clear(self) -> None:
        """Zeroes and drops every key."""
        for name in list(self._slots):
            self._drop(name)

    def _stale_limit(self) -> float:
        return self._max_age + self._stale_if_error

    def _reserve(self, name: str, count: int, max_age: float, fetched_since: float) -> TransitDataKey | None:
        slot = self._slots.get(name)
        if slot is None:
            return None
        if self._now() - slot.fetched_at >= max_age and slot.fetched_at < fetched_since:
            return None
        # An empty key takes any batch: a batch larger than the limit gets a fresh key of its own.
        if slot.uses > 0 and slot.uses + count > self._max_uses:
            return None
        slot.uses += count
        key = slot.data_key
        return TransitDataKey(key.version, bytearray(key.key), key.wrapped_key)

    async def _refill(self, name: str) -> None:
        data_key = await self._fetch(name)
        self._drop(name)
        self._slots[name] = _Slot(data_key, self._now())

    def _drop(self, name: str) -> None:
        slot = self._slots.pop(name, None)
        if slot is not None:
            zero(slot.data_key.key)
