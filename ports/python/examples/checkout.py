"""A Python worker and client sealing every payload with keys in Vault KV v2 (the README's "Using it from Python").

Run against a Temporal server and a Vault/OpenBao holding the namespace's key (created with
``temporal-codec keys create --namespace default --source vault-kv``)::

    VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=... TEMPORAL_ADDRESS=127.0.0.1:7233 python examples/checkout.py Alice

It prints one JSON line: the workflow id, the run id and the result, which the client reads decrypted while the
history holds only ciphertext. ``VAULT_KEY_PREFIX`` overrides the KV path prefix (default ``temporal-codec/``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sys
import uuid

import hvac
import temporalio.converter
from checkout_workflow import Checkout, charge
from temporalio.client import Client
from temporalio.worker import Worker

from temporal_vault_codec import CachingKeyProvider, EncryptionCodec, VaultKvStore


async def main(customer: str) -> None:
    vault = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"], timeout=5)
    store = VaultKvStore(vault, mount="secret", path_prefix=os.environ.get("VAULT_KEY_PREFIX", "temporal-codec/"))
    codec = EncryptionCodec(namespace="default", key_provider=CachingKeyProvider(store))
    await codec.warm_up()  # start only if the key source answers
    data_converter = dataclasses.replace(
        temporalio.converter.default(),
        payload_codec=codec,
        # Failure messages and stack traces are sealed too.
        failure_converter_class=temporalio.converter.DefaultFailureConverterWithEncodedAttributes,
    )
    address = os.environ.get("TEMPORAL_ADDRESS", "localhost:7233")
    client = await Client.connect(address, namespace="default", data_converter=data_converter)
    async with Worker(client, task_queue="checkout", workflows=[Checkout], activities=[charge]):
        handle = await client.start_workflow(
            Checkout.run, customer, id=f"checkout-{uuid.uuid4()}", task_queue="checkout"
        )
        result = await handle.result()
    print(json.dumps({"workflowId": handle.id, "runId": handle.result_run_id, "result": result}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "Alice"))
