"""Namespace names as key ids, checked once at the edge (as ``codec/keys/key-id.ts``)."""

from __future__ import annotations

import re

from ..errors import INVALID_ARGUMENT, CodecError

MAX_NAMESPACE_LENGTH = 255
"""Longest namespace accepted, counted in UTF-16 code units as the TypeScript library counts it."""

_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f/\\]")


def _utf16_length(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def assert_namespace(namespace: object) -> str:
    """Returns ``namespace`` when it can be a key id and a Vault path segment, else raises ERR_INVALID_ARGUMENT.

    Non-empty, at most 255 characters, no control characters, no ``/`` or ``\\``, and not ``.`` or ``..``.
    """
    if (
        not isinstance(namespace, str)
        or not namespace
        or _utf16_length(namespace) > MAX_NAMESPACE_LENGTH
        or namespace in (".", "..")
        or _FORBIDDEN.search(namespace) is not None
    ):
        raise CodecError(INVALID_ARGUMENT, "Invalid namespace name", context={"field": "namespace"})
    return namespace


def default_key_id_for(namespace: str) -> str:
    """The default key id of a namespace: the namespace name itself, validated."""
    return assert_namespace(namespace)
