"""Where keys come from: the contracts between the codec, the caches and the stores.

::

    EncryptionCodec --encryption_key(ns)------> KeyProvider --> cache --> Vault KV v2 / Transit / keyring file
                    --decryption_key(ns, ref)--^

The codec never does I/O itself, and swapping the provider never touches the cryptography. Implementations raise
only :class:`~temporal_vault_codec.errors.CodecError`. Same contract as ``codec/keys/key-provider.ts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from ..types import KeyMaterial, KeyReference

CacheKind = Literal["latest", "version"]


class KeyProvider(Protocol):
    """Hands the codec the key to seal with and the exact key a payload names."""

    def key_id_for(self, namespace: str) -> str:
        """The key id that holds ``namespace``'s keys (payloads naming another fail with ERR_NAMESPACE_MISMATCH)."""
        ...

    async def encryption_key(self, namespace: str, payload_count: int) -> KeyMaterial:
        """The newest active key version, to seal ``payload_count`` payloads (envelope providers count uses)."""
        ...

    def current_encryption_ref(self, namespace: str, payload_count: int) -> KeyReference | None:
        """The reference :meth:`encryption_key` would return now when known without I/O, else None.

        A returned reference commits ``payload_count`` uses, exactly as :meth:`encryption_key` would.
        """
        ...

    async def decryption_key(self, namespace: str, ref: KeyReference) -> KeyMaterial:
        """The exact key version a payload names."""
        ...

    async def check_health(self) -> None:
        """Raises ERR_KEY_SOURCE_UNAVAILABLE when the key source does not answer."""
        ...

    async def close(self) -> None:
        """Zeroes cached keys."""
        ...


@dataclass
class LatestKey:
    """The newest active version of a key, with its material (owned by the receiver)."""

    version: int
    key: bytearray = field(repr=False)


class VersionedKeyStore(Protocol):
    """A store of versioned raw keys (Vault KV v2, the local keyring file), with no caching of its own.

    Errors: ERR_UNKNOWN_KEY, ERR_UNKNOWN_KEY_VERSION, ERR_KEY_VERSION_DESTROYED, ERR_KEY_SOURCE_UNAVAILABLE
    (retryable), ERR_KEY_SOURCE_DENIED.
    """

    @property
    def kind(self) -> str:
        """Short name for logs, e.g. ``vault-kv``."""
        ...

    async def read_latest(self, key_id: str) -> LatestKey:
        """The newest active version; creates the key first when the store is configured to."""
        ...

    async def read_version(self, key_id: str, version: int) -> bytearray:
        """Exactly ``version`` (active or inactive)."""
        ...

    async def check_health(self) -> None:
        """Raises ERR_KEY_SOURCE_UNAVAILABLE when the store cannot be reached."""
        ...


class KeyProviderObserver:
    """Observes key-source activity, for metrics. Override what you need; every method does nothing here."""

    def cache_hit(self, kind: CacheKind) -> None:
        """A key was served from memory."""

    def cache_miss(self, kind: CacheKind) -> None:
        """A key had to be fetched."""

    def stale_served(self, kind: CacheKind) -> None:
        """The source failed and a key past its age was served (stale-if-error)."""

    def source_request(self, operation: str, duration_s: float, ok: bool) -> None:
        """One request to the key source finished."""
