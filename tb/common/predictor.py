"""Golden predictions computed in a worker process while the DUT simulates.

The scoreboards need, per product or per GRU layer, the golden values and the cycle-exact
performance model (about 5 ms per 8x8 product).  The driver submits the prediction when it
receives the item, so it runs on the other core while the simulator runs; the scoreboard then
reads an answer that is normally ready.  ``MASR_PREDICT_WORKERS=0`` computes in-process (the
same results: predictions are pure functions of the item).

A plain forked process and a pipe, not concurrent.futures: the executor hands work to its
workers from a helper thread, and that thread does not run while the simulator (not Python) has
control, so the work only started when the scoreboard asked for it (measured: a 7 ms wait per
8x8 product).  ``conn.send`` here writes the request in the driver's own call.
"""
from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, Optional


ENV_WORKERS = "MASR_PREDICT_WORKERS"


def _serve(conn: Connection, fn: Callable[..., Any]) -> None:
    """Worker loop: (key, args) -> (key, fn(*args) | error text); None stops it."""
    while True:
        req = conn.recv()
        if req is None:
            break
        key, args = req
        try:
            conn.send((key, fn(*args)))
        except Exception:
            conn.send((key, _Failure(traceback.format_exc())))
    conn.close()


class _Failure(str):
    """A prediction that raised in the worker (its traceback)."""


class PredictionWorker:
    """Evaluates the pure function ``fn`` in one forked process; answers are fetched by key."""

    def __init__(self, fn: Callable[..., Any], workers: Optional[int] = None) -> None:
        n = int(os.environ.get(ENV_WORKERS, "1")) if workers is None else workers
        self._conn: Optional[Connection] = None
        self._proc: Any = None
        self._waiting: list[int] = []            # keys sent, answers not yet received
        self._answers: dict[int, Any] = {}
        if n > 0:
            # fork: the child needs nothing from the simulator and leaves through os._exit.
            ctx = multiprocessing.get_context("fork")
            self._conn, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(child, fn), daemon=True)
            self._proc.start()
            child.close()

    @property
    def enabled(self) -> bool:
        return self._conn is not None

    def submit(self, key: int, *args: Any) -> None:
        if self._conn is None or self.has(key):
            return
        self._conn.send((key, args))
        self._waiting.append(key)

    def has(self, key: int) -> bool:
        return key in self._waiting or key in self._answers

    def _receive_until(self, key: int) -> None:
        while key in self._waiting:
            if not self._proc.is_alive() and not self._conn.poll():
                raise RuntimeError(f"prediction worker died (exit code {self._proc.exitcode})")
            got_key, value = self._conn.recv()
            self._waiting.remove(got_key)
            self._answers[got_key] = value

    def result(self, key: int) -> Any:
        self._receive_until(key)
        value = self._answers.pop(key)
        if isinstance(value, _Failure):
            raise RuntimeError(f"golden prediction failed in the worker:\n{value}")
        return value

    def discard(self, key: int) -> None:
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
