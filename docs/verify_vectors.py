"""Independent check of docs/test-vectors.json with Python's `cryptography` package.

Implements the wire-format v1 sealing from docs/wire-format.md without sharing any code with the library, and
prints one line per vector. Usage: python3 docs/verify_vectors.py
"""
import hashlib
import hmac
import json
import pathlib
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


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


def main() -> int:
    vectors = json.loads((pathlib.Path(__file__).parent / "test-vectors.json").read_text())
    ok = True
    for v in vectors:
        e = v["expected"]
        salt, nonce = bytes.fromhex(v["saltHex"]), bytes.fromhex(v["nonceHex"])
        info = b"tvc1-derive" + lp16(v["keyId"]) + struct.pack(">I", v["version"])
        okm = hkdf_sha256(bytes.fromhex(v["rootKeyHex"]), salt, info, 64)
        aad = b"tvc1-aad" + lp16(e["metadata"]["encryption-format"]) + lp16(v["namespace"]) + lp16(v["keyId"])
        aad += struct.pack(">I", v["version"])
        sealed = AESGCM(okm[:32]).encrypt(nonce, bytes.fromhex(e["serializedPayloadHex"]), aad)
        match = (salt + okm[32:] + nonce + sealed).hex() == e["dataHex"]
        ok = ok and match
        print(("ok  " if match else "FAIL") + " " + v["name"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
