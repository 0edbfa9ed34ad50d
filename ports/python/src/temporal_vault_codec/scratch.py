"""A reusable working buffer per thread, so that sealing and opening a payload allocate no intermediate buffers.

Every fresh multi-megabyte ``bytes`` object costs page faults (the allocator maps and unmaps large blocks), which on
a virtual machine cost more than the AES-GCM itself: sealing into a reused buffer and letting protobuf copy the result
once is several times faster for large payloads than joining fresh buffers. One buffer per thread, because the codec
may be called from several event loops; a call uses it without awaiting in between.
"""

from __future__ import annotations

import threading

MAX_KEPT_BYTES = 8 * 1024 * 1024
"""Payloads larger than this get a buffer of their own instead of growing the kept one."""


class ScratchBuffer(threading.local):
    """The calling thread's working buffer, with an equally long run of zeros to wipe it."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._view = memoryview(self._buffer)
        self._zeros = memoryview(b"")

    def view(self, size: int) -> memoryview:
        """A writable view of ``size`` bytes, valid until the next call on this thread."""
        if size > len(self._buffer):
            if size > MAX_KEPT_BYTES:
                return memoryview(bytearray(size))
            capacity = max(size, min(2 * len(self._buffer), MAX_KEPT_BYTES), 4096)
            self._buffer = bytearray(capacity)
            self._view = memoryview(self._buffer)
            self._zeros = memoryview(bytes(capacity))
        return self._view[:size]

    def wipe(self, view: memoryview) -> None:
        """Overwrites ``view`` (from :meth:`view`) with zeros: plaintext does not outlive its call."""
        if len(view) <= len(self._zeros):
            view[:] = self._zeros[: len(view)]
        else:
            view[:] = bytes(len(view))
