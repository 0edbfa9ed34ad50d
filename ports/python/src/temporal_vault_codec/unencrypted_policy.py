"""What the codec does with a payload that is not encrypted when it decodes (``codec/unencrypted-policy.ts``).

* ``allow`` passes it through (counted and reported): histories written before encryption was turned on stay
  readable.
* ``reject`` refuses it with ERR_UNENCRYPTED_PAYLOAD: production should use it once histories are encrypted, since
  otherwise whoever can write history can replace an encrypted input, signal or result with plaintext of their
  choosing. ``allowed_unencrypted_encodings`` names encodings that may still pass (e.g. ``binary/null``).

External storage references always pass, in both directions: they point at blobs the codec sealed before they were
stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Literal

from .errors import INVALID_CONFIG, UNENCRYPTED_PAYLOAD, CodecError
from .types import ENCODING_KEY

UnencryptedMode = Literal["allow", "reject"]
UnencryptedObserver = Callable[[str, "str | None"], None]
"""Called with (namespace, encoding) for every unencrypted payload let through."""


class UnencryptedPolicy:
    """The checked form of the codec's unencrypted-payload options."""

    def __init__(
        self,
        mode: UnencryptedMode,
        allowed_encodings: Iterable[str] = (),
        observer: UnencryptedObserver | None = None,
    ) -> None:
        if mode not in ("allow", "reject"):
            raise CodecError(INVALID_CONFIG, f"unencrypted must be allow or reject, not {mode!r}")
        self.mode = mode
        self._allowed = frozenset(allowed_encodings)
        self._observer = observer
        self.passed = 0

    def admit(self, metadata: Mapping[str, bytes], namespace: str) -> None:
        """Lets an unencrypted payload through (and reports it), or raises ERR_UNENCRYPTED_PAYLOAD.

        Precondition: the payload is neither encrypted nor a storage reference.
        """
        raw = metadata.get(ENCODING_KEY)
        encoding = None if raw is None else raw.decode("utf-8", "replace")
        if self.mode == "reject" and (encoding is None or encoding not in self._allowed):
            raise CodecError(
                UNENCRYPTED_PAYLOAD,
                "Payload is not encrypted, and this codec requires it",
                context={"namespace": namespace, "field": ENCODING_KEY},
            )
        self.passed += 1
        if self._observer is not None:
            self._observer(namespace, encoding)
