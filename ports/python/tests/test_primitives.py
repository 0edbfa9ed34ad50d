"""The sealing primitives' buffer handling: in-place sealing equals the one-shot form, failures wipe the output,
and the per-thread working buffer grows, wipes and never hands out a large buffer twice."""

from __future__ import annotations

import os
import threading

import pytest

from temporal_vault_codec import CodecError
from temporal_vault_codec.aead import NonceSequence, derive_key, open_into, open_sealed, seal, seal_into, sealed_length
from temporal_vault_codec.scratch import MAX_KEPT_BYTES, ScratchBuffer


@pytest.mark.parametrize("size", [0, 1, 4095, 65_536])
def test_sealing_in_place_gives_the_one_shot_bytes_and_both_open(size: int) -> None:
    key = derive_key(os.urandom(32), os.urandom(32), "orders", 3)
    plaintext, nonce, aad = os.urandom(size), os.urandom(12), b"aad"
    out = bytearray(sealed_length(size))
    seal_into(key, aad, plaintext, nonce, memoryview(out))
    assert bytes(out) == seal(key, aad, plaintext, nonce)
    opened = bytearray(size)
    open_into(key, aad, bytes(out), memoryview(opened))
    assert bytes(opened) == plaintext == open_sealed(key, aad, bytes(out))


def test_a_failed_open_leaves_no_unauthenticated_plaintext_behind() -> None:
    key = derive_key(os.urandom(32), os.urandom(32), "orders", 1)
    sealed = bytearray(seal(key, b"aad", b"secret order" * 100, os.urandom(12)))
    sealed[-1] ^= 1
    out = bytearray(b"\xaa" * (len(sealed) - 92))
    with pytest.raises(CodecError) as raised:
        open_into(key, b"aad", bytes(sealed), memoryview(out))
    assert raised.value.code == "ERR_DECRYPTION_FAILED"
    assert out == bytearray(len(out))


def test_a_disposed_key_refuses_to_work() -> None:
    key = derive_key(os.urandom(32), os.urandom(32), "orders", 1)
    key.dispose()
    with pytest.raises(RuntimeError):
        seal(key, b"", b"", os.urandom(12))


def test_nonces_are_the_base_xor_a_counter_in_the_last_four_bytes() -> None:
    nonces = NonceSequence(bytes(range(12)))
    produced = [nonces.next() for _ in range(3)]
    assert produced[0] == bytes(range(12))
    assert produced == [bytes(range(8)) + (0x08090A0B ^ i).to_bytes(4, "big") for i in range(3)]


def test_the_working_buffer_grows_wipes_and_keeps_no_oversized_buffer() -> None:
    scratch = ScratchBuffer()
    small = scratch.view(100)
    small[:] = b"\xff" * 100
    scratch.wipe(small)
    assert bytes(small) == bytes(100)
    big = scratch.view(MAX_KEPT_BYTES + 1)
    again = scratch.view(MAX_KEPT_BYTES + 1)
    big[0] = 1
    assert again[0] == 0 and len(big) == MAX_KEPT_BYTES + 1


def test_each_thread_has_its_own_working_buffer() -> None:
    scratch = ScratchBuffer()
    mine = scratch.view(64)
    seen: list[memoryview] = []
    worker = threading.Thread(target=lambda: seen.append(scratch.view(64)))
    worker.start()
    worker.join()
    mine[:] = b"\x01" * 64
    assert bytes(seen[0]) == bytes(64)
