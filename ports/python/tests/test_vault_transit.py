"""Vault Transit envelope mode as the key source, against a real Vault/OpenBao: wrapped data keys in metadata,
namespace-bound derivation context, rotation, minimum decryption version, data-key budgets, refusals."""

from __future__ import annotations

import asyncio

import hvac
import pytest
from support import json_payload
from temporalio.api.common.v1 import Payload

from temporal_vault_codec import CodecError, EncryptionCodec, KeyProviderObserver, VaultTransitKeyProvider
from temporal_vault_codec.keys.vault_transport import VaultTransport, invoke

pytestmark = pytest.mark.vault


class Requests(KeyProviderObserver):
    def __init__(self) -> None:
        self.operations: list[str] = []

    def source_request(self, operation: str, duration_s: float, ok: bool) -> None:
        self.operations.append(operation)


def create_key(vault: hvac.Client, mount: str, key_id: str) -> None:
    """A Transit key as the key-admin CLI creates it: derived aes256-gcm96."""
    invoke(
        vault.secrets.transit.create_key,
        f"temporal-codec-{key_id}",
        key_type="aes256-gcm96",
        derived=True,
        mount_point=mount,
    )


def transit_codec(
    vault: hvac.Client, mount: str, namespace: str = "orders", **options: object
) -> tuple[EncryptionCodec, VaultTransitKeyProvider]:
    provider = VaultTransitKeyProvider(VaultTransport(vault, retries=0), mount=mount, **options)  # type: ignore[arg-type]
    return EncryptionCodec(namespace=namespace, key_provider=provider), provider


def with_metadata(payload: Payload, key: str, value: bytes | None) -> Payload:
    copy = Payload()
    copy.CopyFrom(payload)
    if value is None:
        del copy.metadata[key]
    else:
        copy.metadata[key] = value
    return copy


async def test_round_trip_carries_the_wrapped_data_key(vault: hvac.Client, transit_mount: str) -> None:
    create_key(vault, transit_mount, "orders")
    codec, _ = transit_codec(vault, transit_mount)
    [sealed] = await codec.encode([json_payload('{"total":42}')])
    assert sealed.metadata["encryption-key-version"] == b"1"
    assert sealed.metadata["encryption-wrapped-key"].startswith(b"vault:v1:")
    fresh, _ = transit_codec(vault, transit_mount)
    assert (await fresh.decode([sealed]))[0].data == b'{"total":42}'


async def test_a_rotation_reaches_new_data_keys_and_old_payloads_still_open(
    vault: hvac.Client, transit_mount: str
) -> None:
    create_key(vault, transit_mount, "orders")
    codec, _ = transit_codec(vault, transit_mount, data_key_max_age=0)
    [old] = await codec.encode([json_payload("1")])
    invoke(vault.secrets.transit.rotate_key, "temporal-codec-orders", mount_point=transit_mount)
    [new] = await codec.encode([json_payload("2")])
    assert new.metadata["encryption-key-version"] == b"2"
    fresh, _ = transit_codec(vault, transit_mount)
    assert [p.data for p in await fresh.decode([old, new])] == [b"1", b"2"]


async def test_a_raised_minimum_decryption_version_refuses_older_payloads(
    vault: hvac.Client, transit_mount: str
) -> None:
    create_key(vault, transit_mount, "orders")
    codec, _ = transit_codec(vault, transit_mount)
    [old] = await codec.encode([json_payload("1")])
    invoke(vault.secrets.transit.rotate_key, "temporal-codec-orders", mount_point=transit_mount)
    invoke(
        vault.secrets.transit.update_key_configuration,
        "temporal-codec-orders",
        min_decryption_version=2,
        mount_point=transit_mount,
    )
    fresh, _ = transit_codec(vault, transit_mount)
    with pytest.raises(CodecError) as raised:
        await fresh.decode([old])
    assert raised.value.code == "ERR_KEY_VERSION_DESTROYED"


async def test_a_wrapped_key_unwraps_only_for_its_namespace(vault: hvac.Client, transit_mount: str) -> None:
    create_key(vault, transit_mount, "shared")
    orders, _ = transit_codec(vault, transit_mount, "orders", key_id_for=lambda _ns: "shared")
    billing, _ = transit_codec(vault, transit_mount, "billing", key_id_for=lambda _ns: "shared")
    [sealed] = await orders.encode([json_payload("1")])
    with pytest.raises(CodecError) as raised:
        await billing.decode([sealed])
    assert raised.value.code == "ERR_DECRYPTION_FAILED"


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [
        ("encryption-wrapped-key", None, "ERR_MALFORMED_METADATA"),
        ("encryption-wrapped-key", b"not-a-wrapped-key", "ERR_MALFORMED_METADATA"),
        ("encryption-key-version", b"2", "ERR_MALFORMED_METADATA"),
        (
            "encryption-wrapped-key",
            b"vault:v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "ERR_DECRYPTION_FAILED",
        ),
    ],
)
async def test_edited_envelope_metadata_fails_with_its_code(
    vault: hvac.Client, transit_mount: str, key: str, value: bytes | None, code: str
) -> None:
    create_key(vault, transit_mount, "orders")
    codec, _ = transit_codec(vault, transit_mount)
    [sealed] = await codec.encode([json_payload("1")])
    fresh, _ = transit_codec(vault, transit_mount)
    with pytest.raises(CodecError) as raised:
        await fresh.decode([with_metadata(sealed, key, value)])
    assert raised.value.code == code


async def test_a_namespace_without_a_transit_key_is_unknown(vault: hvac.Client, transit_mount: str) -> None:
    codec, _ = transit_codec(vault, transit_mount, "nobody")
    with pytest.raises(CodecError) as raised:
        await codec.encode([json_payload("1")])
    assert raised.value.code == "ERR_UNKNOWN_KEY"


async def test_data_keys_are_replaced_at_their_payload_budget(vault: hvac.Client, transit_mount: str) -> None:
    create_key(vault, transit_mount, "orders")
    requests = Requests()
    codec, _ = transit_codec(vault, transit_mount, max_payloads_per_data_key=5, observer=requests)
    wrapped = set()
    for _ in range(5):
        for sealed in await codec.encode([json_payload("a"), json_payload("b")]):
            wrapped.add(sealed.metadata["encryption-wrapped-key"])
    assert requests.operations.count("datakey") == 3 and len(wrapped) == 3


async def test_many_concurrent_cold_decodes_make_one_unwrap(vault: hvac.Client, transit_mount: str) -> None:
    create_key(vault, transit_mount, "orders")
    sealer, _ = transit_codec(vault, transit_mount)
    sealed = await sealer.encode([json_payload(str(i)) for i in range(200)])
    requests = Requests()
    codec, provider = transit_codec(vault, transit_mount, observer=requests)
    await asyncio.gather(*(codec.decode([p]) for p in sealed))
    assert requests.operations == ["decrypt"]
    await provider.check_health()
