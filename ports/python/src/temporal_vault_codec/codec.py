"""The Temporal ``PayloadCodec`` of wire format v1: the Python twin of ``codec/encryption-codec.ts``.

::

    payload --serialize--> bytes --AES-256-GCM(HKDF(key version, salt))--> {encoding: binary/encrypted, key id,
                                                                           key version, format} + sealed bytes
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Coroutine, Iterable, Sequence
from typing import Any

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec, SerializationContext, WithSerializationContext
from typing_extensions import Self

from .aead import build_aad, derive_key
from .decrypt_key_cache import DecryptKeyCache
from .errors import (
    INVALID_ARGUMENT,
    INVALID_CONFIG,
    NAMESPACE_MISMATCH,
    TRUNCATED,
    CodecError,
)
from .keys.key_id import assert_namespace
from .keys.provider import KeyProvider
from .scratch import ScratchBuffer
from .seal_payload import open_payload, seal_payloads
from .sealing_sessions import SealingSessions
from .types import ENCODING_KEY, FORMAT_V1, MAX_PAYLOADS_PER_DERIVED_KEY, MINIMUM_SEALED_BYTES, SALT_BYTES, KeyReference
from .unencrypted_policy import UnencryptedMode, UnencryptedObserver, UnencryptedPolicy
from .wire_format import ENCRYPTED_ENCODING_BYTES, EncryptedHeader, HeaderReader, is_storage_reference


class _Shared:
    """State shared by a codec and the per-namespace views :meth:`EncryptionCodec.with_context` returns."""

    def __init__(self, provider: KeyProvider, max_uses: int, cache_size: int, cache_max_age: float) -> None:
        self.provider = provider
        self.max_uses = max_uses
        self.sessions = SealingSessions(max_uses, self.aad)
        self.decrypt_keys = DecryptKeyCache(cache_size, cache_max_age, time.monotonic)
        self.aads: dict[tuple[str, str, int], bytes] = {}
        self.key_ids: dict[str, str] = {}
        self.headers = HeaderReader()
        self.last_aad: tuple[str, KeyReference, bytes] | None = None
        self.scratch = ScratchBuffer()

    def aad(self, namespace: str, key_id: str, version: int) -> bytes:
        cache_key = (namespace, key_id, version)
        aad = self.aads.get(cache_key)
        if aad is None:
            # Bounded: forged versions reach here before authentication fails.
            if len(self.aads) >= 4096:
                self.aads.clear()
            aad = self.aads[cache_key] = build_aad(FORMAT_V1, namespace, key_id, version)
        return aad

    def aad_for(self, namespace: str, ref: KeyReference) -> bytes:
        """The AAD of ``ref`` in ``namespace``; the header reader hands out one object per metadata, so the last
        answer is found by identity."""
        last = self.last_aad
        if last is not None and last[0] == namespace and last[1] is ref:
            return last[2]
        aad = self.aad(namespace, ref.key_id, ref.version)
        self.last_aad = (namespace, ref, aad)
        return aad

    def key_id_for(self, namespace: str) -> str:
        key_id = self.key_ids.get(namespace)
        if key_id is None:
            key_id = self.provider.key_id_for(namespace)
            if len(self.key_ids) >= 1024:
                self.key_ids.clear()
            self.key_ids[namespace] = key_id
        return key_id


class EncryptionCodec(PayloadCodec, WithSerializationContext):
    """Seals each payload whole (metadata and data) with AES-256-GCM under the namespace's newest key version, and
    opens payloads under the exact version they name.

    Payloads that are not ``binary/encrypted`` pass through :meth:`decode` unchanged with ``unencrypted="allow"``
    (histories written before encryption was turned on), and fail with ERR_UNENCRYPTED_PAYLOAD with ``"reject"``.
    Inputs are never mutated. On a warm cache neither direction does I/O or key derivation. The namespace of the
    SDK's serialization context, when there is one, is used instead of ``namespace`` (see :meth:`with_context`).
    """

    def __init__(
        self,
        *,
        namespace: str,
        key_provider: KeyProvider,
        max_payloads_per_derived_key: int = MAX_PAYLOADS_PER_DERIVED_KEY,
        decrypt_key_cache_size: int = 1024,
        decrypt_key_max_age: float = 300.0,
        unencrypted: UnencryptedMode = "allow",
        allowed_unencrypted_encodings: Iterable[str] = (),
        on_unencrypted: UnencryptedObserver | None = None,
    ) -> None:
        self._namespace = assert_namespace(namespace)
        if not callable(getattr(key_provider, "encryption_key", None)):
            raise CodecError(INVALID_CONFIG, "key_provider is required")
        max_uses = max_payloads_per_derived_key
        if not isinstance(max_uses, int) or not 1 <= max_uses <= MAX_PAYLOADS_PER_DERIVED_KEY:
            raise CodecError(
                INVALID_CONFIG, f"max_payloads_per_derived_key must be an integer in 1..{MAX_PAYLOADS_PER_DERIVED_KEY}"
            )
        self._unencrypted = UnencryptedPolicy(unencrypted, allowed_unencrypted_encodings, on_unencrypted)
        self._shared = _Shared(key_provider, max_uses, decrypt_key_cache_size, decrypt_key_max_age)

    @property
    def namespace(self) -> str:
        """The namespace this codec (or view) seals for."""
        return self._namespace

    @property
    def unencrypted_passed(self) -> int:
        """How many unencrypted payloads :meth:`decode` let through (``unencrypted="allow"``)."""
        return self._unencrypted.passed

    def with_context(self, context: SerializationContext) -> Self:
        """A view of this codec for the context's namespace, sharing keys and caches (the SDK calls this)."""
        namespace = getattr(context, "namespace", None)
        if not isinstance(namespace, str) or namespace == self._namespace:
            return self
        view = copy.copy(self)
        view._namespace = assert_namespace(namespace)
        return view

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Seals every payload; a batch larger than the derived-key budget is split across fresh salts. External
        storage references pass through unchanged."""
        items = _checked(payloads)
        references = {i for i, p in enumerate(items) if is_storage_reference(p.metadata)}
        to_seal = [p for i, p in enumerate(items) if i not in references] if references else items
        shared, namespace = self._shared, self._namespace
        sealed: list[Payload] = []
        start = 0
        while start < len(to_seal):
            count = min(len(to_seal) - start, shared.max_uses)
            session = shared.sessions.reuse(namespace, shared.provider.current_encryption_ref(namespace, count), count)
            if session is None:
                material = await shared.provider.encryption_key(namespace, count)
                # No await from here to the end of the chunk: a session replaced by another batch is dropped at once.
                session = shared.sessions.install(namespace, material, count)
                shared.decrypt_keys.set(session.ref, session.key.copy())
            sealed.extend(seal_payloads(session, to_seal[start : start + count], shared.scratch))
            start += count
        if not references:
            return sealed
        produced = iter(sealed)
        return [items[i] if i in references else next(produced) for i in range(len(items))]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Opens every encrypted payload; the first failure (in payload order) is raised as a CodecError."""
        items = _checked(payloads)
        out: list[Payload | None] = [None] * len(items)
        pending: list[tuple[int, Coroutine[Any, Any, Payload]]] = []
        for index, payload in enumerate(items):
            result = self._decode_one(payload)
            if isinstance(result, Payload):
                out[index] = result
            else:
                pending.append((index, result))
        if pending:
            results = await asyncio.gather(*(c for _, c in pending), return_exceptions=True)
            for (index, _), value in zip(pending, results, strict=True):
                if isinstance(value, BaseException):
                    raise value
                out[index] = value
        return [p for p in out if p is not None]

    async def warm_up(self) -> None:
        """Fetches the newest key and derives its sealing key now, so a worker starts only if its key source
        answers, and a later outage finds the key in memory."""
        shared = self._shared
        material = await shared.provider.encryption_key(self._namespace, 1)
        session = shared.sessions.install(self._namespace, material, 0)
        shared.decrypt_keys.set(session.ref, session.key.copy())

    def close(self) -> None:
        """Drops every derived key held by this codec (and its views)."""
        self._shared.sessions.clear()
        self._shared.decrypt_keys.clear()

    def _decode_one(self, payload: Payload) -> Payload | Coroutine[Any, Any, Payload]:
        shared, namespace = self._shared, self._namespace
        metadata = payload.metadata
        if metadata.get(ENCODING_KEY) != ENCRYPTED_ENCODING_BYTES:
            if not is_storage_reference(metadata):
                self._unencrypted.admit(metadata, namespace)
            return payload
        header = shared.headers.read(metadata)
        ref = header.ref
        if ref.key_id != (shared.key_ids.get(namespace) or shared.key_id_for(namespace)):
            raise CodecError(
                NAMESPACE_MISMATCH,
                "Payload was encrypted for another namespace",
                context={"namespace": namespace, "keyId": ref.key_id, "version": ref.version},
            )
        data = payload.data
        if len(data) < MINIMUM_SEALED_BYTES:
            raise CodecError(
                TRUNCATED,
                f"Encrypted data is {len(data)} bytes, shorter than the {MINIMUM_SEALED_BYTES}-byte minimum",
                context={"field": "data", "keyId": ref.key_id, "version": ref.version},
            )
        aad = shared.aad_for(namespace, ref)
        cached = shared.decrypt_keys.get(ref, data[:SALT_BYTES])
        if cached is not None:
            return open_payload(cached, aad, data, shared.scratch)
        return self._open_with_fetched_key(header, aad, data)

    async def _open_with_fetched_key(self, header: EncryptedHeader, aad: bytes, data: bytes) -> Payload:
        shared, ref = self._shared, header.ref
        material = await shared.provider.decryption_key(self._namespace, ref)
        try:
            key = derive_key(material.key, data[:SALT_BYTES], ref.key_id, ref.version)
        finally:
            material.zero()
        try:
            opened = open_payload(key, aad, data, shared.scratch)
        except CodecError as err:
            # A key that authenticated the payload is good even when the plaintext is not a Payload.
            if err.code == "ERR_DECRYPTION_FAILED":
                key.dispose()
                raise
            shared.decrypt_keys.set(ref, key)
            raise
        # Only keys that opened a payload are cached: forged salts cannot fill the cache.
        shared.decrypt_keys.set(ref, key)
        return opened


def _checked(payloads: Sequence[Payload]) -> list[Payload]:
    """The payloads as a list; ERR_INVALID_ARGUMENT unless every item is a Payload (checked despite the types)."""
    if isinstance(payloads, (str, bytes)) or not isinstance(payloads, Sequence):
        raise CodecError(INVALID_ARGUMENT, "payloads must be a sequence of Payload", context={"field": "payloads"})
    items = list(payloads)
    for payload in items:
        if not isinstance(payload, Payload):
            raise CodecError(INVALID_ARGUMENT, "payload must be a Payload", context={"field": "payload"})
    return items
