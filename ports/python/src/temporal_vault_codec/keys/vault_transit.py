"""Envelope encryption with Vault Transit, as ``codec/keys/vault-transit.ts`` does it.

Each namespace's key-encryption key is a Transit key that never leaves Vault. Payloads are sealed under data keys
from ``datakey/plaintext``, whose wrapped form (``vault:vN:...``) travels in the payload metadata, and Transit's
``N`` is the payload's key version::

    encode: DataKeyPool (max age, max payloads) --miss--> POST transit/datakey/plaintext/<prefix><keyId>
    decode: LRU by wrapped key (max age, zeroed) --miss--> POST transit/decrypt/<prefix><keyId>  (single flight)

On retryable Vault errors, cached keys are served for a bounded stale window. Durations are in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import hvac

from ..errors import INVALID_CONFIG, MALFORMED_METADATA, NAMESPACE_MISMATCH, CodecError
from ..types import KEY_VERSION_KEY, WRAPPED_KEY_KEY, KeyMaterial, KeyReference, zero
from .caching_provider import check_duration, timed_request
from .data_key_pool import DataKeyPool
from .key_cache import KeyCache
from .key_id import default_key_id_for
from .provider import KeyProviderObserver
from .transit_client import DEFAULT_KEY_PREFIX, TransitClient, TransitDataKey, wrapped_key_version
from .vault_transport import VaultTransport


def _positive_int(name: str, value: int) -> int:
    if not isinstance(value, int) or value < 1:
        raise CodecError(INVALID_CONFIG, f"{name} must be a positive integer")
    return value


class VaultTransitKeyProvider:
    """A :class:`~temporal_vault_codec.keys.provider.KeyProvider` over Vault Transit in envelope mode."""

    def __init__(
        self,
        client: hvac.Client | VaultTransport,
        *,
        mount: str = "transit",
        key_prefix: str = DEFAULT_KEY_PREFIX,
        data_key_max_age: float = 60.0,
        max_payloads_per_data_key: int = 100_000,
        unwrapped_key_max_age: float = 300.0,
        max_cached_data_keys: int = 1000,
        stale_if_error: float = 900.0,
        key_id_for: Callable[[str], str] = default_key_id_for,
        observer: KeyProviderObserver | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        vault = client if isinstance(client, VaultTransport) else VaultTransport(client)
        self._transit = TransitClient(vault, mount=mount, key_prefix=key_prefix)
        self._key_id_for = key_id_for
        self._observer = observer or KeyProviderObserver()
        self._now = now
        self._unwrap_max_age = check_duration("unwrapped_key_max_age", unwrapped_key_max_age)
        self._stale_if_error = check_duration("stale_if_error", stale_if_error)
        max_age = check_duration("data_key_max_age", data_key_max_age)
        self._unwrapped: KeyCache[tuple[str, str, str], bytearray] = KeyCache(
            max_entries=_positive_int("max_cached_data_keys", max_cached_data_keys),
            max_age=self._unwrap_max_age,
            stale_if_error=self._stale_if_error,
            now=now,
            on_evict=zero,
            kind="version",
            observer=self._observer,
        )
        self._data_keys = DataKeyPool(
            self._generate,
            max_age=max_age,
            max_uses=_positive_int("max_payloads_per_data_key", max_payloads_per_data_key),
            stale_if_error=self._stale_if_error,
            now=now,
            observer=self._observer,
        )
        self._known_key_ids: dict[str, str] = {}
        self._sweep_every = max(1.0, min(self._unwrap_max_age, max_age, 60.0))
        self._last_sweep = now()

    def key_id_for(self, namespace: str) -> str:
        """The key id of ``namespace``."""
        return self._key_id_for(namespace)

    def current_encryption_ref(self, namespace: str, payload_count: int) -> KeyReference | None:
        """The current data key's reference, reserving ``payload_count`` uses, when it is fresh and has room."""
        key_id = self._known_key_ids.get(namespace)
        if key_id is None:
            return None
        reserved = self._data_keys.reserve_reference(_slot(key_id, namespace), max(1, payload_count))
        return None if reserved is None else KeyReference(key_id, reserved[0], reserved[1])

    async def encryption_key(self, namespace: str, payload_count: int) -> KeyMaterial:
        """A data key (a copy) with room for ``payload_count`` payloads."""
        self._maybe_sweep()
        key_id = self._key_id_for(namespace)
        # Precondition: the key id can name a Transit key (checked before any request).
        self._transit.key_name(key_id)
        data_key = await self._data_keys.take(_slot(key_id, namespace), max(1, payload_count))
        if len(self._known_key_ids) >= 1024:
            self._known_key_ids.clear()
        self._known_key_ids[namespace] = key_id
        return KeyMaterial(key_id, data_key.version, data_key.key, data_key.wrapped_key)

    async def decryption_key(self, namespace: str, ref: KeyReference) -> KeyMaterial:
        """The data key a payload's wrapped key holds (a copy)."""
        self._maybe_sweep()
        key_id = self._key_id_for(namespace)
        if ref.key_id != key_id:
            raise CodecError(
                NAMESPACE_MISMATCH,
                f"Payload key id does not belong to namespace {namespace!r}",
                context={"namespace": namespace, "keyId": ref.key_id, "version": ref.version},
            )
        wrapped = ref.wrapped_key
        if wrapped is None:
            raise CodecError(
                MALFORMED_METADATA,
                f"Missing metadata field {WRAPPED_KEY_KEY}",
                context={"field": WRAPPED_KEY_KEY, "keyId": key_id, "version": ref.version},
            )
        # Precondition: the version in the metadata is the version Transit wrapped the data key with.
        if wrapped_key_version(wrapped) != ref.version:
            raise CodecError(
                MALFORMED_METADATA,
                f"Metadata field {KEY_VERSION_KEY} does not match the wrapped key's version",
                context={"field": KEY_VERSION_KEY, "keyId": key_id, "version": ref.version},
            )
        cache_key = (key_id, namespace, wrapped)
        # A refusal (the wrapped key is bad, or its version is gone) forgets the entry at once.
        key = await self._unwrapped.get(cache_key, lambda: self._unwrap(cache_key))
        return KeyMaterial(key_id, ref.version, bytearray(key), wrapped)

    async def check_health(self) -> None:
        """ERR_KEY_SOURCE_UNAVAILABLE when Vault is unreachable or sealed."""
        await self._transit.check_health()

    def invalidate(self) -> None:
        """Drops every cached data key (zeroed)."""
        self._data_keys.clear()
        self._unwrapped.clear()

    async def close(self) -> None:
        """Zeroes and drops every cached key."""
        self.invalidate()

    async def _generate(self, slot: str) -> TransitDataKey:
        key_id, namespace = slot.split("\x00", 1)
        data_key = await timed_request(
            self._observer, "datakey", lambda: self._transit.generate_data_key(key_id, namespace)
        )
        # The same process often decodes what it just sealed: let that hit memory.
        self._unwrapped.entries.set((key_id, namespace, data_key.wrapped_key), bytearray(data_key.key))
        return data_key

    async def _unwrap(self, cache_key: tuple[str, str, str]) -> bytearray:
        key_id, namespace, wrapped = cache_key
        key = await timed_request(self._observer, "decrypt", lambda: self._transit.unwrap(key_id, namespace, wrapped))
        self._unwrapped.entries.set(cache_key, bytearray(key))
        return key

    def _maybe_sweep(self) -> None:
        now = self._now()
        if now - self._last_sweep < self._sweep_every:
            return
        self._last_sweep = now
        self._data_keys.sweep()
        self._unwrapped.sweep()


def _slot(key_id: str, namespace: str) -> str:
    # Key ids and namespaces never contain NUL (assert_namespace), so it separates them unambiguously.
    return f"{key_id}\x00{namespace}"
