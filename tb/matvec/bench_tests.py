"""cocotb test module for scripts/bench_sim.py: the same pre-loaded layer, REPS products, timed.

The layer comes from MASR_BENCH_LAYER (an .npz with W, x, bias, M, N, mode, rep_rows, shift),
written by the benchmark so that every way of running sees identical work.  Each test loads it
once (backdoor, not timed) and writes bench.json: DUT busy cycles, clock cycles and wall time
of the timed products.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
import pyuvm
from cocotb.utils import get_sim_time

from golden.config import LayerConfig, StealMode
from golden.encode import encode_matvec
from tb.common.bfm import MasrBfm
from tb.common.configs import current_config
from tb.matvec.items import LOAD_BACKDOOR, LOAD_NONE, MatvecItem
from tb.matvec.sequences import MasrBaseSequence
from tb.matvec.tests import MasrBaseTest

CLOCK_NS = 10


def load_bench_layer() -> tuple[np.ndarray, np.ndarray, np.ndarray, LayerConfig]:
    d = np.load(os.environ["MASR_BENCH_LAYER"])
    layer = LayerConfig(M=int(d["M"]), N=int(d["N"]), mode=StealMode(int(d["mode"])),
                        rep_rows=int(d["rep_rows"]), shift=int(d["shift"]))
    return d["W"], d["x"], d["bias"], layer


def bench_reps() -> int:
    return int(os.environ.get("MASR_BENCH_REPS", "20"))


def write_bench(busy_cycles: int, t_wall: float, ns0: float, products: int) -> None:
    clocks = int((get_sim_time("ns") - ns0) / CLOCK_NS)
    Path("bench.json").write_text(json.dumps({"busy_cycles": busy_cycles, "clock_cycles": clocks,
                                              "seconds": t_wall, "products": products}))


class BenchReplaySequence(MasrBaseSequence):
    """Item 0 loads the layer; items 1..REPS rerun it on the loaded data and are timed."""

    async def body(self) -> None:
        W, x, bias, layer = load_bench_layer()
        first = MatvecItem("bench_load")
        first.W, first.x, first.bias, first.layer, first.load = W, x, bias, layer, LOAD_BACKDOOR
        await self.start_item(first)
        await self.finish_item(first)
        t0, ns0 = time.perf_counter(), get_sim_time("ns")
        for i in range(bench_reps()):
            item = first.clone_same_data(f"bench_{i}", load=LOAD_NONE)
            await self.start_item(item)
            await self.finish_item(item)
        t_wall = time.perf_counter() - t0
        # Busy cycles as the monitor read them (and the scoreboard checked them).
        sb = pyuvm.ConfigDB().get(None, "", "BENCH_SB")
        busy = sum(int(p["counters"]["PERF_CYCLES"]) for p in sb.products[1:])
        write_bench(busy, t_wall, ns0, bench_reps())


@pyuvm.test()
class BenchPyuvmTest(MasrBaseTest):
    """The full environment: driver, monitor, scoreboard (golden + perf model), coverage."""

    sequence_override = BenchReplaySequence

    def end_of_elaboration_phase(self) -> None:
        pyuvm.ConfigDB().set(None, "", "BENCH_SB", self.env.scoreboard)


@cocotb.test()
async def bench_bare_cocotb(dut) -> None:
    """No UVM, no golden model: BFM only, the RTL running free between transactions."""
    _, hw = current_config()
    W, x, bias, layer = load_bench_layer()
    bfm = MasrBfm(dut, hw)
    await bfm.reset()
    await bfm.backdoor_load(encode_matvec(W, x, bias, hw, layer))
    await bfm.configure({"CFG_M": layer.M, "CFG_N": layer.N, "CFG_MODE": int(layer.mode),
                         "CFG_REP_ROWS": layer.rep_rows, "CFG_SHIFT": layer.shift})
    busy = 0
    t0, ns0 = time.perf_counter(), get_sim_time("ns")
    for _ in range(bench_reps()):
        ok, _ = await bfm.start_and_wait(timeout_cycles=1_000_000)
        assert ok, "done_o did not rise"
        busy += (await bfm.read_counters())["PERF_CYCLES"]
    write_bench(busy, time.perf_counter() - t0, ns0, bench_reps())
