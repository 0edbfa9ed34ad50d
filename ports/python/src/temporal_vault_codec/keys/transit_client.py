"""Typed calls to one Vault Transit mount, as ``codec/keys/vault-transit-client.ts`` makes them.

Transit keys are ``derived`` and every call passes the Temporal namespace (base64) as the derivation ``context``, so a
wrapped data key unwraps only for the namespace it was made for. The Transit key of a key id is
``<key_prefix><keyId>`` (default prefix ``temporal-codec-``). Transit's refusals arrive as HTTP 400 with an English
message and no code; :func:`classify_transit_error` maps them to codes with the same patterns as the TypeScript
library (unchanged since Vault 0.x and kept by OpenBao).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import hvac
import hvac.exceptions

from ..errors import (
    DECRYPTION_FAILED,
    INVALID_ARGUMENT,
    INVALID_CONFIG,
    INVALID_KEY_MATERIAL,
    KEY_SOURCE_UNAVAILABLE,
    KEY_VERSION_DESTROYED,
    MALFORMED_METADATA,
    UNKNOWN_KEY,
    UNKNOWN_KEY_VERSION,
    CodecError,
    ContextValue,
    ErrorCode,
)
from ..types import MAX_KEY_VERSION, ROOT_KEY_BYTES, WRAPPED_KEY_KEY
from .vault_transport import VaultTransport, invoke

DEFAULT_KEY_PREFIX = "temporal-codec-"
# Transit names match `\w(([\w-.@]+)?\w)?` (framework.GenericNameRegex) with ASCII `\w`, in Vault and OpenBao alike.
_KEY_NAME = re.compile(r"\w(?:[\w.@-]*\w)?", re.ASCII)
_KEY_PREFIX = re.compile(r"(?:\w[\w.@-]*)?", re.ASCII)
_MOUNT = re.compile(r"[\w./-]+", re.ASCII)
_WRAPPED_KEY = re.compile(r"vault:v([1-9][0-9]{0,9}):[A-Za-z0-9+/]+={0,2}")
_MAX_WRAPPED_KEY_LENGTH = 512
"""A wrapped 32-byte data key is about 90 characters; anything much longer is not one."""


@dataclass(eq=False)
class TransitDataKey:
    """A data key fresh from ``datakey/plaintext``: the plaintext (owned by the receiver) and its wrapped form."""

    version: int
    key: bytearray = field(repr=False)
    wrapped_key: str


def wrapped_key_version(wrapped_key: str) -> int:
    """The Transit key version in a wrapped key's ``vault:vN:`` prefix; ERR_MALFORMED_METADATA if it is not one."""
    match = _WRAPPED_KEY.fullmatch(wrapped_key) if len(wrapped_key) <= _MAX_WRAPPED_KEY_LENGTH else None
    if match is None or int(match.group(1)) > MAX_KEY_VERSION:
        raise CodecError(
            MALFORMED_METADATA, f"Metadata field {WRAPPED_KEY_KEY} is malformed", context={"field": WRAPPED_KEY_KEY}
        )
    return int(match.group(1))


def classify_transit_error(err: CodecError, context: dict[str, ContextValue]) -> CodecError:
    """Maps a Transit refusal (reported as ERR_INVALID_CONFIG quoting Vault) to its code; others pass unchanged."""
    if err.code != INVALID_CONFIG:
        return err
    message = str(err)

    def coded(code: ErrorCode, text: str) -> CodecError:
        mapped = CodecError(code, text, context=context)
        mapped.__cause__ = err
        return mapped

    if re.search(r"disallowed by policy \(too old\)", message):
        return coded(KEY_VERSION_DESTROYED, "Key version was destroyed or is below the minimum")
    if "version is too new" in message:
        return coded(UNKNOWN_KEY_VERSION, "Unknown key version")
    if re.search(r"encryption key not found|no existing key named|invalid key name|key not found", message):
        return coded(UNKNOWN_KEY, "Unknown key")
    if re.search(r"message authentication failed|invalid ciphertext", message):
        return coded(DECRYPTION_FAILED, "Decryption failed")
    if re.search(r"key derivation|derived key", message):
        return coded(
            INVALID_CONFIG,
            "Transit key is not configured as this library creates it (derived aes256-gcm96); create it with the "
            "key-admin CLI",
        )
    return err


class TransitClient:
    """Data keys and unwrapping on one Transit mount."""

    def __init__(self, vault: VaultTransport, *, mount: str = "transit", key_prefix: str = DEFAULT_KEY_PREFIX) -> None:
        self._vault = vault
        self.mount = mount.strip("/")
        self.key_prefix = key_prefix
        if _MOUNT.fullmatch(self.mount) is None:
            raise CodecError(INVALID_CONFIG, "Transit mount must be a path such as transit")
        if _KEY_PREFIX.fullmatch(key_prefix) is None:
            raise CodecError(
                INVALID_CONFIG,
                "Transit key prefix may hold only letters, digits and _ - . @, and must start with a letter or digit",
            )

    def key_name(self, key_id: str) -> str:
        """The Transit key name of ``key_id``; ERR_INVALID_ARGUMENT when Transit would refuse it."""
        name = f"{self.key_prefix}{key_id}"
        if _KEY_NAME.fullmatch(name) is None:
            raise CodecError(
                INVALID_ARGUMENT,
                f"Key id {key_id!r} cannot name a Transit key (letters, digits and _ - . @ only, starting and ending "
                "with a letter or digit)",
                context={"keyId": key_id, "field": "keyId"},
            )
        return name

    async def generate_data_key(self, key_id: str, namespace: str) -> TransitDataKey:
        """A new data key wrapped by the newest version of ``key_id``, bound to ``namespace``."""
        name = self.key_name(key_id)

        def generate(c: hvac.Client) -> object:
            try:
                return invoke(
                    c.secrets.transit.generate_data_key,
                    name,
                    key_type="plaintext",
                    context=_context(namespace),
                    mount_point=self.mount,
                )
            except hvac.exceptions.InvalidPath:
                return None

        response = await self._call("POST datakey/plaintext", generate, {"keyId": key_id})
        data = response.get("data") if isinstance(response, dict) else None
        wrapped = data.get("ciphertext") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(wrapped, str):
            raise CodecError(INVALID_KEY_MATERIAL, "Transit returned no wrapped data key", context={"keyId": key_id})
        version = wrapped_key_version(wrapped)
        if data.get("key_version") is not None and data.get("key_version") != version:
            raise CodecError(
                INVALID_KEY_MATERIAL,
                "Transit data key version disagrees with its ciphertext",
                context={"keyId": key_id, "version": version},
            )
        return TransitDataKey(version, _decode_key(data.get("plaintext"), key_id, version), wrapped)

    async def unwrap(self, key_id: str, namespace: str, wrapped_key: str) -> bytearray:
        """Unwraps a data key through ``decrypt``, with ``namespace`` as the derivation context."""
        version = wrapped_key_version(wrapped_key)
        name = self.key_name(key_id)

        def decrypt(c: hvac.Client) -> object:
            try:
                return c.secrets.transit.decrypt_data(
                    name, ciphertext=wrapped_key, context=_context(namespace), mount_point=self.mount
                )
            except hvac.exceptions.InvalidPath:
                return None

        response = await self._call("POST decrypt", decrypt, {"keyId": key_id, "version": version})
        data = response.get("data") if isinstance(response, dict) else None
        return _decode_key(data.get("plaintext") if isinstance(data, dict) else None, key_id, version)

    async def check_health(self) -> None:
        """ERR_KEY_SOURCE_UNAVAILABLE when Vault is unreachable or sealed."""
        if await self._vault.call("GET sys/seal-status", lambda c: invoke(c.sys.is_sealed) is True):
            raise CodecError(KEY_SOURCE_UNAVAILABLE, "Vault is sealed")

    async def _call(self, where: str, fn: Callable[[hvac.Client], object], context: dict[str, ContextValue]) -> object:
        try:
            return await self._vault.call(where, fn)
        except CodecError as err:
            mapped = classify_transit_error(err, context)
            if mapped is err:
                raise
            raise mapped from err


def _context(namespace: str) -> str:
    return base64.b64encode(namespace.encode("utf-8")).decode()


def _decode_key(plaintext: object, key_id: str, version: int) -> bytearray:
    try:
        key = bytearray(base64.b64decode(plaintext, validate=True)) if isinstance(plaintext, str) else bytearray()
    except binascii.Error:
        key = bytearray()
    if len(key) != ROOT_KEY_BYTES:
        raise CodecError(
            INVALID_KEY_MATERIAL,
            f"Transit data key must be {ROOT_KEY_BYTES} bytes",
            context={"keyId": key_id, "version": version},
        )
    return key
