"""Versioned keys in a local JSON file, the same file ``codec/keys/local-keyring.ts`` reads and writes.

::

    {"format": "temporal-vault-codec-keyring/v1",
     "keys": {"<key id>": {"versions": [{"version": 1, "createdAt": "...", "state": "active",
                                          "material": "<base64 of 32 bytes>"}]}}}

``state`` is ``active`` (encrypts and decrypts), ``inactive`` (decrypts only) or ``destroyed`` (no material). Keys
sit unencrypted on disk, protected only by file mode 0600: for development only, never production (use Vault).
Changes hold the file's lock across processes (``keyring_lock.py``), as the TypeScript library does.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import secrets
import stat
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from ..errors import (
    INVALID_ARGUMENT,
    INVALID_CONFIG,
    INVALID_KEY_MATERIAL,
    KEY_SOURCE_DENIED,
    KEY_SOURCE_UNAVAILABLE,
    KEY_VERSION_DESTROYED,
    UNKNOWN_KEY,
    UNKNOWN_KEY_VERSION,
    CodecError,
)
from ..types import ROOT_KEY_BYTES
from .keyring_lock import keyring_lock
from .provider import LatestKey

FILE_FORMAT = "temporal-vault-codec-keyring/v1"
KeyringFile = dict[str, Any]
T = TypeVar("T")
_log = logging.getLogger("temporal_vault_codec")


class LocalKeyring:
    """A :class:`~temporal_vault_codec.keys.provider.VersionedKeyStore` over a keyring file (created on first use)."""

    kind = "local-keyring"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        create_missing_keys: bool = True,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.path = os.fspath(path)
        if not self.path:
            raise CodecError(INVALID_CONFIG, "LocalKeyring needs a file path")
        self._create_missing = create_missing_keys
        self._warn = warn or _log.warning
        self._warned = False

    async def read_latest(self, key_id: str) -> LatestKey:
        """The newest active version, creating version 1 first when the key is missing and creation is on."""
        entry = (await self._read())["keys"].get(key_id)
        if entry is None and self._create_missing:
            try:
                await self.create_key(key_id)
            except CodecError as err:
                if err.code != INVALID_ARGUMENT:  # created by someone else first: fine
                    raise
            entry = (await self._read())["keys"].get(key_id)
        if entry is None:
            raise CodecError(UNKNOWN_KEY, "Unknown key", context={"keyId": key_id})
        for stored in reversed(entry["versions"]):
            if stored.get("state") == "active" and stored.get("material") is not None:
                return LatestKey(stored["version"], _decode_material(stored["material"], key_id, stored["version"]))
        raise CodecError(UNKNOWN_KEY_VERSION, "Key has no active version", context={"keyId": key_id})

    async def read_version(self, key_id: str, version: int) -> bytearray:
        """Exactly ``version``."""
        entry = (await self._read())["keys"].get(key_id)
        if entry is None:
            raise CodecError(UNKNOWN_KEY, "Unknown key", context={"keyId": key_id})
        stored = next((v for v in entry["versions"] if v.get("version") == version), None)
        if stored is None:
            raise CodecError(UNKNOWN_KEY_VERSION, "Unknown key version", context={"keyId": key_id, "version": version})
        if stored.get("state") == "destroyed" or stored.get("material") is None:
            raise CodecError(
                KEY_VERSION_DESTROYED, "Key version was destroyed", context={"keyId": key_id, "version": version}
            )
        return _decode_material(stored["material"], key_id, version)

    async def check_health(self) -> None:
        """Reads the file."""
        await self._read()

    async def create_key(self, key_id: str) -> int:
        """Creates version 1 of ``key_id``; ERR_INVALID_ARGUMENT when the key exists."""

        def change(file: KeyringFile) -> int:
            if key_id in file["keys"]:
                raise CodecError(INVALID_ARGUMENT, "Key already exists", context={"keyId": key_id})
            file["keys"][key_id] = {"versions": [_new_version(1)]}
            return 1

        return await self._update(change)

    async def rotate_key(self, key_id: str) -> int:
        """Adds a new newest version (creating the key when missing); returns its number."""

        def change(file: KeyringFile) -> int:
            versions = file["keys"].setdefault(key_id, {"versions": []})["versions"]
            version = max((v["version"] for v in versions), default=0) + 1
            versions.append(_new_version(version))
            return int(version)

        return await self._update(change)

    async def set_version_state(self, key_id: str, version: int, state: str) -> None:
        """Sets a version's state (``active``, ``inactive``, ``destroyed``); destruction erases the material."""

        def change(file: KeyringFile) -> None:
            entry = file["keys"].get(key_id) or {"versions": []}
            stored = next((v for v in entry["versions"] if v.get("version") == version), None)
            if stored is None:
                raise CodecError(
                    UNKNOWN_KEY_VERSION, "Unknown key version", context={"keyId": key_id, "version": version}
                )
            if stored.get("state") == "destroyed" and state != "destroyed":
                raise CodecError(KEY_VERSION_DESTROYED, "A destroyed version cannot be restored")
            stored["state"] = state
            if state == "destroyed":
                stored.pop("material", None)

        await self._update(change)

    async def _read(self) -> KeyringFile:
        return await asyncio.to_thread(self._read_sync)

    def _read_sync(self) -> KeyringFile:
        try:
            with open(self.path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            return {"format": FILE_FORMAT, "keys": {}}
        except OSError as err:
            raise _file_error(err) from err
        self._warn_once()
        try:
            parsed = json.loads(text)
        except ValueError:
            raise CodecError(INVALID_CONFIG, "Keyring file is not valid JSON") from None
        if (
            not isinstance(parsed, dict)
            or parsed.get("format") != FILE_FORMAT
            or not isinstance(parsed.get("keys"), dict)
        ):
            raise CodecError(INVALID_CONFIG, f"Keyring file is not a {FILE_FORMAT} file")
        return parsed

    async def _update(self, change: Callable[[KeyringFile], T]) -> T:
        return await asyncio.to_thread(self._update_sync, change)

    def _update_sync(self, change: Callable[[KeyringFile], T]) -> T:
        # The lock (shared with the TypeScript library) is held from the read to the atomic rename, so no other
        # process's change lands in between and is overwritten.
        try:
            os.makedirs(os.path.dirname(self.path) or ".", mode=0o700, exist_ok=True)
        except OSError as err:
            raise _file_error(err) from err
        with keyring_lock(self.path):
            file = self._read_sync()
            result = change(file)
            self._write_sync(file)
            return result

    def _write_sync(self, file: KeyringFile) -> None:
        try:
            temp = f"{self.path}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(file, indent=2) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
            os.chmod(self.path, 0o600)
        except OSError as err:
            raise _file_error(err) from err
        self._warn_once()

    def _warn_once(self) -> None:
        if self._warned:
            return
        self._warned = True
        self._warn(
            f"WARNING: using the local keyring file {self.path}. Keys are stored unencrypted on this disk; "
            "this is for development only. Use Vault (KV v2 or Transit) in production."
        )
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
        except OSError:
            return
        if mode & 0o077:
            self._warn(f"WARNING: keyring file {self.path} is readable by other users (mode {mode:o}); run chmod 600.")


def _new_version(version: int) -> dict[str, Any]:
    created = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    material = base64.b64encode(secrets.token_bytes(ROOT_KEY_BYTES)).decode()
    return {"version": version, "createdAt": created, "state": "active", "material": material}


def _decode_material(material: object, key_id: str, version: int) -> bytearray:
    try:
        key = bytearray(base64.b64decode(material, validate=True)) if isinstance(material, str) else bytearray()
    except binascii.Error:
        key = bytearray()
    if len(key) != ROOT_KEY_BYTES:
        raise CodecError(
            INVALID_KEY_MATERIAL,
            f"Key material must be {ROOT_KEY_BYTES} bytes",
            context={"keyId": key_id, "version": version},
        )
    return key


def _file_error(err: OSError) -> CodecError:
    if isinstance(err, PermissionError):
        return CodecError(KEY_SOURCE_DENIED, "Keyring file is not accessible (permission denied)")
    return CodecError(KEY_SOURCE_UNAVAILABLE, "Keyring file could not be read or written")
