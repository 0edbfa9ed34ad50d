"""The cross-SDK test's workflow, in a module of its own: Temporal's workflow sandbox re-imports this module, so it
imports nothing but ``temporalio``.

The workflow runs in Python, its activity ``xsdk_step`` on a worker of another SDK (the Go port's
``examples/xsdk-activity``), called by name on the task queue the workflow input names. Between steps it waits for a
``step`` signal, so a client can change things (rotate the key) while the run is open; a signal with ``last`` set ends
the run.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow


@workflow.defn(name="CrossSdkOrder")
class CrossSdkOrder:
    def __init__(self) -> None:
        self._signals: list[dict[str, Any]] = []

    @workflow.signal(name="step")
    def step(self, signal: dict[str, Any]) -> None:
        self._signals.append(signal)

    @workflow.run
    async def run(self, order: dict[str, Any]) -> dict[str, Any]:
        notes: list[str] = []
        note = str(order["note"])
        round_number = 0
        while True:
            result = await workflow.execute_activity(
                "xsdk_step",
                {"round": round_number, "note": note},
                task_queue=str(order["activityTaskQueue"]),
                start_to_close_timeout=timedelta(seconds=30),
                result_type=dict,
            )
            notes.append(str(result["note"]))
            await workflow.wait_condition(lambda: len(self._signals) > 0)
            signal = self._signals.pop(0)
            if signal.get("last"):
                return {"order": order["id"], "notes": notes, "closing": f"python closed {signal['note']}"}
            note = str(signal["note"])
            round_number += 1
