"""Wire format v1 test vectors (docs/test-vectors.json), read as data: every vector in the file is a test case.

A vector with an ``expected.dataHex`` and no expected error is positive: the port computes its serialized payload, AES
key, commitment, AAD, metadata and sealed bytes exactly (salt and nonce are fixed by the vector), and its codec opens
the published payload. A vector naming an expected error code (``expectedError``, ``errorCode`` or ``error``, at the
top or under ``expected``; a string or an object with ``code``) is negative: its encrypted payload must fail to
decode with exactly that code. A vector of any other shape fails, so a new kind of vector is never silently skipped.
"""

from __future__ import annotations

import pytest
from support import FixedKeyProvider, Vector, load_vectors, text_metadata
from temporalio.api.common.v1 import Payload

from temporal_vault_codec import CodecError, EncryptionCodec
from temporal_vault_codec.aead import build_aad, derive_key, derive_okm, seal
from temporal_vault_codec.payload_proto import serialize_fields, serialize_payload
from temporal_vault_codec.types import FORMAT_V1, WRAPPED_KEY_KEY, KeyReference
from temporal_vault_codec.wire_format import encrypted_metadata

VECTORS = load_vectors()
ERROR_FIELDS = ("expectedError", "errorCode", "error")


def expected_error(vector: Vector) -> str | None:
    """The error code a negative vector expects, else None."""
    for holder in (vector, vector.get("expected") or {}):
        for name in ERROR_FIELDS:
            value = holder.get(name)
            if isinstance(value, dict):
                value = value.get("code")
            if isinstance(value, str):
                return value
    return None


def encrypted_payload(vector: Vector) -> Payload:
    """The sealed payload a vector publishes (metadata as text, or as hex under ``metadataHex``)."""
    names = ("encrypted", "sealed", "payloadEncrypted", "expected")
    source = next(vector[k] for k in names if k in vector)
    metadata = {k: v.encode() for k, v in (source.get("metadata") or {}).items()}
    metadata.update({k: bytes.fromhex(v) for k, v in (source.get("metadataHex") or {}).items()})
    return Payload(metadata=metadata, data=bytes.fromhex(source.get("dataHex", "")))


def root_key(vector: Vector) -> bytes:
    """The key version's material: the KV or keyring root key, or in Transit mode the unwrapped data key."""
    root = vector.get("rootKeyHex") or vector.get("dataKeyHex")
    assert isinstance(root, str), f"vector {vector['name']!r} names no key material"
    return bytes.fromhex(root)


def provider_for(vector: Vector) -> FixedKeyProvider:
    return FixedKeyProvider(
        vector["keyId"], vector["version"], root_key(vector), vector.get("wrappedKey"), vector["namespace"]
    )


def original_items(vector: Vector) -> list[tuple[str, bytes]]:
    return [(k, v.encode()) for k, v in vector["payload"]["metadata"].items()]


POSITIVE = [v for v in VECTORS if expected_error(v) is None]
NEGATIVE = [v for v in VECTORS if expected_error(v) is not None]


def ids(vectors: list[Vector]) -> list[str]:
    return [str(v.get("name")) for v in vectors]


def test_every_vector_is_recognised() -> None:
    for vector in VECTORS:
        assert "name" in vector
        if expected_error(vector) is None:
            assert {"payload", "expected"} <= vector.keys() and "dataHex" in vector["expected"], vector["name"]
        else:
            assert str(expected_error(vector)).startswith("ERR_"), vector["name"]
    assert POSITIVE, "the spec publishes positive vectors"


@pytest.mark.parametrize("vector", POSITIVE, ids=ids(POSITIVE))
def test_positive_vector_is_computed_byte_for_byte(vector: Vector) -> None:
    expected = vector["expected"]
    root, salt = root_key(vector), bytes.fromhex(vector["saltHex"])
    serialized = serialize_fields(original_items(vector), vector["payload"]["data"].encode())
    assert serialized.hex() == expected["serializedPayloadHex"]
    okm = derive_okm(root, salt, vector["keyId"], vector["version"])
    assert okm[:32].hex() == expected["aesKeyHex"]
    assert okm[32:].hex() == expected["commitmentHex"]
    format_id = expected["metadata"].get("encryption-format", FORMAT_V1)
    aad = build_aad(format_id, vector["namespace"], vector["keyId"], vector["version"])
    assert aad.hex() == expected["aadHex"]
    key = derive_key(root, salt, vector["keyId"], vector["version"])
    assert seal(key, aad, serialized, bytes.fromhex(vector["nonceHex"])).hex() == expected["dataHex"]
    ref = KeyReference(vector["keyId"], vector["version"], expected["metadata"].get(WRAPPED_KEY_KEY))
    assert text_metadata(encrypted_metadata(ref)) == expected["metadata"]


@pytest.mark.parametrize("vector", POSITIVE, ids=ids(POSITIVE))
def test_positive_vector_sorted_metadata_matches_protobuf_serialization(vector: Vector) -> None:
    # The codec serializes with protobuf (sorted metadata); the vectors' hand-written order must agree when sorted.
    items = sorted(original_items(vector))
    data = vector["payload"]["data"].encode()
    assert serialize_payload(Payload(metadata=dict(items), data=data)) == serialize_fields(items, data)


@pytest.mark.parametrize("vector", POSITIVE, ids=ids(POSITIVE))
async def test_positive_vector_decodes_through_the_codec(vector: Vector) -> None:
    codec = EncryptionCodec(namespace=vector["namespace"], key_provider=provider_for(vector))
    [decoded] = await codec.decode([encrypted_payload(vector)])
    assert dict(decoded.metadata) == dict(original_items(vector))
    assert decoded.data == vector["payload"]["data"].encode()


@pytest.mark.parametrize("vector", NEGATIVE, ids=ids(NEGATIVE))
async def test_negative_vector_fails_with_its_code(vector: Vector) -> None:
    namespace = vector.get("decodeNamespace") or vector["namespace"]
    codec = EncryptionCodec(namespace=namespace, key_provider=provider_for(vector))
    with pytest.raises(CodecError) as raised:
        await codec.decode([encrypted_payload(vector)])
    assert raised.value.code == expected_error(vector)
