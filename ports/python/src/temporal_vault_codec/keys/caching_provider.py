"""The key cache over a versioned store (Vault KV v2, the local keyring): the rules of ``caching-key-provider.ts``.

* "the newest version" is trusted for ``latest_ttl`` (60 s), so a rotation propagates;
* exact versions sit in a bounded LRU (``max_cached_versions``, 1,000) for ``version_max_age`` (5 min), so a
  destruction takes effect;
* concurrent misses for one key share one request (single flight);
* when the store fails with a retryable error, cached keys past their age are still served for a bounded window:
  ``stale_if_error`` (15 min) for exact versions, ``encrypt_stale_if_error`` (4 h) for the newest version.

Durations are in seconds. Keys leave as copies; cached bytes are zeroed on eviction.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..errors import INVALID_CONFIG, NAMESPACE_MISMATCH, CodecError
from ..types import KeyMaterial, KeyReference, zero
from .key_cache import KeyCache
from .key_id import default_key_id_for
from .provider import KeyProviderObserver, LatestKey, VersionedKeyStore

T = TypeVar("T")


def check_duration(name: str, value: float) -> float:
    """``value`` when it is a finite, non-negative number of seconds, else ERR_INVALID_CONFIG."""
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise CodecError(INVALID_CONFIG, f"{name} must be a non-negative number of seconds")
    return float(value)


async def timed_request(observer: KeyProviderObserver, operation: str, fn: Callable[[], Awaitable[T]]) -> T:
    """Runs one key-source request and reports its duration and outcome to ``observer.source_request``."""
    started = time.perf_counter()
    try:
        result = await fn()
    except BaseException:
        observer.source_request(operation, time.perf_counter() - started, False)
        raise
    observer.source_request(operation, time.perf_counter() - started, True)
    return result


class CachingKeyProvider:
    """Wraps a :class:`VersionedKeyStore` with the caching rules of the design (see the module docstring)."""

    def __init__(
        self,
        store: VersionedKeyStore,
        *,
        latest_ttl: float = 60.0,
        version_max_age: float = 300.0,
        max_cached_versions: int = 1000,
        stale_if_error: float | None = None,
        encrypt_stale_if_error: float | None = None,
        key_id_for: Callable[[str], str] = default_key_id_for,
        observer: KeyProviderObserver | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._latest_ttl = check_duration("latest_ttl", latest_ttl)
        self._version_max_age = check_duration("version_max_age", version_max_age)
        self._stale_if_error = check_duration("stale_if_error", 900.0 if stale_if_error is None else stale_if_error)
        # An explicit stale_if_error (e.g. 0 to turn stale serving off) applies to both unless this is given too.
        encrypt_stale = encrypt_stale_if_error if encrypt_stale_if_error is not None else stale_if_error
        self._encrypt_stale_if_error = check_duration(
            "encrypt_stale_if_error", 4 * 3600.0 if encrypt_stale is None else encrypt_stale
        )
        if not isinstance(max_cached_versions, int) or max_cached_versions < 1:
            raise CodecError(INVALID_CONFIG, "max_cached_versions must be a positive integer")
        self._key_id_for = key_id_for
        self._observer = observer or KeyProviderObserver()
        self._now = now
        # The newest version is never forgotten on a refusal: the next call asks again anyway.
        self._latest: KeyCache[str, LatestKey] = KeyCache(
            max_entries=max_cached_versions,
            max_age=self._latest_ttl,
            stale_if_error=self._encrypt_stale_if_error,
            now=now,
            on_evict=lambda e: zero(e.key),
            kind="latest",
            observer=self._observer,
            forget_refused=False,
        )
        self._versions: KeyCache[tuple[str, int], bytearray] = KeyCache(
            max_entries=max_cached_versions,
            max_age=self._version_max_age,
            stale_if_error=self._stale_if_error,
            now=now,
            on_evict=zero,
            kind="version",
            observer=self._observer,
        )
        self._known_key_ids: dict[str, str] = {}
        # No timers in a library: entries past their stale window are zeroed by the next call after this interval.
        self._sweep_every = max(1.0, min(self._version_max_age, 60.0))
        self._last_sweep = now()

    def key_id_for(self, namespace: str) -> str:
        """The key id of ``namespace``."""
        return self._key_id_for(namespace)

    def current_encryption_ref(self, namespace: str, payload_count: int) -> KeyReference | None:
        """The newest version's reference while it is fresh and ``namespace`` was seen before, else None."""
        key_id = self._known_key_ids.get(namespace)
        if key_id is None:
            return None
        cached = self._latest.entries.peek(key_id)
        if cached is None or self._age(cached.stored_at) >= self._latest_ttl:
            return None
        self._observer.cache_hit("latest")
        return KeyReference(key_id, cached.value.version)

    async def encryption_key(self, namespace: str, payload_count: int) -> KeyMaterial:
        """The newest active version (a copy)."""
        self._maybe_sweep()
        key_id = self._key_id_for(namespace)
        if len(self._known_key_ids) >= 1024:
            self._known_key_ids.clear()
        self._known_key_ids[namespace] = key_id
        latest = await self._latest.get(key_id, lambda: self._fetch_latest(key_id))
        return KeyMaterial(key_id, latest.version, bytearray(latest.key))

    async def decryption_key(self, namespace: str, ref: KeyReference) -> KeyMaterial:
        """Exactly the version ``ref`` names (a copy)."""
        self._maybe_sweep()
        key_id = self._key_id_for(namespace)
        if ref.key_id != key_id:
            raise CodecError(
                NAMESPACE_MISMATCH,
                f"Payload key id does not belong to namespace {namespace!r}",
                context={"namespace": namespace, "keyId": ref.key_id, "version": ref.version},
            )
        key = await self._versions.get((key_id, ref.version), lambda: self._fetch_version(key_id, ref.version))
        return KeyMaterial(key_id, ref.version, bytearray(key))

    async def check_health(self) -> None:
        """Asks the store."""
        await self._store.check_health()

    def invalidate(self) -> None:
        """Drops every cached key (zeroed), e.g. after an administrative change."""
        self._latest.clear()
        self._versions.clear()

    async def close(self) -> None:
        """Zeroes and drops every cached key."""
        self.invalidate()

    async def _fetch_latest(self, key_id: str) -> LatestKey:
        latest = await timed_request(self._observer, "readLatest", lambda: self._store.read_latest(key_id))
        # The caches keep their own copies; the store's buffer is zeroed once copied.
        self._latest.entries.set(key_id, LatestKey(latest.version, bytearray(latest.key)))
        self._versions.entries.set((key_id, latest.version), bytearray(latest.key))
        result = LatestKey(latest.version, bytearray(latest.key))
        zero(latest.key)
        return result

    async def _fetch_version(self, key_id: str, version: int) -> bytearray:
        key = await timed_request(self._observer, "readVersion", lambda: self._store.read_version(key_id, version))
        self._versions.entries.set((key_id, version), bytearray(key))
        result = bytearray(key)
        zero(key)
        return result

    def _age(self, stored_at: float) -> float:
        return self._now() - stored_at

    def _maybe_sweep(self) -> None:
        now = self._now()
        if now - self._last_sweep < self._sweep_every:
            return
        self._last_sweep = now
        self._latest.sweep()
        self._versions.sweep()
