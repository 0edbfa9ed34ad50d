"""Helpers shared by the tests: the published vectors, in-memory providers, payload builders."""

from __future__ import annotations

import json
import os
import pathlib
from typing import Any

from temporalio.api.common.v1 import Payload

from temporal_vault_codec import CodecError, KeyMaterial, KeyReference
from temporal_vault_codec.errors import DECRYPTION_FAILED, MALFORMED_METADATA, UNKNOWN_KEY_VERSION
from temporal_vault_codec.keys.transit_client import wrapped_key_version

REPO_ROOT = pathlib.Path(__file__).resolve().parents[3]
VECTORS_PATH = REPO_ROOT / "docs" / "test-vectors.json"

Vector = dict[str, Any]


def load_vectors() -> list[Vector]:
    """Every vector of ``docs/test-vectors.json``, in file order."""
    vectors = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    assert isinstance(vectors, list) and vectors, "docs/test-vectors.json must be a non-empty list"
    return vectors


def vault_env() -> tuple[str, str] | None:
    """``(VAULT_ADDR, VAULT_TOKEN)`` when both are set, else None (the Vault tests then skip)."""
    addr, token = os.environ.get("VAULT_ADDR"), os.environ.get("VAULT_TOKEN")
    return (addr.rstrip("/"), token) if addr and token else None


def json_payload(text: str) -> Payload:
    """A payload as the SDK's default converter writes JSON."""
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


class FixedKeyProvider:
    """A provider that knows exactly one key version, as the TypeScript vector tests use.

    With ``namespace``, that namespace maps to ``key_id`` and every other one to itself (the default mapping), so a
    payload moved to another namespace meets the same check it would in production; without, every namespace maps
    to ``key_id``.
    """

    def __init__(
        self,
        key_id: str,
        version: int,
        root_key: bytes,
        wrapped_key: str | None = None,
        namespace: str | None = None,
    ) -> None:
        self.key_id, self.version, self.root_key, self.wrapped_key = key_id, version, root_key, wrapped_key
        self.namespace = namespace
        self.encryption_calls = 0

    def key_id_for(self, namespace: str) -> str:
        return self.key_id if self.namespace in (None, namespace) else namespace

    def current_encryption_ref(self, namespace: str, payload_count: int) -> KeyReference | None:
        return None

    async def encryption_key(self, namespace: str, payload_count: int) -> KeyMaterial:
        self.encryption_calls += 1
        return KeyMaterial(self.key_id, self.version, bytearray(self.root_key), self.wrapped_key)

    async def decryption_key(self, namespace: str, ref: KeyReference) -> KeyMaterial:
        if self.wrapped_key is not None:
            # Transit: the provider's own checks, then Vault unwraps only the wrapped key it made.
            if ref.wrapped_key is None or wrapped_key_version(ref.wrapped_key) != ref.version:
                raise CodecError(MALFORMED_METADATA, "Missing or inconsistent wrapped key")
            if ref.wrapped_key != self.wrapped_key:
                raise CodecError(DECRYPTION_FAILED, "Decryption failed")
        if ref.version != self.version:
            raise CodecError(UNKNOWN_KEY_VERSION, "Unknown key version")
        return KeyMaterial(self.key_id, self.version, bytearray(self.root_key), ref.wrapped_key)

    async def check_health(self) -> None:
        return None

    async def close(self) -> None:
        return None
