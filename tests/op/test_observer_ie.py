"""Batched observation of InferenceExperiments (the IE handler's pass, the emulator over HTTP)."""

from __future__ import annotations

import asyncio
from typing import Any

from op.test_ie_pass import Env, body, env, run_until, server  # noqa: F401 - fixtures
from sagemaker_operator import config
from sagemaker_operator.observer import observers
from sagemaker_operator.refresher import INFERENCE_EXPERIMENT, Refresher


def refresher() -> Refresher:
    return next(iter(observers._by_region.values())).refreshers[INFERENCE_EXPERIMENT.kind]


async def test_running_experiment_costs_one_list_per_tick_and_changes_wake_it(env: Env) -> None:  # noqa: F811
    config.current().refresh_interval = 3600
    observers.close()
    try:
        memo: dict[str, Any] = {"wake": asyncio.Event()}
        b = body()
        await run_until(b, memo, lambda d, st: st.get("status") == "Running")
        await refresher().tick()
        await run_until(b, memo, lambda d, st: True)
        memo["wake"].clear()
        counters = env.server.backend.counters
        before = dict(counters)
        for _ in range(3):
            assert await refresher().tick() == 0
            await run_until(b, memo, lambda d, st: True)
        calls = {k: v - before.get(k, 0) for k, v in counters.items() if v != before.get(k, 0)}
        assert calls == {"ListInferenceExperiments": 3}

        # SageMaker ends it (its EndTime): the next tick wakes the daemon, one Describe shows it.
        env.advance(8 * 24 * 3600)
        assert await refresher().tick() == 1 and memo["wake"].is_set()
        before = dict(counters)
        await run_until(b, memo, lambda d, st: st.get("status") == "Completed")
        assert counters["DescribeInferenceExperiment"] - before.get("DescribeInferenceExperiment", 0) == 1
    finally:
        observers.close()
