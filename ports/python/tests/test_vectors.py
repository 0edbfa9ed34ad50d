"""Wire format v1 test vectors (docs/test-vectors.json), read as data: every vector in the file is a test case.

Each vector has a ``kind`` (fields in docs/wire-format.md, "Test vectors"). ``positive`` and ``transit`` vectors are
computed byte for byte (serialization, derived key, commitment, AAD, sealed bytes with the fixed salt and nonce,
metadata) and their published payload opens through the port's codec: over the caching provider holding the root key,
or over the Transit provider whose Transit unwraps exactly the vector's wrapped key. ``negative`` vectors fail to
decode with exactly their code through the port's codec holding exactly ``keys`` or ``wrappedKeys``. A vector of an
unknown kind, or with a field this test does not know, fails: nothing in the file is skipped.
"""

from __future__ import annotations

import base64

import pytest
from support import Vector, load_vectors
from temporalio.api.common.v1 import Payload
from vector_sources import VectorDecoder, VectorTransit, vector_codec

from temporal_vault_codec import CodecError
from temporal_vault_codec.aead import build_aad, derive_key, derive_okm, seal
from temporal_vault_codec.payload_proto import serialize_payload
from temporal_vault_codec.types import FORMAT_V1, KeyReference
from temporal_vault_codec.wire_format import encrypted_metadata

VECTORS = load_vectors()

_SEALED = {"kind", "name", "namespace", "keyId", "version", "saltHex", "nonceHex", "payload", "expected"}
FIELDS: dict[str, tuple[set[str], set[str]]] = {
    # kind: (required fields, optional fields)
    "positive": (_SEALED | {"rootKeyHex"}, set()),
    "transit": (_SEALED | {"transitKeyName", "derivationContext", "wrappedKey", "dataKeyHex"}, set()),
    "negative": (
        {"kind", "name", "namespace", "keyId", "input", "expectedError"},
        {"keys", "wrappedKeys", "unencrypted", "sealedPlaintextHex"},
    ),
}
PAYLOAD_FIELDS: tuple[set[str], set[str]] = ({"metadata", "data"}, {"externalPayloads"})
EXPECTED_FIELDS: tuple[set[str], set[str]] = (
    {"serializedPayloadHex", "aesKeyHex", "commitmentHex", "aadHex", "metadata", "dataHex"},
    set(),
)
INPUT_FIELDS: tuple[set[str], set[str]] = ({"metadata", "dataHex"}, {"metadataHex"})


def of_kind(kind: str) -> list[Vector]:
    return [v for v in VECTORS if v.get("kind") == kind]


POSITIVE, TRANSIT, NEGATIVE = of_kind("positive"), of_kind("transit"), of_kind("negative")
SEALED = POSITIVE + TRANSIT


def ids(vectors: list[Vector]) -> list[str]:
    return [f"{v['kind']}: {v['name']}" for v in vectors]


def shape_problem(fields: set[str], shape: tuple[set[str], set[str]]) -> str | None:
    required, optional = shape
    missing, unknown = required - fields, fields - required - optional
    return f"missing {sorted(missing)}, unknown {sorted(unknown)}" if missing or unknown else None


def test_every_vector_has_a_known_kind_and_shape() -> None:
    for index, vector in enumerate(VECTORS):
        kind = vector.get("kind")
        assert kind in FIELDS, f"vector [{index}] has a kind this test does not know: {kind!r}"
        where = f"vector [{index}] {vector.get('name')!r}"
        assert shape_problem(set(vector), FIELDS[kind]) is None, f"{where}: {shape_problem(set(vector), FIELDS[kind])}"
        if kind == "negative":
            assert shape_problem(set(vector["input"]), INPUT_FIELDS) is None, where
            assert ("keys" in vector) != ("wrappedKeys" in vector), f"{where}: exactly one of keys, wrappedKeys"
            assert vector.get("unencrypted", "reject") == "reject", where
            assert str(vector["expectedError"]).startswith("ERR_"), where
        else:
            assert shape_problem(set(vector["payload"]), PAYLOAD_FIELDS) is None, where
            assert shape_problem(set(vector["expected"]), EXPECTED_FIELDS) is None, where
    assert POSITIVE and TRANSIT and NEGATIVE, "the spec publishes vectors of every kind"
    assert len(POSITIVE) + len(TRANSIT) + len(NEGATIVE) == len(VECTORS)


def root_key(vector: Vector) -> bytes:
    """The key version's material: the root key, or in Transit mode the data key."""
    return bytes.fromhex(vector["dataKeyHex"] if vector["kind"] == "transit" else vector["rootKeyHex"])


def original(vector: Vector) -> Payload:
    """The vector's plaintext payload, external payload details included."""
    payload = vector["payload"]
    return Payload(
        metadata={k: v.encode() for k, v in payload["metadata"].items()},
        data=payload["data"].encode(),
        external_payloads=[
            Payload.ExternalPayloadDetails(size_bytes=int(d["sizeBytes"])) for d in payload.get("externalPayloads", [])
        ],
    )


def published(vector: Vector) -> Payload:
    """The sealed payload a positive or Transit vector publishes."""
    expected = vector["expected"]
    return Payload(
        metadata={k: v.encode() for k, v in expected["metadata"].items()}, data=bytes.fromhex(expected["dataHex"])
    )


def negative_input(vector: Vector) -> Payload:
    """The payload a negative vector gives to decode (metadata as text, values that are not UTF-8 as hex)."""
    given = vector["input"]
    metadata = {k: v.encode() for k, v in given["metadata"].items()}
    metadata.update({k: bytes.fromhex(v) for k, v in given.get("metadataHex", {}).items()})
    return Payload(metadata=metadata, data=bytes.fromhex(given["dataHex"]))


def text(metadata: dict[str, bytes]) -> dict[str, str]:
    return {k: v.decode() for k, v in metadata.items()}


def transit_decoder(vector: Vector) -> VectorDecoder:
    return VectorDecoder(
        vector["namespace"],
        vector["keyId"],
        wrapped_keys={vector["wrappedKey"]: vector["dataKeyHex"]},
        transit_key_name=vector["transitKeyName"],
        derivation_context=vector["derivationContext"],
    )


def calls(transit: VectorTransit | None) -> list[str]:
    assert transit is not None
    return transit.calls


@pytest.mark.parametrize("vector", SEALED, ids=ids(SEALED))
def test_sealed_vector_is_computed_byte_for_byte(vector: Vector) -> None:
    expected = vector["expected"]
    key_id, version, namespace = vector["keyId"], vector["version"], vector["namespace"]
    root, salt = root_key(vector), bytes.fromhex(vector["saltHex"])
    serialized = serialize_payload(original(vector))
    assert serialized.hex() == expected["serializedPayloadHex"]
    okm = derive_okm(root, salt, key_id, version)
    assert okm[:32].hex() == expected["aesKeyHex"]
    assert okm[32:].hex() == expected["commitmentHex"]
    aad = build_aad(FORMAT_V1, namespace, key_id, version)
    assert aad.hex() == expected["aadHex"]
    sealed = seal(derive_key(root, salt, key_id, version), aad, serialized, bytes.fromhex(vector["nonceHex"]))
    assert sealed.hex() == expected["dataHex"]
    ref = KeyReference(key_id, version, vector.get("wrappedKey"))
    assert text(encrypted_metadata(ref)) == expected["metadata"]


@pytest.mark.parametrize("vector", POSITIVE, ids=ids(POSITIVE))
async def test_positive_vector_decodes_through_the_codec(vector: Vector) -> None:
    decoder = VectorDecoder(vector["namespace"], vector["keyId"], keys={str(vector["version"]): vector["rootKeyHex"]})
    async with vector_codec(decoder) as (codec, _):
        [decoded] = await codec.decode([published(vector)])
    assert decoded == original(vector)


@pytest.mark.parametrize("vector", TRANSIT, ids=ids(TRANSIT))
async def test_transit_vector_unwraps_on_the_named_key_with_base64_namespace_context(vector: Vector) -> None:
    assert vector["transitKeyName"] == f"temporal-codec-{vector['keyId']}"
    assert vector["derivationContext"] == base64.b64encode(vector["namespace"].encode()).decode()
    async with vector_codec(transit_decoder(vector)) as (codec, transit):
        [decoded] = await codec.decode([published(vector)])
        assert calls(transit) == [f"POST /v1/transit/decrypt/{vector['transitKeyName']}"]
    assert decoded == original(vector)


@pytest.mark.parametrize("vector", TRANSIT, ids=ids(TRANSIT))
async def test_transit_vector_encoding_writes_the_published_metadata(vector: Vector) -> None:
    async with vector_codec(transit_decoder(vector)) as (codec, transit):
        [sealed] = await codec.encode([original(vector)])
        assert calls(transit) == [f"POST /v1/transit/datakey/plaintext/{vector['transitKeyName']}"]
        assert text(dict(sealed.metadata)) == vector["expected"]["metadata"]
        assert len(sealed.data) == len(vector["expected"]["dataHex"]) // 2
        [reopened] = await codec.decode([sealed])
    assert reopened == original(vector)


@pytest.mark.parametrize("vector", NEGATIVE, ids=ids(NEGATIVE))
async def test_negative_vector_fails_with_its_code(vector: Vector) -> None:
    decoder = VectorDecoder(
        vector["namespace"],
        vector["keyId"],
        keys=vector.get("keys"),
        wrapped_keys=vector.get("wrappedKeys"),
        unencrypted="reject" if vector.get("unencrypted") == "reject" else "allow",
    )
    async with vector_codec(decoder) as (codec, transit):
        with pytest.raises(CodecError) as raised:
            await codec.decode([negative_input(vector)])
        assert raised.value.code == vector["expectedError"]
        # A Transit payload whose metadata is refused never reaches Vault.
        if transit is not None and vector["expectedError"] == "ERR_MALFORMED_METADATA":
            assert transit.calls == []
