"""Reading and writing the metadata of wire format v1 (the bytes are in ``aead.py``).

Metadata is public by design: it names the key and version so that operators can see what a history needs without
decrypting it. Same checks, in the same order, as ``codec/wire-format.ts``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import MALFORMED_METADATA, UNSUPPORTED_FORMAT, CodecError
from .types import (
    ENCODING_KEY,
    ENCRYPTED_ENCODING,
    FORMAT_KEY,
    FORMAT_V1,
    KEY_ID_KEY,
    KEY_VERSION_KEY,
    MAX_KEY_VERSION,
    STORAGE_REFERENCE_MESSAGE_TYPE,
    SUPPORTED_FORMATS,
    WRAPPED_KEY_KEY,
    KeyReference,
)

ENCRYPTED_ENCODING_BYTES = ENCRYPTED_ENCODING.encode()
"""The ``encoding`` metadata value of an encrypted payload, as bytes."""
_VERSION = re.compile(r"[1-9][0-9]{0,9}")


@dataclass(frozen=True)
class EncryptedHeader:
    """What an encrypted payload's metadata says."""

    format: str
    ref: KeyReference


_STORAGE_REFERENCE_BYTES = STORAGE_REFERENCE_MESSAGE_TYPE.encode()


def is_storage_reference(metadata: Mapping[str, bytes]) -> bool:
    """True for an external storage reference (metadata ``messageType``), which passes through the codec."""
    return metadata.get("messageType") == _STORAGE_REFERENCE_BYTES


def is_encrypted(metadata: Mapping[str, bytes]) -> bool:
    """True when the payload says it is encrypted (``encoding: binary/encrypted``)."""
    return metadata.get(ENCODING_KEY) == ENCRYPTED_ENCODING_BYTES


def _read_text(metadata: Mapping[str, bytes], key: str) -> str | None:
    value = metadata.get(key)
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise CodecError(
            MALFORMED_METADATA, f"Metadata field {key} is not valid UTF-8", context={"field": key}
        ) from None


def read_encrypted_header(metadata: Mapping[str, bytes]) -> EncryptedHeader:
    """Parses and checks the metadata of an encrypted payload. Precondition: :func:`is_encrypted` is true."""
    format_id = _read_text(metadata, FORMAT_KEY)
    if format_id is None or format_id not in SUPPORTED_FORMATS:
        raise CodecError(UNSUPPORTED_FORMAT, "Unsupported or missing encryption format", context={"field": FORMAT_KEY})
    key_id = _read_text(metadata, KEY_ID_KEY)
    if not key_id:
        raise CodecError(MALFORMED_METADATA, f"Missing metadata field {KEY_ID_KEY}", context={"field": KEY_ID_KEY})
    version_text = _read_text(metadata, KEY_VERSION_KEY)
    if version_text is None or _VERSION.fullmatch(version_text) is None or int(version_text) > MAX_KEY_VERSION:
        raise CodecError(
            MALFORMED_METADATA,
            f"Missing or invalid metadata field {KEY_VERSION_KEY}",
            context={"field": KEY_VERSION_KEY, "keyId": key_id},
        )
    wrapped_key = _read_text(metadata, WRAPPED_KEY_KEY)
    return EncryptedHeader(format_id, KeyReference(key_id, int(version_text), wrapped_key))


def encrypted_metadata(ref: KeyReference, format_id: str = FORMAT_V1) -> dict[str, bytes]:
    """The metadata of a payload sealed under ``ref``."""
    metadata = {
        ENCODING_KEY: ENCRYPTED_ENCODING_BYTES,
        FORMAT_KEY: format_id.encode(),
        KEY_ID_KEY: ref.key_id.encode("utf-8"),
        KEY_VERSION_KEY: str(ref.version).encode(),
    }
    if ref.wrapped_key is not None:
        metadata[WRAPPED_KEY_KEY] = ref.wrapped_key.encode("utf-8")
    return metadata


class HeaderReader:
    """Reads encrypted headers, remembering the last one: payloads of one batch almost always share key id, version
    and format, and comparing four short byte strings is much cheaper than decoding and validating them again."""

    def __init__(self) -> None:
        self._last_raw: tuple[bytes | None, ...] | None = None
        self._last: EncryptedHeader | None = None

    def read(self, metadata: Mapping[str, bytes]) -> EncryptedHeader:
        """Same contract as :func:`read_encrypted_header`; the same object for identical metadata."""
        raw = (
            metadata.get(FORMAT_KEY),
            metadata.get(KEY_ID_KEY),
            metadata.get(KEY_VERSION_KEY),
            metadata.get(WRAPPED_KEY_KEY),
        )
        last = self._last
        if last is not None and raw == self._last_raw:
            return last
        header = read_encrypted_header(metadata)
        self._last_raw, self._last = raw, header
        return header
