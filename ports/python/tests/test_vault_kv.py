"""Vault KV v2 as the key source, against a real Vault/OpenBao: the TypeScript library's layout, rotation,
deactivation, destruction, refusals, outages, and one request for many concurrent cold callers."""

from __future__ import annotations

import asyncio
import base64

import hvac
import pytest
from support import json_payload

from temporal_vault_codec import CachingKeyProvider, CodecError, EncryptionCodec, KeyProviderObserver, VaultKvStore
from temporal_vault_codec.keys.vault_transport import VaultTransport, invoke
from temporal_vault_codec.types import KeyReference

pytestmark = pytest.mark.vault


class Requests(KeyProviderObserver):
    def __init__(self) -> None:
        self.operations: list[str] = []

    def source_request(self, operation: str, duration_s: float, ok: bool) -> None:
        self.operations.append(operation)


def kv_codec(
    vault: hvac.Client,
    prefix: str,
    namespace: str = "orders",
    observer: KeyProviderObserver | None = None,
    **cache: float,
) -> tuple[EncryptionCodec, VaultKvStore]:
    store = VaultKvStore(VaultTransport(vault, retries=0), path_prefix=prefix)
    provider = CachingKeyProvider(store, observer=observer, **cache)  # type: ignore[arg-type]
    return EncryptionCodec(namespace=namespace, key_provider=provider), store


async def test_round_trip_with_the_libraries_secret_layout(vault: hvac.Client, kv_prefix: str) -> None:
    codec, store = kv_codec(vault, kv_prefix)
    assert await store.create_key("orders") == 1
    [sealed] = await codec.encode([json_payload('{"total":42}')])
    assert sealed.metadata["encryption-key-version"] == b"1"
    assert (await codec.decode([sealed]))[0].data == b'{"total":42}'
    secret = invoke(vault.secrets.kv.v2.read_secret_version, f"{kv_prefix}orders", raise_on_deleted_version=True)
    assert isinstance(secret, dict)
    assert len(base64.b64decode(secret["data"]["data"]["key"])) == 32
    metadata = invoke(vault.secrets.kv.v2.read_secret_metadata, f"{kv_prefix}orders")
    assert isinstance(metadata, dict) and metadata["data"]["max_versions"] == 100_000


async def test_a_rotation_is_seen_after_the_ttl_and_old_versions_still_open(vault: hvac.Client, kv_prefix: str) -> None:
    codec, store = kv_codec(vault, kv_prefix, latest_ttl=0)
    await store.create_key("orders")
    [old] = await codec.encode([json_payload("1")])
    assert await store.rotate_key("orders") == 2
    [new] = await codec.encode([json_payload("2")])
    assert new.metadata["encryption-key-version"] == b"2"
    fresh, _ = kv_codec(vault, kv_prefix)
    assert [p.data for p in await fresh.decode([old, new])] == [b"1", b"2"]


async def test_a_deactivated_newest_version_stops_encrypting_but_still_decrypts(
    vault: hvac.Client, kv_prefix: str
) -> None:
    codec, store = kv_codec(vault, kv_prefix, latest_ttl=0)
    await store.create_key("orders")
    await store.rotate_key("orders")
    [sealed_v2] = await codec.encode([json_payload("2")])
    invoke(
        vault.secrets.kv.v2.update_metadata,
        f"{kv_prefix}orders",
        max_versions=100_000,
        custom_metadata={"inactive_versions": "2"},
    )
    [sealed] = await codec.encode([json_payload("1")])
    assert sealed.metadata["encryption-key-version"] == b"1"
    fresh, _ = kv_codec(vault, kv_prefix)
    assert (await fresh.decode([sealed_v2]))[0].data == b"2"


async def test_destroyed_unknown_and_invalid_versions_fail_with_their_codes(vault: hvac.Client, kv_prefix: str) -> None:
    _, store = kv_codec(vault, kv_prefix)
    await store.create_key("orders")
    await store.rotate_key("orders")
    invoke(vault.secrets.kv.v2.destroy_secret_versions, f"{kv_prefix}orders", versions=[1])
    invoke(vault.secrets.kv.v2.create_or_update_secret, f"{kv_prefix}broken", secret={"key": "c2hvcnQ="})
    cases = [
        (store.read_version("orders", 1), "ERR_KEY_VERSION_DESTROYED"),
        (store.read_version("orders", 9), "ERR_UNKNOWN_KEY_VERSION"),
        (store.read_latest("nobody"), "ERR_UNKNOWN_KEY"),
        (store.read_latest("broken"), "ERR_INVALID_KEY_MATERIAL"),
    ]
    for call, code in cases:
        with pytest.raises(CodecError) as raised:
            await call
        assert raised.value.code == code


async def test_creation_on_first_use_when_configured(vault: hvac.Client, kv_prefix: str) -> None:
    store = VaultKvStore(vault, path_prefix=kv_prefix, create_missing_keys=True)
    codec = EncryptionCodec(namespace="billing", key_provider=CachingKeyProvider(store))
    [sealed] = await codec.encode([json_payload("1")])
    assert sealed.metadata["encryption-key-version"] == b"1"


async def test_a_token_without_permission_is_denied(vault: hvac.Client, kv_prefix: str) -> None:
    _, store = kv_codec(vault, kv_prefix)
    await store.create_key("orders")
    created = invoke(vault.auth.token.create, policies=["default"], ttl="5m")
    assert isinstance(created, dict)
    weak = hvac.Client(url=vault.url, token=created["auth"]["client_token"], timeout=10)
    denied, _ = kv_codec(weak, kv_prefix)
    with pytest.raises(CodecError) as raised:
        await denied.encode([json_payload("1")])
    assert raised.value.code == "ERR_KEY_SOURCE_DENIED" and not raised.value.retryable


async def test_an_unreachable_vault_is_a_retryable_outage(kv_prefix: str, unused_tcp_port: int) -> None:
    down = hvac.Client(url=f"http://127.0.0.1:{unused_tcp_port}", token="x", timeout=2)
    store = VaultKvStore(VaultTransport(down, retries=1, backoff=0.01), path_prefix=kv_prefix)
    with pytest.raises(CodecError) as raised:
        await store.read_latest("orders")
    assert raised.value.code == "ERR_KEY_SOURCE_UNAVAILABLE" and raised.value.retryable
    with pytest.raises(CodecError) as health:
        await store.check_health()
    assert health.value.code == "ERR_KEY_SOURCE_UNAVAILABLE"


async def test_many_concurrent_cold_callers_make_one_vault_request(vault: hvac.Client, kv_prefix: str) -> None:
    sealer, store = kv_codec(vault, kv_prefix)
    await store.create_key("orders")
    sealed = await sealer.encode([json_payload(str(i)) for i in range(200)])
    requests = Requests()
    codec, _ = kv_codec(vault, kv_prefix, observer=requests)
    await asyncio.gather(*(codec.decode([p]) for p in sealed))
    await asyncio.gather(*(codec.encode([json_payload("x")]) for _ in range(200)))
    assert requests.operations == ["readVersion", "readLatest"]
    provider = CachingKeyProvider(store)
    await provider.check_health()
    assert (await provider.decryption_key("orders", KeyReference("orders", 1))).version == 1
