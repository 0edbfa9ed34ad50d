"""The keyring file's lock across processes, in the protocol of the ``proper-lockfile`` package (TypeScript side).

A lock is the directory ``<file>.lock`` (``mkdir`` is atomic). A holder that crashed leaves it behind; once its
modification time is older than ``STALE_SECONDS`` another process removes it and takes the lock. Changes hold the lock
from reading the file to renaming the new one over it, so a TypeScript codec server and a Python worker sharing one
keyring cannot undo each other's changes.
"""

from __future__ import annotations

import errno
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import KEY_SOURCE_UNAVAILABLE, CodecError

STALE_SECONDS = 10.0
"""A lock not refreshed for this long belongs to a holder that died (proper-lockfile's ``stale``)."""
WAIT_SECONDS = 15.0
"""How long to wait for another process's lock before ERR_KEY_SOURCE_UNAVAILABLE (retryable)."""


@contextmanager
def keyring_lock(path: str) -> Iterator[None]:
    """Holds ``<path>.lock`` for the block (blocking: call it from a worker thread)."""
    lock = f"{path}.lock"
    deadline = time.monotonic() + WAIT_SECONDS
    delay = 0.02
    while True:
        try:
            os.mkdir(lock)
            break
        except FileExistsError:
            if _is_stale(lock):
                _remove(lock)
                continue
        if time.monotonic() >= deadline:
            raise CodecError(KEY_SOURCE_UNAVAILABLE, "Keyring file is locked by another process")
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 1.1, 0.25)
    try:
        yield
    finally:
        _remove(lock)


def _is_stale(lock: str) -> bool:
    try:
        return os.stat(lock).st_mtime < time.time() - STALE_SECONDS
    except FileNotFoundError:
        return False


def _remove(lock: str) -> None:
    try:
        os.rmdir(lock)
    except OSError as err:
        if err.errno != errno.ENOENT:
            raise
