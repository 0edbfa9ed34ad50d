"""Shared fixtures. Vault tests use ``VAULT_ADDR`` and ``VAULT_TOKEN`` (a real Vault or OpenBao) and skip only when
those are unset; ``npm test`` always sets them to the shared OpenBao of the test run."""

from __future__ import annotations

import pathlib
import secrets
import sys
from collections.abc import Iterator

import hvac
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))

from support import vault_env

from temporal_vault_codec.keys.vault_transport import invoke


@pytest.fixture
def vault() -> hvac.Client:
    """An hvac client for the test Vault, with the root token of the environment."""
    env = vault_env()
    if env is None:
        pytest.skip("VAULT_ADDR and VAULT_TOKEN are not set")
    return hvac.Client(url=env[0], token=env[1], timeout=10)


@pytest.fixture
def kv_prefix() -> str:
    """A KV path prefix no other test uses, so tests can share one Vault."""
    return f"pytest-{secrets.token_hex(4)}/"


@pytest.fixture
def transit_mount(vault: hvac.Client) -> Iterator[str]:
    """A Transit mount of this test's own, removed afterwards."""
    mount = f"pytest-transit-{secrets.token_hex(4)}"
    invoke(vault.sys.enable_secrets_engine, "transit", path=mount)
    yield mount
    invoke(vault.sys.disable_secrets_engine, mount)
