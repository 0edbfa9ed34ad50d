"""Stable error codes, the same strings the TypeScript library uses (`codec/errors.ts`).

The codes are public API: callers branch on ``err.code``, tests assert them, and payloads fail with the same code in
every language that implements wire format v1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

ErrorCode = Literal[
    "ERR_DECRYPTION_FAILED",
    "ERR_PAYLOAD_TRUNCATED",
    "ERR_MALFORMED_METADATA",
    "ERR_UNSUPPORTED_FORMAT",
    "ERR_UNKNOWN_KEY",
    "ERR_UNKNOWN_KEY_VERSION",
    "ERR_KEY_VERSION_DESTROYED",
    "ERR_NAMESPACE_MISMATCH",
    "ERR_KEY_SOURCE_UNAVAILABLE",
    "ERR_KEY_SOURCE_DENIED",
    "ERR_INVALID_KEY_MATERIAL",
    "ERR_INVALID_CONFIG",
    "ERR_INVALID_ARGUMENT",
    "ERR_UNENCRYPTED_PAYLOAD",
    "ERR_INTERNAL",
]
"""Union of every error code."""

DECRYPTION_FAILED: Final = "ERR_DECRYPTION_FAILED"
"""Authentication failed: tampered data or metadata, wrong key. Says nothing more."""
TRUNCATED: Final = "ERR_PAYLOAD_TRUNCATED"
"""The sealed data is shorter than the format's fixed fields."""
MALFORMED_METADATA: Final = "ERR_MALFORMED_METADATA"
"""A required metadata field is missing or malformed (or the authenticated plaintext is not a Payload)."""
UNSUPPORTED_FORMAT: Final = "ERR_UNSUPPORTED_FORMAT"
"""The payload names a format this version does not implement."""
UNKNOWN_KEY: Final = "ERR_UNKNOWN_KEY"
"""No key exists for the key id (e.g. the namespace has no key yet)."""
UNKNOWN_KEY_VERSION: Final = "ERR_UNKNOWN_KEY_VERSION"
"""The key exists but not this version."""
KEY_VERSION_DESTROYED: Final = "ERR_KEY_VERSION_DESTROYED"
"""The key version was destroyed (crypto-shredded) or is below the minimum decryption version."""
NAMESPACE_MISMATCH: Final = "ERR_NAMESPACE_MISMATCH"
"""The payload was sealed for another namespace's key."""
KEY_SOURCE_UNAVAILABLE: Final = "ERR_KEY_SOURCE_UNAVAILABLE"
"""Vault or the keyring file could not be reached or failed; retrying may succeed."""
KEY_SOURCE_DENIED: Final = "ERR_KEY_SOURCE_DENIED"
"""The key source refused the request (permission denied): retrying will not help."""
INVALID_KEY_MATERIAL: Final = "ERR_INVALID_KEY_MATERIAL"
"""The key source answered with something that is not a valid key."""
INVALID_CONFIG: Final = "ERR_INVALID_CONFIG"
"""Options or configuration are invalid."""
INVALID_ARGUMENT: Final = "ERR_INVALID_ARGUMENT"
"""An argument at the public boundary is invalid (wrong type, bad namespace)."""
UNENCRYPTED_PAYLOAD: Final = "ERR_UNENCRYPTED_PAYLOAD"
"""The codec refuses unencrypted payloads (``unencrypted="reject"``) and met one."""

INTERNAL: Final = "ERR_INTERNAL"
"""A bug: something failed that no other code describes (the TypeScript library's code; listed for parity)."""

ContextValue = str | int


class CodecError(Exception):
    """Raised for every failure of this package.

    ``code`` is stable, ``retryable`` says whether the same call may succeed later (key source outages), ``context``
    names what failed (key id, version, field, namespace) and never holds key bytes or plaintext. The underlying error,
    if any, is kept as ``__cause__``.
    """

    code: ErrorCode
    retryable: bool
    context: Mapping[str, ContextValue]

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        retryable: bool | None = None,
        context: Mapping[str, ContextValue] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = code == KEY_SOURCE_UNAVAILABLE if retryable is None else retryable
        self.context = dict(context or {})

    def __repr__(self) -> str:
        return f"CodecError({self.code!r}, {str(self)!r})"


def decryption_failed() -> CodecError:
    """The one error every authentication failure raises: it reveals nothing about which check failed."""
    return CodecError(DECRYPTION_FAILED, "Decryption failed")
