"""Independent check of docs/test-vectors.json with Python's `cryptography` package.

Implements wire format v1 from docs/wire-format.md without sharing any code with the library: the Payload
serialization, key derivation, sealing, and the decoder's checks in their documented order. Positive and Transit
vectors are sealed again byte for byte and opened; negative vectors must fail with their published error code.
Prints one line per vector. Usage: python3 docs/verify_vectors.py
"""
import base64
import hashlib
import hmac
import json
import pathlib
import re
import struct
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = "tvc1-aes256gcm-hkdf-sha256-commit"
VERSION = re.compile(r"[1-9][0-9]{0,9}")
WRAPPED_KEY = re.compile(r"vault:v([1-9][0-9]{0,9}):[A-Za-z0-9+/]+={0,2}")
STORAGE_REFERENCE = b"temporal.api.sdk.v1.ExternalStorageReference"


class Refused(Exception):
    """A decoder refusal carrying the published error code."""


def lp16(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def hkdf_sha256(ikm: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        out += block
        counter += 1
    return out[:length]


def derive(root_key: bytes, salt: bytes, key_id: str, version: int) -> bytes:
    return hkdf_sha256(root_key, salt, b"tvc1-derive" + lp16(key_id) + struct.pack(">I", version), 64)


def aad_of(namespace: str, key_id: str, version: int) -> bytes:
    return b"tvc1-aad" + lp16(FORMAT) + lp16(namespace) + lp16(key_id) + struct.pack(">I", version)


def varint(value: int) -> bytes:
    out = b""
    while value >= 0x80:
        out += bytes([(value & 0x7F) | 0x80])
        value >>= 7
    return out + bytes([value])


def field(number: int, raw: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(raw)) + raw


def serialize(payload: dict) -> bytes:
    """Metadata entries in the given order (key and value always written), data when non-empty, then details."""
    out = b""
    for key, value in payload["metadata"].items():
        out += field(1, field(1, key.encode("utf-8")) + field(2, value.encode("utf-8")))
    if payload["data"]:
        out += field(2, payload["data"].encode("utf-8"))
    for detail in payload.get("externalPayloads", []):
        size = int(detail["sizeBytes"])
        out += field(3, varint(8) + varint(size) if size else b"")
    return out


def read_varint(buf: bytes, pos: int) -> tuple:
    result, shift = 0, 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise Refused("ERR_MALFORMED_METADATA")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos


def read_fields(buf: bytes):
    """Yields (field number, wire type, value) of a message; unknown wire types and overruns are malformed."""
    pos = 0
    while pos < len(buf):
        tag, pos = read_varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise Refused("ERR_MALFORMED_METADATA")
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire in (1, 5):
            end = pos + (8 if wire == 1 else 4)
            value, pos = buf[pos:end], end
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            value, pos = buf[pos : pos + length], pos + length
        else:
            raise Refused("ERR_MALFORMED_METADATA")
        if pos > len(buf):
            raise Refused("ERR_MALFORMED_METADATA")
        yield number, wire, value


def parse_payload(buf: bytes) -> dict:
    metadata, data = {}, b""
    for number, wire, value in read_fields(buf):
        if number == 1 and wire == 2:
            key, entry_value = b"", b""
            for n, w, v in read_fields(value):
                if n == 1 and w == 2:
                    key = v
                elif n == 2 and w == 2:
                    entry_value = v
            try:
                metadata[key.decode("utf-8")] = entry_value
            except UnicodeDecodeError:
                raise Refused("ERR_MALFORMED_METADATA")
        elif number == 2 and wire == 2:
            data = value
    return {"metadata": metadata, "data": data}


def text(metadata: dict, key: str):
    value = metadata.get(key)
    if value is None:
        return None
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("ERR_MALFORMED_METADATA")


def open_payload(v: dict, metadata: dict, data: bytes) -> dict:
    """The decoder of docs/wire-format.md ("Opening"), check by check; raises Refused with the error code."""
    if metadata.get("encoding") != b"binary/encrypted":
        if metadata.get("messageType") == STORAGE_REFERENCE or v.get("unencrypted", "allow") == "allow":
            return {"metadata": metadata, "data": data}
        raise Refused("ERR_UNENCRYPTED_PAYLOAD")
    if text(metadata, "encryption-format") != FORMAT:
        raise Refused("ERR_UNSUPPORTED_FORMAT")
    key_id = text(metadata, "encryption-key-id")
    if not key_id:
        raise Refused("ERR_MALFORMED_METADATA")
    version_text = text(metadata, "encryption-key-version")
    if version_text is None or not VERSION.fullmatch(version_text) or int(version_text) > 0xFFFFFFFF:
        raise Refused("ERR_MALFORMED_METADATA")
    version = int(version_text)
    wrapped = text(metadata, "encryption-wrapped-key")
    if key_id != v["keyId"]:
        raise Refused("ERR_NAMESPACE_MISMATCH")
    if len(data) < 92:
        raise Refused("ERR_PAYLOAD_TRUNCATED")
    if "wrappedKeys" in v:
        if wrapped is None:
            raise Refused("ERR_MALFORMED_METADATA")
        match = WRAPPED_KEY.fullmatch(wrapped) if len(wrapped) <= 512 else None
        if match is None or int(match.group(1)) > 0xFFFFFFFF or int(match.group(1)) != version:
            raise Refused("ERR_MALFORMED_METADATA")
        if wrapped not in v["wrappedKeys"]:
            raise Refused("ERR_DECRYPTION_FAILED")  # Transit refuses to unwrap it
        root = bytes.fromhex(v["wrappedKeys"][wrapped])
    else:
        if str(version) not in v["keys"]:
            raise Refused("ERR_UNKNOWN_KEY_VERSION")
        root = bytes.fromhex(v["keys"][str(version)])
    okm = derive(root, data[:32], key_id, version)
    if not hmac.compare_digest(okm[32:], data[32:64]):
        raise Refused("ERR_DECRYPTION_FAILED")
    try:
        plaintext = AESGCM(okm[:32]).decrypt(data[64:76], data[76:], aad_of(v["namespace"], key_id, version))
    except InvalidTag:
        raise Refused("ERR_DECRYPTION_FAILED")
    return parse_payload(plaintext)


def check_sealing(v: dict, root_key: bytes) -> bool:
    e = v["expected"]
    salt, nonce = bytes.fromhex(v["saltHex"]), bytes.fromhex(v["nonceHex"])
    serialized = serialize(v["payload"])
    okm = derive(root_key, salt, v["keyId"], v["version"])
    aad = aad_of(v["namespace"], v["keyId"], v["version"])
    sealed = salt + okm[32:] + nonce + AESGCM(okm[:32]).encrypt(nonce, serialized, aad)
    ok = serialized.hex() == e["serializedPayloadHex"] and aad.hex() == e["aadHex"]
    ok = ok and okm[:32].hex() == e["aesKeyHex"] and okm[32:].hex() == e["commitmentHex"]
    ok = ok and sealed.hex() == e["dataHex"] and e["metadata"]["encryption-format"] == FORMAT
    decoder = dict(v, keys={str(v["version"]): root_key.hex()})
    if v["kind"] == "transit":
        ok = ok and e["metadata"]["encryption-wrapped-key"] == v["wrappedKey"]
        ok = ok and v["wrappedKey"].startswith("vault:v%d:" % v["version"])
        ok = ok and v["derivationContext"] == base64.b64encode(v["namespace"].encode("utf-8")).decode()
        ok = ok and v["transitKeyName"] == "temporal-codec-" + v["keyId"]
        decoder = dict(v, wrappedKeys={v["wrappedKey"]: root_key.hex()})
    metadata = {k: s.encode("utf-8") for k, s in e["metadata"].items()}
    opened = open_payload(decoder, metadata, sealed)
    return ok and opened["data"] == v["payload"]["data"].encode("utf-8")


def check_negative(v: dict) -> bool:
    metadata = {k: s.encode("utf-8") for k, s in v["input"]["metadata"].items()}
    metadata.update({k: bytes.fromhex(h) for k, h in v["input"].get("metadataHex", {}).items()})
    try:
        open_payload(v, metadata, bytes.fromhex(v["input"]["dataHex"]))
    except Refused as refused:
        return str(refused) == v["expectedError"]
    return False


def main() -> int:
    vectors = json.loads((pathlib.Path(__file__).parent / "test-vectors.json").read_text(encoding="utf-8"))
    ok = True
    for v in vectors:
        kind = v.get("kind", "positive")
        if kind == "negative":
            match = check_negative(v)
        else:
            match = check_sealing(v, bytes.fromhex(v["rootKeyHex"] if kind == "positive" else v["dataKeyHex"]))
        ok = ok and match
        print(("ok  " if match else "FAIL") + " " + kind + ": " + v["name"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
