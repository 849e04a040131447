"""Golden predictions computed in a worker process while the DUT simulates the same product.

The scoreboard needs, per product, the golden outputs and the cycle-exact performance model
(about 5 ms on the 8x8 array).  The driver submits that prediction when it receives the item, so
it runs on the other core while the simulator runs the product; the scoreboard then only waits
for a result that is normally ready.  ``MASR_PREDICT_WORKERS=0`` computes in-process instead
(same results: the prediction is a pure function of the item).
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Optional

from golden.config import HwConfig
from tb.checks import Expected, expected_for, expected_values, product_runs
from tb.seq_items import MatvecItem

ENV_WORKERS = "MASR_PREDICT_WORKERS"


class Predictor:
    def __init__(self, hw: HwConfig, workers: Optional[int] = None) -> None:
        self.hw = hw
        n = int(os.environ.get(ENV_WORKERS, "1")) if workers is None else workers
        self._pool: Optional[ProcessPoolExecutor] = None
        if n > 0:
            # fork: the worker needs no import of the simulator-embedded interpreter's modules
            # and never returns into the simulator (pool workers leave through os._exit).
            self._pool = ProcessPoolExecutor(max_workers=n,
                                             mp_context=multiprocessing.get_context("fork"))
        self._pending: dict[int, Future] = {}

    def submit(self, item: MatvecItem) -> None:
        """Start predicting ``item`` (call before the DUT runs it)."""
        if self._pool is None or not product_runs(item):
            return
        self._pending[id(item)] = self._pool.submit(
            expected_values, item.W, item.x, item.bias, item.layer, self.hw)

    def expected(self, item: MatvecItem) -> Expected:
        """The prediction for ``item``: the worker's result, or computed here."""
        fut = self._pending.pop(id(item), None)
        return fut.result() if fut is not None else expected_for(item, self.hw)

    def discard(self, item: MatvecItem) -> None:
        fut = self._pending.pop(id(item), None)
        if fut is not None:
            fut.cancel()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
