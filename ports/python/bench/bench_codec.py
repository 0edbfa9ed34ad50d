"""Benchmark: the Python port's encode and decode against raw AES-256-GCM (``cryptography``) on the same bytes.

``npm run bench:python`` (or ``python bench/bench_codec.py [--quick] [--json FILE]`` in the port's venv). Raw means
what a Python program gets from ``cryptography`` directly: one ``AESGCM`` object, a random nonce per payload,
``encrypt(nonce, data, None)`` and ``decrypt``, a batch keeping its results as the codec's does. The codec does that
plus what the format needs: serializing the whole ``Payload``, the AAD, the key commitment, building the sealed
``Payload``, and for decode the header checks and parsing the inner ``Payload``. Keys come from the caching provider
over an in-memory store (warm, as in a running worker: the same path as Vault KV once cached). Cases are interleaved
and repeated; each figure is the median of the rounds. Ratios are codec throughput / raw throughput (above 1: the
codec is faster).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload

from temporal_vault_codec import CachingKeyProvider, EncryptionCodec, MemoryKeyStore

SIZES = [("256 B", 256), ("1 KiB", 1024), ("64 KiB", 65_536), ("1 MiB", 1_048_576)]
BATCHES = [1, 100]


@dataclass
class Case:
    name: str
    size: str
    batch: int
    run: Callable[[], Awaitable[None]]
    payloads_per_run: int
    rates: list[float] = field(default_factory=list)


async def measure(case: Case, seconds: float) -> None:
    """Runs ``case`` for about ``seconds`` and records payloads per second."""
    gc.collect()
    runs, started = 0, time.perf_counter()
    while True:
        await case.run()
        runs += 1
        elapsed = time.perf_counter() - started
        if elapsed >= seconds:
            break
    case.rates.append(runs * case.payloads_per_run / elapsed)


def cases_for(label: str, size: int, batch: int, codec: EncryptionCodec, sealed: list[Payload]) -> list[Case]:
    payloads = [Payload(metadata={"encoding": b"binary/plain"}, data=os.urandom(size)) for _ in range(batch)]
    raw = AESGCM(os.urandom(32))
    raw_sealed = [(nonce, raw.encrypt(nonce, p.data, None)) for p in payloads for nonce in [os.urandom(12)]]

    async def codec_encode() -> None:
        await codec.encode(payloads)

    async def codec_decode() -> None:
        await codec.decode(sealed)

    # A raw batch keeps its results, as a codec's batch must (it returns them all): each side pays for its memory.
    async def raw_encrypt() -> None:
        [raw.encrypt(os.urandom(12), p.data, None) for p in payloads]

    async def raw_decrypt() -> None:
        [raw.decrypt(nonce, ciphertext, None) for nonce, ciphertext in raw_sealed]

    return [
        Case("encode", label, batch, codec_encode, batch),
        Case("raw encrypt", label, batch, raw_encrypt, batch),
        Case("decode", label, batch, codec_decode, batch),
        Case("raw decrypt", label, batch, raw_decrypt, batch),
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer, shorter rounds")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args()
    rounds, seconds = (3, 0.1) if args.quick else (5, 0.3)

    store = MemoryKeyStore()
    store.rotate("bench")
    codec = EncryptionCodec(namespace="bench", key_provider=CachingKeyProvider(store))
    cases: list[Case] = []
    for label, size in SIZES:
        for batch in BATCHES:
            plain = [Payload(metadata={"encoding": b"binary/plain"}, data=os.urandom(size)) for _ in range(batch)]
            cases.extend(cases_for(label, size, batch, codec, await codec.encode(plain)))
    for case in cases:  # warm-up: keys cached, code paths hot
        await case.run()
    for round_number in range(rounds):
        # Rotate the order each round, so that drift on a virtual machine spreads over every case.
        shift = round_number % len(cases)
        for case in cases[shift:] + cases[:shift]:
            await measure(case, seconds)

    print(f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}")
    columns = ("encode/s", "raw enc/s", "ratio", "decode/s", "raw dec/s", "ratio")
    widths = (12, 12, 6, 12, 12, 6)
    print(f"{'size':>7} {'batch':>5} " + " ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    results = []
    for index in range(0, len(cases), 4):
        encode, raw_encrypt, decode, raw_decrypt = (statistics.median(c.rates) for c in cases[index : index + 4])
        head = cases[index]
        row = {
            "size": head.size,
            "batch": head.batch,
            "encodePerSecond": round(encode),
            "rawEncryptPerSecond": round(raw_encrypt),
            "encodeRatio": round(encode / raw_encrypt, 2),
            "decodePerSecond": round(decode),
            "rawDecryptPerSecond": round(raw_decrypt),
            "decodeRatio": round(decode / raw_decrypt, 2),
        }
        results.append(row)
        print(
            f"{head.size:>7} {head.batch:>5} {encode:>12,.0f} {raw_encrypt:>12,.0f} {row['encodeRatio']:>6.2f} "
            f"{decode:>12,.0f} {raw_decrypt:>12,.0f} {row['decodeRatio']:>6.2f}"
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    asyncio.run(main())
