"""End-to-end encryption of Temporal payloads with keys in Vault (or OpenBao): wire format v1 for the Python SDK.

Payloads sealed here open in the TypeScript library and its codec server, and the other way round.
"""

from .codec import EncryptionCodec, UnencryptedPolicy
from .errors import CodecError, ErrorCode
from .keys import (
    CachingKeyProvider,
    KeyProvider,
    KeyProviderObserver,
    LocalKeyring,
    MemoryKeyStore,
    VaultKvStore,
    VaultTransitKeyProvider,
    VaultTransport,
    VersionedKeyStore,
)
from .types import FORMAT_V1, KeyMaterial, KeyReference

__all__ = [
    "FORMAT_V1",
    "CachingKeyProvider",
    "CodecError",
    "EncryptionCodec",
    "ErrorCode",
    "KeyMaterial",
    "KeyProvider",
    "KeyProviderObserver",
    "KeyReference",
    "LocalKeyring",
    "MemoryKeyStore",
    "UnencryptedPolicy",
    "VaultKvStore",
    "VaultTransitKeyProvider",
    "VaultTransport",
    "VersionedKeyStore",
]
