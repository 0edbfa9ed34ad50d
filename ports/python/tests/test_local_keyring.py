"""The local keyring file: the same JSON the TypeScript library reads and writes, with the same error codes."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import pathlib
import stat
import time

import pytest
from support import json_payload
from temporalio.api.common.v1 import Payload

from temporal_vault_codec import CachingKeyProvider, CodecError, EncryptionCodec, LocalKeyring
from temporal_vault_codec.aead import build_aad, derive_key, seal
from temporal_vault_codec.keys import keyring_lock
from temporal_vault_codec.payload_proto import serialize_payload
from temporal_vault_codec.types import FORMAT_V1, KeyReference
from temporal_vault_codec.wire_format import encrypted_metadata

ROOT_V1 = bytes(range(32))
ROOT_V2 = bytes(range(32, 64))


def keyring_file(path: pathlib.Path, versions: list[dict[str, object]]) -> None:
    """A keyring laid out exactly as codec/keys/local-keyring.ts writes it."""
    content = {"format": "temporal-vault-codec-keyring/v1", "keys": {"orders": {"versions": versions}}}
    path.write_text(json.dumps(content, indent=2) + "\n")
    path.chmod(0o600)


def version(number: int, material: bytes | None, state: str = "active") -> dict[str, object]:
    entry: dict[str, object] = {"version": number, "createdAt": "2025-01-01T00:00:00.000Z", "state": state}
    if material is not None:
        entry["material"] = base64.b64encode(material).decode()
    return entry


def sealed_under(root: bytes, key_version: int) -> Payload:
    key = derive_key(root, os.urandom(32), "orders", key_version)
    aad = build_aad(FORMAT_V1, "orders", "orders", key_version)
    data = seal(key, aad, serialize_payload(json_payload('"from the keyring"')), os.urandom(12))
    return Payload(metadata=encrypted_metadata(KeyReference("orders", key_version)), data=data)


def codec_for(path: pathlib.Path, **options: bool) -> EncryptionCodec:
    keyring = LocalKeyring(path, warn=lambda _message: None, **options)
    return EncryptionCodec(namespace="orders", key_provider=CachingKeyProvider(keyring))


async def test_keys_of_a_keyring_file_written_by_the_typescript_library_open_payloads(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "keyring.json"
    keyring_file(path, [version(1, ROOT_V1, "inactive"), version(2, ROOT_V2)])
    codec = codec_for(path)
    for root, number in ((ROOT_V1, 1), (ROOT_V2, 2)):
        [opened] = await codec.decode([sealed_under(root, number)])
        assert opened.data == b'"from the keyring"'
    [sealed] = await codec.encode([json_payload("1")])
    assert sealed.metadata["encryption-key-version"] == b"2"


async def test_the_newest_active_version_encrypts_and_inactive_ones_only_decrypt(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "keyring.json"
    keyring_file(path, [version(1, ROOT_V1), version(2, ROOT_V2, "inactive")])
    [sealed] = await codec_for(path).encode([json_payload("1")])
    assert sealed.metadata["encryption-key-version"] == b"1"


async def test_a_missing_key_is_created_on_first_use_in_a_0600_file(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "dir" / "keyring.json"
    codec = codec_for(path)
    [sealed] = await codec.encode([json_payload("1")])
    assert (await codec.decode([sealed]))[0].data == b"1"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = json.loads(path.read_text())
    assert content["format"] == "temporal-vault-codec-keyring/v1"
    [stored] = content["keys"]["orders"]["versions"]
    assert stored["version"] == 1 and stored["state"] == "active" and len(base64.b64decode(stored["material"])) == 32


async def test_without_creation_a_missing_key_is_unknown(tmp_path: pathlib.Path) -> None:
    with pytest.raises(CodecError) as raised:
        await codec_for(tmp_path / "keyring.json", create_missing_keys=False).encode([json_payload("1")])
    assert raised.value.code == "ERR_UNKNOWN_KEY"


async def test_rotation_destruction_and_unknown_versions(tmp_path: pathlib.Path) -> None:
    keyring = LocalKeyring(tmp_path / "keyring.json", warn=lambda _message: None)
    assert await keyring.create_key("orders") == 1
    assert await keyring.rotate_key("orders") == 2
    assert (await keyring.read_latest("orders")).version == 2
    await keyring.set_version_state("orders", 1, "destroyed")
    for number, code in ((1, "ERR_KEY_VERSION_DESTROYED"), (3, "ERR_UNKNOWN_KEY_VERSION")):
        with pytest.raises(CodecError) as raised:
            await keyring.read_version("orders", number)
        assert raised.value.code == code
    with pytest.raises(CodecError) as exists:
        await keyring.create_key("orders")
    assert exists.value.code == "ERR_INVALID_ARGUMENT"


@pytest.mark.parametrize(
    ("content", "code"),
    [
        ("not json", "ERR_INVALID_CONFIG"),
        ('{"format": "something-else", "keys": {}}', "ERR_INVALID_CONFIG"),
        (
            '{"format": "temporal-vault-codec-keyring/v1", "keys": {"orders": {"versions": '
            '[{"version": 1, "createdAt": "", "state": "active", "material": "c2hvcnQ="}]}}}',
            "ERR_INVALID_KEY_MATERIAL",
        ),
    ],
)
async def test_a_broken_file_fails_with_its_code(tmp_path: pathlib.Path, content: str, code: str) -> None:
    path = tmp_path / "keyring.json"
    path.write_text(content)
    with pytest.raises(CodecError) as raised:
        await LocalKeyring(path, warn=lambda _message: None).read_latest("orders")
    assert raised.value.code == code


async def test_an_unreadable_path_is_a_retryable_source_failure(tmp_path: pathlib.Path) -> None:
    with pytest.raises(CodecError) as raised:
        await LocalKeyring(tmp_path, warn=lambda _message: None).read_latest("orders")
    assert raised.value.code == "ERR_KEY_SOURCE_UNAVAILABLE" and raised.value.retryable


async def test_it_warns_once_that_it_is_for_development_and_when_others_can_read_it(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "keyring.json"
    keyring_file(path, [version(1, ROOT_V1)])
    path.chmod(0o644)
    warnings: list[str] = []
    keyring = LocalKeyring(path, warn=warnings.append)
    await keyring.read_latest("orders")
    await keyring.read_latest("orders")
    assert len(warnings) == 2
    assert "development only" in warnings[0] and "chmod 600" in warnings[1]
    assert base64.b64encode(ROOT_V1).decode() not in "".join(warnings)


async def test_concurrent_changes_lose_nothing(tmp_path: pathlib.Path) -> None:
    keyring = LocalKeyring(tmp_path / "keyring.json", warn=lambda _message: None)
    versions = await asyncio.gather(*(keyring.rotate_key("orders") for _ in range(20)))
    assert sorted(versions) == list(range(1, 21))
    assert (await keyring.read_latest("orders")).version == 20


async def test_a_change_waits_for_another_processs_lock_and_gives_up_retryably(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keyring.json"
    (tmp_path / "keyring.json.lock").mkdir()
    monkeypatch.setattr(keyring_lock, "WAIT_SECONDS", 0.3)
    with pytest.raises(CodecError) as raised:
        await LocalKeyring(path, warn=lambda _message: None).create_key("orders")
    assert raised.value.code == "ERR_KEY_SOURCE_UNAVAILABLE" and raised.value.retryable
    assert not path.exists()


async def test_a_stale_lock_of_a_crashed_holder_is_taken_over(tmp_path: pathlib.Path) -> None:
    path = tmp_path / "keyring.json"
    lock = tmp_path / "keyring.json.lock"
    lock.mkdir()
    old = time.time() - keyring_lock.STALE_SECONDS - 5
    os.utime(lock, (old, old))
    assert await LocalKeyring(path, warn=lambda _message: None).create_key("orders") == 1
    assert not lock.exists()
