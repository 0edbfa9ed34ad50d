"""Wire constants of format v1 and the small value types shared by the codec and the key sources.

Every name here appears on the wire or in payload metadata (see ``docs/wire-format.md``), so changing one is a
breaking change. The values equal ``codec/types.ts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

ENCODING_KEY: Final = "encoding"
"""Metadata key of the Temporal encoding convention."""
FORMAT_KEY: Final = "encryption-format"
"""Metadata key of the format identifier."""
KEY_ID_KEY: Final = "encryption-key-id"
"""Metadata key naming the key that sealed the payload."""
KEY_VERSION_KEY: Final = "encryption-key-version"
"""Metadata key of the decimal key version."""
WRAPPED_KEY_KEY: Final = "encryption-wrapped-key"
"""Metadata key of the Transit-wrapped data key (envelope mode only)."""

STORAGE_REFERENCE_MESSAGE_TYPE: Final = "temporal.api.sdk.v1.ExternalStorageReference"
"""Metadata ``messageType`` of an external storage reference: such payloads pass through the codec unchanged."""
ENCRYPTED_ENCODING: Final = "binary/encrypted"
"""The ``encoding`` value of an encrypted payload."""
FORMAT_V1: Final = "tvc1-aes256gcm-hkdf-sha256-commit"
"""Format v1: AES-256-GCM under HKDF-SHA256 per-salt keys, with key commitment. Bound into the AAD."""
SUPPORTED_FORMATS: Final = frozenset({FORMAT_V1})

SALT_BYTES: Final = 32
COMMITMENT_BYTES: Final = 32
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
HEADER_BYTES: Final = SALT_BYTES + COMMITMENT_BYTES + NONCE_BYTES
"""salt + commitment + nonce: where the ciphertext starts."""
MINIMUM_SEALED_BYTES: Final = HEADER_BYTES + TAG_BYTES
"""The smallest valid sealed payload (an empty serialized Payload): 92 bytes."""
ROOT_KEY_BYTES: Final = 32
"""Length of a key version's root key material (AES-256)."""
MAX_KEY_VERSION: Final = 0xFFFFFFFF

MAX_PAYLOADS_PER_DERIVED_KEY: Final = 2**24
"""Payloads sealed under one derived key before a fresh salt is drawn (the nonce budget of the spec)."""


@dataclass(frozen=True)
class KeyReference:
    """Identifies one version of one key, as an encrypted payload's metadata names it."""

    key_id: str
    version: int
    wrapped_key: str | None = None
    """Transit envelope mode: the wrapped data key carried by the payload."""


@dataclass(eq=False)
class KeyMaterial:
    """One key version's root material, handed to the codec.

    The codec owns ``key`` (a copy) and zeroes it once it has derived what it needs.
    """

    key_id: str
    version: int
    key: bytearray = field(repr=False)
    """32 bytes of root key material."""
    wrapped_key: str | None = None

    @property
    def ref(self) -> KeyReference:
        """The reference this material answers."""
        return KeyReference(self.key_id, self.version, self.wrapped_key)

    def zero(self) -> None:
        """Overwrites the key bytes."""
        zero(self.key)


def zero(buffer: bytearray) -> None:
    """Overwrites ``buffer`` in place: Python cannot wipe ``bytes``, so key material is kept in bytearrays."""
    buffer[:] = bytes(len(buffer))
