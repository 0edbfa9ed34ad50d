"""Key sources: Vault KV v2, Vault Transit (envelope), the local keyring file, and the key cache."""

from .caching_provider import CachingKeyProvider
from .local_keyring import LocalKeyring
from .memory_store import MemoryKeyStore
from .provider import KeyProvider, KeyProviderObserver, LatestKey, VersionedKeyStore
from .vault_kv import VaultKvStore
from .vault_transit import VaultTransitKeyProvider
from .vault_transport import VaultTransport

__all__ = [
    "CachingKeyProvider",
    "KeyProvider",
    "KeyProviderObserver",
    "LatestKey",
    "LocalKeyring",
    "MemoryKeyStore",
    "VaultKvStore",
    "VaultTransitKeyProvider",
    "VaultTransport",
    "VersionedKeyStore",
]
