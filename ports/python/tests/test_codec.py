"""EncryptionCodec: round trips, the wire format's refusals with their codes, pass-through, budgets, contexts."""

from __future__ import annotations

import os

import pytest
from support import FixedKeyProvider, json_payload
from temporalio.api.common.v1 import Payload
from temporalio.converter import ActivitySerializationContext, WorkflowSerializationContext

from temporal_vault_codec import CachingKeyProvider, CodecError, EncryptionCodec, MemoryKeyStore
from temporal_vault_codec.types import (
    FORMAT_KEY,
    KEY_ID_KEY,
    KEY_VERSION_KEY,
    MINIMUM_SEALED_BYTES,
    SALT_BYTES,
)

SIZES = [0, 1, 15, 16, 17, 255, 1024, 65_536, 1_048_576]


def make_codec(namespace: str = "orders", **options: object) -> tuple[EncryptionCodec, MemoryKeyStore]:
    store = MemoryKeyStore()
    store.rotate(namespace)
    codec = EncryptionCodec(namespace=namespace, key_provider=CachingKeyProvider(store), **options)  # type: ignore[arg-type]
    return codec, store


def edited(payload: Payload, **metadata: bytes | None) -> Payload:
    copy = Payload()
    copy.CopyFrom(payload)
    for key, value in metadata.items():
        name = key.replace("_", "-")
        if value is None:
            del copy.metadata[name]
        else:
            copy.metadata[name] = value
    return copy


async def sealed_one(codec: EncryptionCodec, payload: Payload | None = None) -> Payload:
    [sealed] = await codec.encode([payload or json_payload('{"total":42}')])
    return sealed


@pytest.mark.parametrize("size", SIZES)
async def test_round_trip_of_every_size_keeps_metadata_and_data(size: int) -> None:
    codec, _ = make_codec()
    original = Payload(metadata={"encoding": b"binary/plain", "messageType": b"x.y"}, data=os.urandom(size))
    [sealed] = await codec.encode([original])
    assert sealed.metadata["encoding"] == b"binary/encrypted"
    assert len(sealed.data) == MINIMUM_SEALED_BYTES + len(original.SerializeToString())
    assert size < 16 or original.data[:16] not in sealed.data
    [opened] = await codec.decode([sealed])
    assert opened == original


async def test_the_sealed_payload_names_key_version_and_format_in_public_metadata() -> None:
    codec, _ = make_codec()
    sealed = await sealed_one(codec)
    assert sealed.metadata[KEY_ID_KEY] == b"orders"
    assert sealed.metadata[KEY_VERSION_KEY] == b"1"
    assert sealed.metadata[FORMAT_KEY] == b"tvc1-aes256gcm-hkdf-sha256-commit"


async def test_inputs_are_not_mutated() -> None:
    codec, _ = make_codec()
    original = json_payload("[1,2]")
    snapshot = original.SerializeToString()
    sealed = await sealed_one(codec, original)
    sealed_bytes = sealed.SerializeToString()
    await codec.decode([sealed])
    assert original.SerializeToString() == snapshot and sealed.SerializeToString() == sealed_bytes


async def test_unencrypted_payloads_pass_through_decode_and_are_counted() -> None:
    codec, _ = make_codec()
    plain = json_payload('"hello"')
    assert await codec.decode([plain]) == [plain]
    assert codec.unencrypted_passed == 1


async def test_reject_mode_refuses_unencrypted_payloads_except_allowed_encodings() -> None:
    seen: list[tuple[str, str | None]] = []
    codec, _ = make_codec(
        unencrypted="reject",
        allowed_unencrypted_encodings=["binary/null"],
        on_unencrypted=lambda namespace, encoding: seen.append((namespace, encoding)),
    )
    for forged in (json_payload('"forged"'), Payload(data=b"no encoding")):
        with pytest.raises(CodecError) as raised:
            await codec.decode([forged])
        assert raised.value.code == "ERR_UNENCRYPTED_PAYLOAD"
    null = Payload(metadata={"encoding": b"binary/null"})
    assert await codec.decode([null]) == [null]
    assert seen == [("orders", "binary/null")]


def test_the_unencrypted_mode_is_validated() -> None:
    with pytest.raises(CodecError) as raised:
        make_codec(unencrypted="sometimes")
    assert raised.value.code == "ERR_INVALID_CONFIG"


async def test_storage_references_pass_through_both_directions_in_every_mode() -> None:
    codec, _ = make_codec(unencrypted="reject")
    reference = Payload(
        metadata={"encoding": b"json/protobuf", "messageType": b"temporal.api.sdk.v1.ExternalStorageReference"},
        data=b'{"driverName":"s3"}',
    )
    sealed = await codec.encode([json_payload("1"), reference, json_payload("2")])
    assert sealed[1] == reference and sealed[0].metadata["encoding"] == b"binary/encrypted"
    assert [p.data for p in await codec.decode(sealed)] == [b"1", reference.data, b"2"]
    assert await codec.encode([reference]) == [reference]
    assert codec.unencrypted_passed == 0


@pytest.mark.parametrize("offset", [0, 31, 32, 63, 64, 75, 76, -17, -1])
async def test_a_flipped_bit_anywhere_fails_authentication(offset: int) -> None:
    codec, _ = make_codec()
    sealed = await sealed_one(codec)
    data = bytearray(sealed.data)
    data[offset] ^= 0x01
    with pytest.raises(CodecError) as raised:
        await codec.decode([Payload(metadata=dict(sealed.metadata), data=bytes(data))])
    assert raised.value.code == "ERR_DECRYPTION_FAILED"


@pytest.mark.parametrize("length", [0, 1, SALT_BYTES, MINIMUM_SEALED_BYTES - 1])
async def test_data_shorter_than_the_fixed_fields_is_truncated(length: int) -> None:
    codec, _ = make_codec()
    sealed = await sealed_one(codec)
    with pytest.raises(CodecError) as raised:
        await codec.decode([Payload(metadata=dict(sealed.metadata), data=sealed.data[:length])])
    assert raised.value.code == "ERR_PAYLOAD_TRUNCATED"


async def test_a_cut_tail_fails_authentication() -> None:
    codec, _ = make_codec()
    sealed = await sealed_one(codec)
    with pytest.raises(CodecError) as raised:
        await codec.decode([Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1])])
    assert raised.value.code == "ERR_DECRYPTION_FAILED"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"encryption_format": b"tvc9-unknown"}, "ERR_UNSUPPORTED_FORMAT"),
        ({"encryption_format": None}, "ERR_UNSUPPORTED_FORMAT"),
        ({"encryption_key_id": None}, "ERR_MALFORMED_METADATA"),
        ({"encryption_key_id": b""}, "ERR_MALFORMED_METADATA"),
        ({"encryption_key_version": b"01"}, "ERR_MALFORMED_METADATA"),
        ({"encryption_key_version": b"0"}, "ERR_MALFORMED_METADATA"),
        ({"encryption_key_version": b"4294967296"}, "ERR_MALFORMED_METADATA"),
        ({"encryption_key_version": b"+1"}, "ERR_MALFORMED_METADATA"),
        ({"encryption_key_version": None}, "ERR_MALFORMED_METADATA"),
        ({"encryption_key_id": b"\xff"}, "ERR_MALFORMED_METADATA"),
        ({"encryption_key_id": b"payments"}, "ERR_NAMESPACE_MISMATCH"),
        ({"encryption_key_version": b"2"}, "ERR_UNKNOWN_KEY_VERSION"),
    ],
)
async def test_edited_metadata_fails_with_its_code(change: dict[str, bytes | None], code: str) -> None:
    codec, _ = make_codec()
    sealed = await sealed_one(codec)
    with pytest.raises(CodecError) as raised:
        await codec.decode([edited(sealed, **change)])
    assert raised.value.code == code


async def test_an_edited_version_naming_a_real_key_fails_authentication() -> None:
    codec, store = make_codec()
    sealed = await sealed_one(codec)
    store.rotate("orders")
    with pytest.raises(CodecError) as raised:
        await codec.decode([edited(sealed, encryption_key_version=b"2")])
    assert raised.value.code == "ERR_DECRYPTION_FAILED"


async def test_a_payload_copied_to_another_namespace_with_the_same_key_id_fails() -> None:
    # Same key material and key id, but the AAD binds the namespace the payload was sealed for.
    root = os.urandom(32)
    orders = EncryptionCodec(namespace="orders", key_provider=FixedKeyProvider("shared", 1, root))
    billing = EncryptionCodec(namespace="billing", key_provider=FixedKeyProvider("shared", 1, root))
    sealed = await sealed_one(orders)
    with pytest.raises(CodecError) as raised:
        await billing.decode([sealed])
    assert raised.value.code == "ERR_DECRYPTION_FAILED"


async def test_another_namespaces_payload_is_refused_before_any_key_lookup() -> None:
    orders, _ = make_codec("orders")
    payments, store = make_codec("payments")
    sealed = await sealed_one(orders)
    with pytest.raises(CodecError) as raised:
        await payments.decode([sealed])
    assert raised.value.code == "ERR_NAMESPACE_MISMATCH"
    assert store.reads == 0


async def test_an_authenticated_plaintext_that_is_not_a_payload_is_malformed() -> None:
    from temporal_vault_codec.aead import build_aad, derive_key, seal
    from temporal_vault_codec.types import FORMAT_V1, KeyReference
    from temporal_vault_codec.wire_format import encrypted_metadata

    root = os.urandom(32)
    key = derive_key(root, os.urandom(32), "orders", 1)
    data = seal(key, build_aad(FORMAT_V1, "orders", "orders", 1), b"\xff\xff\xff", os.urandom(12))
    codec = EncryptionCodec(namespace="orders", key_provider=FixedKeyProvider("orders", 1, root))
    with pytest.raises(CodecError) as raised:
        await codec.decode([Payload(metadata=encrypted_metadata(KeyReference("orders", 1)), data=data)])
    assert raised.value.code == "ERR_MALFORMED_METADATA"


async def test_one_bad_payload_fails_the_batch_with_the_first_error_in_order() -> None:
    codec, _ = make_codec()
    good, bad = await codec.encode([json_payload("1"), json_payload("2")])
    with pytest.raises(CodecError) as raised:
        await codec.decode([good, Payload(metadata=dict(bad.metadata), data=bad.data[:10])])
    assert raised.value.code == "ERR_PAYLOAD_TRUNCATED"


async def test_a_batch_beyond_the_derived_key_budget_is_split_across_salts() -> None:
    codec, _ = make_codec(max_payloads_per_derived_key=2)
    sealed = await codec.encode([json_payload(str(i)) for i in range(10)])
    salts = [p.data[:SALT_BYTES] for p in sealed]
    assert len(set(salts)) == 5
    assert all(salts.count(s) == 2 for s in salts)
    nonces = {p.data[64:76] for p in sealed}
    assert len(nonces) == 10
    assert [p.data for p in await codec.decode(sealed)] == [str(i).encode() for i in range(10)]


async def test_batches_within_the_budget_share_one_salt_and_distinct_nonces() -> None:
    codec, _ = make_codec(max_payloads_per_derived_key=100)
    first = await codec.encode([json_payload(str(i)) for i in range(60)])
    second = await codec.encode([json_payload(str(i)) for i in range(60)])
    assert len({p.data[:SALT_BYTES] for p in first}) == 1
    assert first[0].data[:SALT_BYTES] != second[0].data[:SALT_BYTES]
    assert len({p.data[64:76] for p in first}) == 60


async def test_the_serialization_context_namespace_is_used() -> None:
    store = MemoryKeyStore()
    store.rotate("orders")
    store.rotate("billing")
    codec = EncryptionCodec(namespace="orders", key_provider=CachingKeyProvider(store))
    context = WorkflowSerializationContext(namespace="billing", workflow_id="wf")
    billing = codec.with_context(context)
    assert billing.namespace == "billing" and codec.namespace == "orders"
    sealed = await sealed_one(billing)
    assert sealed.metadata[KEY_ID_KEY] == b"billing"
    with pytest.raises(CodecError) as raised:
        await codec.decode([sealed])
    assert raised.value.code == "ERR_NAMESPACE_MISMATCH"
    activity = ActivitySerializationContext("orders", None, None, None, None, None, False)
    assert codec.with_context(activity) is codec


@pytest.mark.parametrize("namespace", ["", ".", "..", "a/b", "a\\b", "a\nb", "x" * 256])
def test_invalid_namespaces_are_refused(namespace: str) -> None:
    with pytest.raises(CodecError) as raised:
        make_codec(namespace)
    assert raised.value.code == "ERR_INVALID_ARGUMENT"


@pytest.mark.parametrize("value", [0, 2**24 + 1])
def test_the_budget_option_is_validated(value: int) -> None:
    with pytest.raises(CodecError) as raised:
        make_codec(max_payloads_per_derived_key=value)
    assert raised.value.code == "ERR_INVALID_CONFIG"


async def test_non_payload_arguments_are_refused() -> None:
    codec, _ = make_codec()
    with pytest.raises(CodecError) as raised:
        await codec.encode(["not a payload"])  # type: ignore[list-item]
    assert raised.value.code == "ERR_INVALID_ARGUMENT"


async def test_close_drops_keys_and_the_codec_fetches_them_again() -> None:
    codec, store = make_codec()
    sealed = await sealed_one(codec)
    codec.close()
    reads = store.reads
    assert (await codec.decode([sealed]))[0].data == b'{"total":42}'
    assert store.reads == reads  # the provider still caches the version; the codec derived the key again
