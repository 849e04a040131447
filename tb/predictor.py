"""Golden predictions computed in a worker process while the DUT simulates the same product.

The scoreboard needs, per product, the golden outputs and the cycle-exact performance model
(about 5 ms on the 8x8 array).  The driver submits that prediction when it receives the item, so
it runs on the other core while the simulator runs the product; the scoreboard then only reads a
result that is normally ready.  ``MASR_PREDICT_WORKERS=0`` computes in-process instead (same
results: the prediction is a pure function of the item).

A plain forked process and a pipe, not concurrent.futures: the executor hands work to its
workers from a helper thread, and that thread does not run while the simulator (not Python) has
control, so the work only started when the scoreboard asked for it.  ``conn.send`` here writes
the request in the driver's own call.
"""
from __future__ import annotations

import multiprocessing
import os
import traceback
from multiprocessing.connection import Connection
from typing import Any, Optional

from golden.config import HwConfig
from tb.checks import Expected, expected_for, expected_values, product_runs
from tb.seq_items import MatvecItem

ENV_WORKERS = "MASR_PREDICT_WORKERS"


def _serve(conn: Connection, hw: HwConfig) -> None:
    """Worker loop: (key, W, x, bias, layer) -> (key, Expected | error text); None stops it."""
    while True:
        req = conn.recv()
        if req is None:
            break
        key, args = req
        try:
            conn.send((key, expected_values(*args, hw)))
        except Exception:
            conn.send((key, traceback.format_exc()))
    conn.close()


class Predictor:
    def __init__(self, hw: HwConfig, workers: Optional[int] = None) -> None:
        self.hw = hw
        n = int(os.environ.get(ENV_WORKERS, "1")) if workers is None else workers
        self._conn: Optional[Connection] = None
        self._proc: Any = None
        self._waiting: list[int] = []            # keys sent, answers not yet received
        self._answers: dict[int, Any] = {}
        if n > 0:
            # fork: the child needs nothing from the simulator and leaves through os._exit.
            ctx = multiprocessing.get_context("fork")
            self._conn, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(child, hw), daemon=True)
            self._proc.start()
            child.close()

    def submit(self, item: MatvecItem) -> None:
        """Start predicting ``item`` (call before the DUT runs it)."""
        if self._conn is None or not product_runs(item):
            return
        self._conn.send((id(item), (item.W, item.x, item.bias, item.layer)))
        self._waiting.append(id(item))

    def _receive_until(self, key: int) -> None:
        while key in self._waiting:
            if not self._proc.is_alive() and not self._conn.poll():
                raise RuntimeError(f"prediction worker died (exit code {self._proc.exitcode})")
            got_key, value = self._conn.recv()
            self._waiting.remove(got_key)
            self._answers[got_key] = value

    def expected(self, item: MatvecItem) -> Expected:
        """The prediction for ``item``: the worker's answer, or computed here."""
        key = id(item)
        if key in self._waiting or key in self._answers:
            self._receive_until(key)
            value = self._answers.pop(key)
            if isinstance(value, str):
                raise RuntimeError(f"golden prediction failed in the worker:\n{value}")
            return value
        return expected_for(item, self.hw)

    def discard(self, item: MatvecItem) -> None:
        key = id(item)
        if key in self._waiting:
            self._receive_until(key)
        self._answers.pop(key, None)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.send(None)
            self._proc.join(timeout=10)
            if self._proc.is_alive():
                self._proc.kill()
            self._conn.close()
            self._conn = None
