"""The JSON command-line helper: encode and decode through stdin and stdout, errors as codes."""

from __future__ import annotations

import base64
import json
import pathlib
import subprocess
import sys
from typing import Any


def run(request: object) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "temporal_vault_codec.cli"],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def test_encode_then_decode_through_the_helper(tmp_path: pathlib.Path) -> None:
    source = {"kind": "local-keyring", "path": str(tmp_path / "keyring.json")}
    plain = {
        "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
        "data": base64.b64encode(b"42").decode(),
    }
    status, encoded = run({"operation": "encode", "namespace": "orders", "keySource": source, "payloads": [plain]})
    assert status == 0
    [sealed] = encoded["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == b"binary/encrypted"
    status, decoded = run({"operation": "decode", "namespace": "orders", "keySource": source, "payloads": [sealed]})
    assert status == 0 and decoded["payloads"] == [plain]


def test_failures_answer_with_a_code(tmp_path: pathlib.Path) -> None:
    source = {"kind": "local-keyring", "path": str(tmp_path / "keyring.json")}
    forged = {"metadata": {"encoding": base64.b64encode(b"binary/encrypted").decode()}, "data": ""}
    cases = [
        (
            {"operation": "decode", "namespace": "orders", "keySource": source, "payloads": [forged]},
            "ERR_UNSUPPORTED_FORMAT",
        ),
        ({"operation": "sign", "payloads": []}, "ERR_INVALID_ARGUMENT"),
        (
            {"operation": "encode", "namespace": "orders", "keySource": {"kind": "s3"}, "payloads": []},
            "ERR_INVALID_CONFIG",
        ),
        ({"operation": "encode", "payloads": [{"data": 5}]}, "ERR_INVALID_ARGUMENT"),
    ]
    for request, code in cases:
        status, answer = run(request)
        assert status == 1 and answer["error"]["code"] == code
