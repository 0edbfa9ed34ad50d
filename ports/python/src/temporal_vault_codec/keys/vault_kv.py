"""Key material in Vault KV v2, laid out exactly as ``codec/keys/vault-kv.ts`` lays it out.

One secret per key id at ``<mount>/data/<prefix><keyId>`` holding ``{"key": "<base64 of 32 bytes>"}``; Vault's secret
versions are the key versions. Deactivated (decrypt-only) versions are listed, comma separated, in the secret's
custom metadata field ``inactive_versions``, which every data read returns, so the newest active version costs one
request. ``max_versions`` is always written explicitly (KV v2 silently deletes versions beyond it).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any

import hvac
import hvac.exceptions

from ..errors import (
    INVALID_ARGUMENT,
    INVALID_CONFIG,
    INVALID_KEY_MATERIAL,
    KEY_SOURCE_UNAVAILABLE,
    KEY_VERSION_DESTROYED,
    UNKNOWN_KEY,
    UNKNOWN_KEY_VERSION,
    CodecError,
)
from ..types import ROOT_KEY_BYTES
from .provider import LatestKey
from .vault_transport import VaultTransport, invoke, not_found_body

INACTIVE_VERSIONS_FIELD = "inactive_versions"
"""Custom metadata field listing deactivated (decrypt-only) versions, comma separated."""


class VaultKvStore:
    """A :class:`~temporal_vault_codec.keys.provider.VersionedKeyStore` over Vault KV v2."""

    kind = "vault-kv"

    def __init__(
        self,
        client: hvac.Client | VaultTransport,
        *,
        mount: str = "secret",
        path_prefix: str = "temporal-codec/",
        create_missing_keys: bool = False,
        max_versions: int = 100_000,
    ) -> None:
        self._vault = client if isinstance(client, VaultTransport) else VaultTransport(client)
        self._mount = mount.strip("/")
        self._prefix = path_prefix
        self._create_missing = create_missing_keys
        if not isinstance(max_versions, int) or max_versions < 1:
            raise CodecError(INVALID_CONFIG, "max_versions must be a positive integer (0 would mean 10 in Vault)")
        self._max_versions = max_versions

    async def read_latest(self, key_id: str) -> LatestKey:
        """The newest active version; creates the key first when configured to."""
        response = await self._read(key_id, None)
        if _metadata(response) is None and self._create_missing:
            try:
                await self.create_key(key_id)
            except CodecError as err:
                if err.code != INVALID_ARGUMENT:
                    raise
            response = await self._read(key_id, None)
        metadata = _metadata(response)
        if metadata is None:
            raise CodecError(UNKNOWN_KEY, "Unknown key", context={"keyId": key_id})
        inactive = _parse_inactive(metadata.get("custom_metadata"))
        newest = int(metadata["version"])
        data = _data(response)
        if data is not None and newest not in inactive:
            return LatestKey(newest, _material(data, key_id, newest))
        # The newest version is deactivated or deleted: walk down to the newest usable one (rare, administrative).
        for version in range(newest - 1, 0, -1):
            if version in inactive:
                continue
            try:
                return LatestKey(version, await self.read_version(key_id, version))
            except CodecError as err:
                if err.code in (KEY_VERSION_DESTROYED, UNKNOWN_KEY_VERSION):
                    continue
                raise
        raise CodecError(UNKNOWN_KEY_VERSION, "Key has no active version", context={"keyId": key_id})

    async def read_version(self, key_id: str, version: int) -> bytearray:
        """Exactly ``version`` (active or inactive)."""
        response = await self._read(key_id, version)
        metadata = _metadata(response)
        if metadata is None or metadata.get("version") != version:
            raise CodecError(UNKNOWN_KEY_VERSION, "Unknown key version", context={"keyId": key_id, "version": version})
        data = _data(response)
        if metadata.get("destroyed") or metadata.get("deletion_time") or data is None:
            raise CodecError(
                KEY_VERSION_DESTROYED,
                "Key version was destroyed or deleted",
                context={"keyId": key_id, "version": version},
            )
        return _material(data, key_id, version)

    async def check_health(self) -> None:
        """ERR_KEY_SOURCE_UNAVAILABLE when Vault is unreachable or sealed."""
        sealed = await self._vault.call("GET sys/seal-status", lambda c: invoke(c.sys.is_sealed) is True)
        if sealed:
            raise CodecError(KEY_SOURCE_UNAVAILABLE, "Vault is sealed")

    async def create_key(self, key_id: str) -> int:
        """Creates version 1 (ERR_INVALID_ARGUMENT if the key exists), setting ``max_versions`` first."""
        path = self._path(key_id)
        await self._vault.call(
            "POST metadata",
            lambda c: c.secrets.kv.v2.update_metadata(path, max_versions=self._max_versions, mount_point=self._mount),
        )
        return await self._write_version(key_id, 0)

    async def rotate_key(self, key_id: str) -> int:
        """Writes a new newest version (check-and-set against the current one); returns its number."""
        path = self._path(key_id)

        def current(c: hvac.Client) -> int | None:
            try:
                return int(
                    c.secrets.kv.v2.read_secret_metadata(path, mount_point=self._mount)["data"]["current_version"]
                )
            except hvac.exceptions.InvalidPath:
                return None

        version = await self._vault.call("GET metadata", current)
        if version is None:
            return await self.create_key(key_id)
        return await self._write_version(key_id, version)

    async def _write_version(self, key_id: str, cas: int) -> int:
        path = self._path(key_id)

        def write(c: hvac.Client) -> Any:
            secret = {"key": base64.b64encode(secrets.token_bytes(ROOT_KEY_BYTES)).decode()}
            try:
                return c.secrets.kv.v2.create_or_update_secret(path, secret=secret, cas=cas, mount_point=self._mount)
            finally:
                secret.clear()

        try:
            response = await self._vault.call("POST data", write)
        except CodecError as err:
            if err.code == INVALID_CONFIG and "check-and-set" in str(err).lower():
                message = "Key already exists" if cas == 0 else "Key changed concurrently; retry"
                raise CodecError(INVALID_ARGUMENT, message, context={"keyId": key_id}) from err
            raise
        if not isinstance(response, dict) or not isinstance(response.get("data"), dict):
            raise CodecError(KEY_SOURCE_UNAVAILABLE, "Vault did not confirm the write", context={"keyId": key_id})
        return int(response["data"]["version"])

    async def _read(self, key_id: str, version: int | None) -> object:
        path = self._path(key_id)

        def read(c: hvac.Client) -> object:
            try:
                return c.secrets.kv.v2.read_secret_version(
                    path, version=version, mount_point=self._mount, raise_on_deleted_version=True
                )
            except hvac.exceptions.InvalidPath as err:
                # KV v2 answers deleted and destroyed versions with 404 and their metadata: an ordinary answer.
                return not_found_body(err)

        return await self._vault.call("GET data", read)

    def _path(self, key_id: str) -> str:
        return f"{self._prefix}{key_id}"


def _inner(response: object) -> dict[str, Any] | None:
    inner = response.get("data") if isinstance(response, dict) else None
    return inner if isinstance(inner, dict) else None


def _metadata(response: object) -> dict[str, Any] | None:
    inner = _inner(response)
    metadata = inner.get("metadata") if inner is not None else None
    return metadata if isinstance(metadata, dict) else None


def _data(response: object) -> dict[str, Any] | None:
    inner = _inner(response)
    data = inner.get("data") if inner is not None else None
    return data if isinstance(data, dict) else None


def _parse_inactive(custom: object) -> set[int]:
    text = custom.get(INACTIVE_VERSIONS_FIELD, "") if isinstance(custom, dict) else ""
    return {int(v) for v in str(text).split(",") if v.isascii() and v.isdigit()}


def _material(data: dict[str, Any], key_id: str, version: int) -> bytearray:
    value = data.get("key")
    try:
        key = bytearray(base64.b64decode(value, validate=True)) if isinstance(value, str) else bytearray()
    except binascii.Error:
        key = bytearray()
    if len(key) != ROOT_KEY_BYTES:
        raise CodecError(
            INVALID_KEY_MATERIAL,
            f'Vault secret must hold a base64 "key" of {ROOT_KEY_BYTES} bytes',
            context={"keyId": key_id, "version": version},
        )
    return key
