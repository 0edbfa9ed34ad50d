"""Calls to Vault through ``hvac``, off the event loop, with retries and typed errors.

``hvac`` is the maintained Python client for Vault (and OpenBao, which speaks the same API), but it is synchronous
(``requests``). A Temporal worker runs every workflow task and activity completion on one asyncio event loop, so a
blocking HTTP call there would stall the whole worker for the length of a Vault round trip; each call therefore runs
in the loop's default thread pool (``asyncio.to_thread``). Key fetches are rare (cached, single flight), so a thread
per fetch costs nothing measurable, and users keep hvac's own auth methods (token, AppRole, Kubernetes...) by passing
their configured ``hvac.Client``.

Failures map to the codes of ``codec/keys/vault-client.ts``: network errors, 429 and 5xx are
ERR_KEY_SOURCE_UNAVAILABLE (retried with backoff, then retryable), 401/403 ERR_KEY_SOURCE_DENIED, other 4xx
ERR_INVALID_CONFIG quoting Vault's message (never a request body).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any, TypeVar

import hvac
import hvac.exceptions
import requests

from ..errors import INVALID_CONFIG, KEY_SOURCE_DENIED, KEY_SOURCE_UNAVAILABLE, CodecError

T = TypeVar("T")

_UNAVAILABLE = (
    hvac.exceptions.RateLimitExceeded,
    hvac.exceptions.InternalServerError,
    hvac.exceptions.VaultNotInitialized,
    hvac.exceptions.VaultDown,
    hvac.exceptions.BadGateway,
    hvac.exceptions.UnexpectedError,
)


class VaultTransport:
    """Runs hvac calls in a worker thread; retries network errors, 429 and 5xx; maps failures to codes."""

    def __init__(self, client: hvac.Client, *, retries: int = 3, backoff: float = 0.1) -> None:
        if not isinstance(client, hvac.Client):
            raise CodecError(INVALID_CONFIG, "client must be an hvac.Client")
        if retries < 0 or backoff < 0:
            raise CodecError(INVALID_CONFIG, "retries and backoff must be non-negative")
        self.client = client
        self._retries = retries
        self._backoff = backoff

    async def call(self, where: str, fn: Callable[[hvac.Client], T]) -> T:
        """Runs ``fn(client)`` in a thread. ``where`` names the operation in error messages (no secrets)."""
        attempt = 0
        while True:
            try:
                return await asyncio.to_thread(fn, self.client)
            except (requests.exceptions.RequestException, *_UNAVAILABLE) as err:
                if attempt >= self._retries:
                    raise _map_error(err, where) from err
            except hvac.exceptions.VaultError as err:
                raise _map_error(err, where) from err
            await asyncio.sleep(self._backoff * 2**attempt * (0.5 + random.random() / 2))
            attempt += 1


def vault_messages(err: BaseException) -> str:
    """Vault's own error messages (never secret values), joined."""
    errors = getattr(err, "errors", None)
    if isinstance(errors, str):
        return errors
    if errors is None:
        return ""
    return "; ".join(e for e in errors if isinstance(e, str))


def _map_error(err: BaseException, where: str) -> CodecError:
    if isinstance(err, requests.exceptions.RequestException):
        return CodecError(KEY_SOURCE_UNAVAILABLE, f"Vault unreachable ({type(err).__name__}) on {where}")
    detail = vault_messages(err)
    suffix = f": {detail}" if detail else ""
    if isinstance(err, (hvac.exceptions.Unauthorized, hvac.exceptions.Forbidden)):
        return CodecError(KEY_SOURCE_DENIED, f"Vault denied {where}; check the token and its policy{suffix}")
    if isinstance(err, _UNAVAILABLE):
        return CodecError(KEY_SOURCE_UNAVAILABLE, f"Vault failed {where} ({type(err).__name__}){suffix}")
    return CodecError(INVALID_CONFIG, f"Vault rejected {where}{suffix}")


def not_found_body(err: hvac.exceptions.InvalidPath) -> object:
    """The JSON body of a 404 (KV v2 answers deleted versions with their metadata), or None."""
    return err.json


def invoke(method: Callable[..., Any], *args: object, **kwargs: object) -> object:
    """Calls an hvac method whose type stub has no annotations; the caller checks the result's shape."""
    return method(*args, **kwargs)
