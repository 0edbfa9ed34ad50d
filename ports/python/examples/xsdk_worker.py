"""A Python workflow worker for the cross-SDK test: it runs ``CrossSdkOrder`` (``xsdk_workflow.py``) and seals every
payload with keys in Vault KV v2 or Vault Transit, the same keys the Go activity worker and the TypeScript client use.

Settings come from the environment: ``TEMPORAL_ADDRESS``, ``TEMPORAL_NAMESPACE`` (default ``default``),
``XSDK_TASK_QUEUE``, ``VAULT_ADDR`` and ``VAULT_TOKEN``, ``XSDK_KEY_SOURCE`` (``vault-kv`` or ``vault-transit``),
``VAULT_KEY_PREFIX`` (KV path prefix), ``VAULT_TRANSIT_MOUNT`` and ``XSDK_LATEST_TTL`` (seconds the newest key version
is trusted; short so a rotation is seen quickly). It prints ``ready`` once the worker polls and stops on SIGTERM or
SIGINT.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal

import hvac
import temporalio.converter
from temporalio.client import Client
from temporalio.worker import Worker
from xsdk_workflow import CrossSdkOrder

from temporal_vault_codec import CachingKeyProvider, EncryptionCodec, KeyProvider, VaultKvStore, VaultTransitKeyProvider


def key_provider(latest_ttl: float) -> KeyProvider:
    vault = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"], timeout=5)
    source = os.environ.get("XSDK_KEY_SOURCE")
    if source == "vault-kv":
        store = VaultKvStore(vault, mount="secret", path_prefix=os.environ["VAULT_KEY_PREFIX"])
        return CachingKeyProvider(store, latest_ttl=latest_ttl)
    if source == "vault-transit":
        return VaultTransitKeyProvider(vault, mount=os.environ["VAULT_TRANSIT_MOUNT"], data_key_max_age=latest_ttl)
    raise SystemExit(f"XSDK_KEY_SOURCE must be vault-kv or vault-transit, not {source!r}")


async def main() -> None:
    namespace = os.environ.get("TEMPORAL_NAMESPACE", "default")
    provider = key_provider(float(os.environ["XSDK_LATEST_TTL"]))
    codec = EncryptionCodec(namespace=namespace, key_provider=provider)
    try:
        await serve(namespace, codec)
    finally:
        codec.close()
        await provider.close()


async def serve(namespace: str, codec: EncryptionCodec) -> None:
    await codec.warm_up()  # start only if the key source answers
    data_converter = dataclasses.replace(
        temporalio.converter.default(),
        payload_codec=codec,
        failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes,
    )
    client = await Client.connect(os.environ["TEMPORAL_ADDRESS"], namespace=namespace, data_converter=data_converter)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(client, task_queue=os.environ["XSDK_TASK_QUEUE"], workflows=[CrossSdkOrder]):
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
