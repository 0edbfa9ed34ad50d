"""End-to-end encryption of Temporal payloads with keys in Vault (or OpenBao): wire format v1 for the Python SDK.

Payloads sealed here open in the TypeScript library and its codec server, and the other way round.
"""

from .codec import EncryptionCodec
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
from .types import FORMAT_V1, STORAGE_REFERENCE_MESSAGE_TYPE, KeyMaterial, KeyReference
from .unencrypted_policy import UnencryptedMode, UnencryptedObserver

__all__ = [
    "FORMAT_V1",
    "STORAGE_REFERENCE_MESSAGE_TYPE",
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
    "UnencryptedMode",
    "UnencryptedObserver",
    "VaultKvStore",
    "VaultTransitKeyProvider",
    "VaultTransport",
    "VersionedKeyStore",
]
