"""Encode or decode payloads from the command line: one JSON request on stdin, one JSON answer on stdout.

::

    python -m temporal_vault_codec.cli < request.json

    {"operation": "encode" | "decode",
     "namespace": "orders",
     "keySource": {"kind": "vault-kv", "mount": "secret", "pathPrefix": "temporal-codec/"}
                | {"kind": "vault-transit", "mount": "transit", "keyPrefix": "temporal-codec-"}
                | {"kind": "local-keyring", "path": ".codec-keyring.json"},
     "payloads": [{"metadata": {"encoding": "<base64>"}, "data": "<base64>"}]}

Payloads use the JSON form of the codec-server protocol (protobuf JSON: bytes in base64). Vault's address and token
come from ``VAULT_ADDR`` and ``VAULT_TOKEN`` (or ``keySource.address`` / ``keySource.token``, which keeps the token off
the command line). The answer is ``{"payloads": [...]}``, or ``{"error": {"code", "message"}}`` with exit status 1.
Used by the test suite to check payloads across the TypeScript and Python implementations, and handy to inspect a
payload by hand.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Mapping
from typing import Any

import hvac
from google.protobuf import json_format
from temporalio.api.common.v1 import Payload

from .codec import EncryptionCodec
from .errors import INVALID_ARGUMENT, INVALID_CONFIG, CodecError
from .keys import CachingKeyProvider, KeyProvider, LocalKeyring, VaultKvStore, VaultTransitKeyProvider


def open_provider(source: Mapping[str, Any]) -> KeyProvider:
    """The key provider a request's ``keySource`` describes."""
    kind = source.get("kind")
    if kind == "local-keyring":
        return CachingKeyProvider(LocalKeyring(str(source.get("path", ".codec-keyring.json"))))
    if kind not in ("vault-kv", "vault-transit"):
        raise CodecError(INVALID_CONFIG, "keySource.kind must be vault-kv, vault-transit or local-keyring")
    address = source.get("address") or os.environ.get("VAULT_ADDR")
    token = source.get("token") or os.environ.get("VAULT_TOKEN")
    if not address or not token:
        raise CodecError(INVALID_CONFIG, "Vault needs VAULT_ADDR and VAULT_TOKEN (or keySource.address and .token)")
    client = hvac.Client(url=str(address), token=str(token), timeout=10)
    if kind == "vault-kv":
        store = VaultKvStore(
            client,
            mount=str(source.get("mount", "secret")),
            path_prefix=str(source.get("pathPrefix", "temporal-codec/")),
        )
        return CachingKeyProvider(store)
    return VaultTransitKeyProvider(
        client, mount=str(source.get("mount", "transit")), key_prefix=str(source.get("keyPrefix", "temporal-codec-"))
    )


async def handle(request: Mapping[str, Any]) -> dict[str, Any]:
    """Runs one request and returns the answer object."""
    operation = request.get("operation")
    if operation not in ("encode", "decode"):
        raise CodecError(INVALID_ARGUMENT, 'operation must be "encode" or "decode"')
    raw = request.get("payloads")
    if not isinstance(raw, list):
        raise CodecError(INVALID_ARGUMENT, "payloads must be a list")
    try:
        payloads = [json_format.ParseDict(item, Payload()) for item in raw]
    except (json_format.ParseError, TypeError, AttributeError):
        raise CodecError(INVALID_ARGUMENT, "payloads must be Payload objects in protobuf JSON") from None
    source = request.get("keySource")
    provider = open_provider(source if isinstance(source, Mapping) else {})
    codec = EncryptionCodec(namespace=str(request.get("namespace", "")), key_provider=provider)
    try:
        result = await (codec.encode(payloads) if operation == "encode" else codec.decode(payloads))
    finally:
        codec.close()
        await provider.close()
    return {"payloads": [json_format.MessageToDict(p) for p in result]}


def main() -> int:
    """Reads the request from stdin, writes the answer to stdout."""
    try:
        request = json.load(sys.stdin)
        if not isinstance(request, dict):
            raise CodecError(INVALID_ARGUMENT, "the request must be a JSON object")
        answer = asyncio.run(handle(request))
    except CodecError as err:
        json.dump({"error": {"code": err.code, "message": str(err)}}, sys.stdout)
        return 1
    except ValueError:
        json.dump({"error": {"code": INVALID_ARGUMENT, "message": "the request is not JSON"}}, sys.stdout)
        return 1
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
