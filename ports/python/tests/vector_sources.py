"""Key sources for the published vectors: exactly the keys a vector lists, behind the port's real caching provider or
its real Transit provider (over HTTP, through hvac), so every check the spec names runs as in production."""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import hvac

from temporal_vault_codec import CodecError, EncryptionCodec
from temporal_vault_codec.errors import UNKNOWN_KEY, UNKNOWN_KEY_VERSION
from temporal_vault_codec.keys import CachingKeyProvider, VaultTransitKeyProvider
from temporal_vault_codec.keys.provider import KeyProvider, LatestKey
from temporal_vault_codec.unencrypted_policy import UnencryptedMode

_WRAPPED_VERSION = re.compile(r"^vault:v(\d+):")


class VectorKeyStore:
    """A versioned key store holding the root keys of one key id (version -> hex); any other version is unknown."""

    kind = "vector"

    def __init__(self, key_id: str, keys: Mapping[str, str]) -> None:
        self._key_id = key_id
        self._keys = {int(version): bytes.fromhex(key) for version, key in keys.items()}

    async def read_latest(self, key_id: str) -> LatestKey:
        newest = max(self._keys)
        return LatestKey(newest, await self.read_version(key_id, newest))

    async def read_version(self, key_id: str, version: int) -> bytearray:
        if key_id != self._key_id:
            raise CodecError(UNKNOWN_KEY, "Unknown key", context={"keyId": key_id})
        key = self._keys.get(version)
        if key is None:
            raise CodecError(UNKNOWN_KEY_VERSION, "Unknown key version", context={"keyId": key_id, "version": version})
        return bytearray(key)

    async def check_health(self) -> None:
        return None


class VectorTransit:
    """Transit's ``datakey/plaintext`` and ``decrypt`` for one namespace, over HTTP on loopback: ``decrypt`` unwraps
    exactly the wrapped keys listed (wrapped -> data key hex), on the Transit key ``name`` and only with the derivation
    ``context``, and refuses anything else as Transit does (HTTP 400, "message authentication failed"); ``datakey``
    hands out the first listed one."""

    def __init__(self, name: str, context: str, wrapped_keys: Mapping[str, str]) -> None:
        self.name, self.context, self.wrapped_keys = name, context, dict(wrapped_keys)
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def answer(self, method: str, path: str, body: Mapping[str, object]) -> tuple[int, object]:
        """The status and JSON body Transit gives ``method path`` with ``body``."""
        with self._lock:
            self.calls.append(f"{method} {path}")
        refused = 400, {"errors": ["cipher: message authentication failed"]}
        if method not in ("POST", "PUT") or body.get("context") != self.context:
            return refused
        if path == f"/v1/transit/datakey/plaintext/{self.name}" and self.wrapped_keys:
            wrapped, key_hex = next(iter(self.wrapped_keys.items()))
            match = _WRAPPED_VERSION.match(wrapped)
            version = int(match.group(1)) if match else 0
            return 200, {"data": {"ciphertext": wrapped, "plaintext": _b64(key_hex), "key_version": version}}
        if path == f"/v1/transit/decrypt/{self.name}":
            unwrapped = self.wrapped_keys.get(str(body.get("ciphertext")))
            return refused if unwrapped is None else (200, {"data": {"plaintext": _b64(unwrapped)}})
        return 400, {"errors": ["unsupported path"]}


def _b64(key_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(key_hex)).decode()


@contextmanager
def serve(transit: VectorTransit) -> Iterator[str]:
    """Serves ``transit`` on a free loopback port for the duration of the block; yields its address."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else {}
            status, answer = transit.answer(
                self.command, self.path.split("?")[0], body if isinstance(body, dict) else {}
            )
            text = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        do_POST = do_PUT = do_GET = _handle

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class VectorDecoder:
    """What a vector's codec is built from; ``wrapped_keys`` selects Transit mode."""

    namespace: str
    key_id: str
    keys: Mapping[str, str] | None = None
    wrapped_keys: Mapping[str, str] | None = None
    unencrypted: UnencryptedMode = "allow"
    transit_key_name: str | None = None
    derivation_context: str | None = None


@asynccontextmanager
async def vector_codec(decoder: VectorDecoder) -> AsyncIterator[tuple[EncryptionCodec, VectorTransit | None]]:
    """The port's real codec for a vector, and the Transit fake behind it in Transit mode (else None)."""

    def key_id_for(_namespace: str) -> str:
        return decoder.key_id

    if decoder.wrapped_keys is None:
        store = VectorKeyStore(decoder.key_id, decoder.keys or {})
        provider: KeyProvider = CachingKeyProvider(store, key_id_for=key_id_for)
        try:
            codec = EncryptionCodec(namespace=decoder.namespace, key_provider=provider, unencrypted=decoder.unencrypted)
            yield codec, None
        finally:
            await provider.close()
        return
    transit = VectorTransit(
        decoder.transit_key_name or f"temporal-codec-{decoder.key_id}",
        decoder.derivation_context or base64.b64encode(decoder.namespace.encode()).decode(),
        decoder.wrapped_keys,
    )
    with serve(transit) as address:
        client = hvac.Client(url=address, token="vector", timeout=10)
        provider = VaultTransitKeyProvider(client, key_id_for=key_id_for)
        try:
            codec = EncryptionCodec(namespace=decoder.namespace, key_provider=provider, unencrypted=decoder.unencrypted)
            yield codec, transit
        finally:
            await provider.close()
            client.adapter.close()
