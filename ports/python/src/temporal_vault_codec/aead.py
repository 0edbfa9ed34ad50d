"""The cryptography of wire format v1, and nothing else: no I/O, no key sourcing, no metadata.

See ``docs/wire-format.md`` for the construction and its test vectors; ``codec/aes-gcm.ts`` is the TypeScript twin.
AES-GCM and HKDF come from the ``cryptography`` package (OpenSSL), never from hand-written primitives.
"""

from __future__ import annotations

import hmac
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .errors import INVALID_KEY_MATERIAL, CodecError, decryption_failed
from .types import COMMITMENT_BYTES, HEADER_BYTES, NONCE_BYTES, ROOT_KEY_BYTES, SALT_BYTES, TAG_BYTES

_DERIVE_LABEL = b"tvc1-derive"
_AAD_LABEL = b"tvc1-aad"
_COMMIT_END = SALT_BYTES + COMMITMENT_BYTES


def lp16(text: str) -> bytes:
    """``u16_be(len(utf8(text))) || utf8(text)``."""
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


class DerivedKey:
    """A per-salt AES key and its commitment, derived from one key version.

    ``cipher`` keeps one ``AESGCM`` object per derived key, so a payload costs one AES-GCM call and no key set-up.
    :meth:`dispose` drops it; sealing or opening with a disposed key raises instead of using a stale key.
    """

    __slots__ = ("_aes_key", "_cipher", "commitment", "salt")

    def __init__(self, salt: bytes, aes_key: bytes, commitment: bytes) -> None:
        self.salt = salt
        self.commitment = commitment
        # Immutable bytes: AESGCM may keep a reference to the object it is given, so it must never change under it.
        self._aes_key: bytes | None = bytes(aes_key)
        self._cipher: AESGCM | None = AESGCM(self._aes_key)

    @property
    def cipher(self) -> AESGCM:
        """The AES-256-GCM instance of this key."""
        cipher = self._cipher
        if cipher is None:
            raise RuntimeError("derived key used after dispose")
        return cipher

    @property
    def disposed(self) -> bool:
        """True once :meth:`dispose` ran."""
        return self._cipher is None

    def copy(self) -> DerivedKey:
        """An independent key with its own cipher, for a cache with its own lifetime."""
        if self._aes_key is None:
            raise RuntimeError("derived key used after dispose")
        return DerivedKey(self.salt, self._aes_key, self.commitment)

    def dispose(self) -> None:
        """Drops the AES key and its cipher (OpenSSL clears its copy when the context is freed).

        Python cannot overwrite ``bytes``; dropping the last reference is the most it can do.
        """
        self._aes_key = None
        self._cipher = None


def derive_okm(root_key: bytes | bytearray, salt: bytes, key_id: str, version: int) -> bytes:
    """HKDF-SHA256(ikm = root key, salt, info = "tvc1-derive" || lp16(keyId) || u32(version), L = 64)."""
    if len(root_key) != ROOT_KEY_BYTES:
        raise CodecError(
            INVALID_KEY_MATERIAL,
            f"Key material must be {ROOT_KEY_BYTES} bytes",
            context={"keyId": key_id, "version": version},
        )
    info = _DERIVE_LABEL + lp16(key_id) + struct.pack(">I", version)
    return HKDF(algorithm=SHA256(), length=64, salt=salt, info=info).derive(bytes(root_key))


def derive_key(root_key: bytes | bytearray, salt: bytes, key_id: str, version: int) -> DerivedKey:
    """The AES key (first 32 bytes of the HKDF output) and the key commitment (last 32 bytes) for ``salt``."""
    okm = derive_okm(root_key, salt, key_id, version)
    return DerivedKey(bytes(salt), okm[:32], okm[32:])


def build_aad(format_id: str, namespace: str, key_id: str, version: int) -> bytes:
    """Authenticated data: "tvc1-aad" || lp16(format) || lp16(namespace) || lp16(keyId) || u32(version)."""
    return _AAD_LABEL + lp16(format_id) + lp16(namespace) + lp16(key_id) + struct.pack(">I", version)


class NonceSequence:
    """The nonces of one derived key: a random 96-bit base XOR a 32-bit counter in its last four bytes.

    The construction of TLS 1.3 (RFC 8446, section 5.3): distinct for 2^32 payloads, and a derived key seals at most
    2^24, with no random draw per payload.
    """

    __slots__ = ("_next", "_prefix", "_tail")

    def __init__(self, base: bytes | None = None) -> None:
        base = os.urandom(NONCE_BYTES) if base is None else base
        if len(base) != NONCE_BYTES:
            raise ValueError(f"nonce base must be {NONCE_BYTES} bytes")
        self._prefix = bytes(base[:8])
        self._tail = int.from_bytes(base[8:], "big")
        self._next = 0

    def next(self) -> bytes:
        """The next nonce."""
        counter = self._next
        if counter > 0xFFFFFFFF:
            raise RuntimeError("nonce sequence exhausted")
        self._next = counter + 1
        return self._prefix + (self._tail ^ counter).to_bytes(4, "big")


def sealed_length(plaintext_length: int) -> int:
    """Bytes of a sealed payload whose plaintext is ``plaintext_length`` bytes."""
    return HEADER_BYTES + plaintext_length + TAG_BYTES


def seal(key: DerivedKey, aad: bytes, plaintext: bytes, nonce: bytes) -> bytes:
    """``salt || commitment || nonce || AES-256-GCM(plaintext, aad) || tag``."""
    return b"".join((key.salt, key.commitment, nonce, key.cipher.encrypt(nonce, plaintext, aad)))


def seal_into(key: DerivedKey, aad: bytes, plaintext: bytes, nonce: bytes, out: memoryview) -> None:
    """Like :func:`seal`, written into ``out`` (exactly :func:`sealed_length` bytes) with no intermediate buffer."""
    out[:SALT_BYTES] = key.salt
    out[SALT_BYTES:_COMMIT_END] = key.commitment
    out[_COMMIT_END:HEADER_BYTES] = nonce
    key.cipher.encrypt_into(nonce, plaintext, aad, out[HEADER_BYTES:])


def open_into(key: DerivedKey, aad: bytes, data: bytes, out: memoryview) -> None:
    """Like :func:`open_sealed`, writing the plaintext into ``out`` (``len(data) - 92`` bytes).

    On any failure ``out`` is overwritten with zeros before ``ERR_DECRYPTION_FAILED`` is raised, so unauthenticated
    plaintext never stays in memory the caller reuses.
    """
    view = memoryview(data)
    if not hmac.compare_digest(key.commitment, view[SALT_BYTES:_COMMIT_END]):
        raise decryption_failed()
    try:
        key.cipher.decrypt_into(view[_COMMIT_END:HEADER_BYTES], view[HEADER_BYTES:], aad, out)
    except InvalidTag:
        out[:] = bytes(len(out))
        raise decryption_failed() from None


def open_sealed(key: DerivedKey, aad: bytes, data: bytes) -> bytes:
    """Checks the key commitment, then decrypts and authenticates ``data``.

    Every failure is ``ERR_DECRYPTION_FAILED`` with no detail. Precondition: the length was checked (at least
    92 bytes) and ``key`` was derived from this payload's salt.
    """
    view = memoryview(data)
    # The commitment is not secret (every payload of the salt carries it), but a constant-time compare costs nothing.
    if not hmac.compare_digest(key.commitment, view[SALT_BYTES:_COMMIT_END]):
        raise decryption_failed()
    try:
        return key.cipher.decrypt(view[_COMMIT_END:HEADER_BYTES], view[HEADER_BYTES:], aad)
    except InvalidTag:
        # cryptography releases no plaintext before the tag verifies.
        raise decryption_failed() from None
