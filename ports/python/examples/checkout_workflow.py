"""The example's workflow and activity, in a module of their own: Temporal's workflow sandbox re-imports this module,
so it imports nothing but ``temporalio`` (the codec, hvac and requests stay outside the sandbox)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn
async def charge(customer: str) -> str:
    return f"charged {customer}"


@workflow.defn
class Checkout:
    @workflow.run
    async def run(self, customer: str) -> str:
        return await workflow.execute_activity(charge, customer, start_to_close_timeout=timedelta(seconds=30))
