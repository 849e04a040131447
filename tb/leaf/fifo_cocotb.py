"""cocotb tests of masr_fifo (the lane's decoupling queue) against a Python deque.

Checked every cycle: empty/full/count, the head word, push-at-t visible at t+1, simultaneous
push and pop, clr. The negative test (push while full) is skipped unless MASR_EXPECT_ASSERT=1:
tests/test_rtl_leaf.py runs it on purpose to prove that a failing RTL assertion stops the
simulation and fails the test on both simulators.
"""
from __future__ import annotations

from collections import deque

import cocotb
from cocotb.triggers import FallingEdge

from tb.leaf.common import Pins, env_int, expect, rng, settle, start


async def setup(dut):
    await start(dut, {"clr_i": 0, "push_i": 0, "wdata_i": 0, "pop_i": 0})
    pins = Pins(dut, ["clr_i", "push_i", "wdata_i", "pop_i", "rdata_o", "empty_o", "full_o",
                      "count_o"])
    return pins, rng()


def depth_of(dut) -> int:
    return env_int("MASR_FIFO_DEPTH", 8)


@cocotb.test(skip=env_int("MASR_EXPECT_ASSERT", 0) == 1)
async def random_traffic(dut):
    pins, gen = await setup(dut)
    depth = depth_of(dut)
    width = len(dut.wdata_i)
    model: deque[int] = deque()
    n_cycles = env_int("MASR_FIFO_CYCLES", 4000)
    seen_full = seen_both = seen_clr = 0
    # Phases of different push/pop pressure so the queue sweeps from empty to full and back.
    for cyc in range(n_cycles):
        phase = (cyc // 200) % 4
        p_push, p_pop = ((0.9, 0.3), (0.3, 0.9), (0.6, 0.6), (1.0, 1.0))[phase]
        ctx = f"cycle {cyc}, model {list(model)}"
        expect("count_o", pins["count_o"], len(model), ctx)
        expect("empty_o", pins["empty_o"], int(not model), ctx)
        expect("full_o", pins["full_o"], int(len(model) == depth), ctx)
        if model:
            expect("rdata_o", pins["rdata_o"], model[0], ctx)
        else:
            pins["rdata_o"]  # still must not be X (4-state simulators)
        clr = int(gen.random() < 0.01)
        push = int(len(model) < depth and gen.random() < p_push)
        pop = int(len(model) > 0 and gen.random() < p_pop)
        data = int(gen.integers(0, 1 << width))
        pins.drive("clr_i", clr)
        pins.drive("push_i", push)
        pins.drive("pop_i", pop)
        pins.drive("wdata_i", data)
        await settle()
        # The pushed word is not visible in the same cycle.
        expect("count_o (same cycle)", pins["count_o"], len(model), ctx)
        seen_full += len(model) == depth
        seen_both += push and pop
        seen_clr += clr and len(model) > 0
        if clr:
            model.clear()
        else:
            if pop:
                model.popleft()
            if push:
                model.append(data)
        await FallingEdge(dut.clk_i)
    dut._log.info("fifo: %d cycles, full %d, push+pop %d, clr non-empty %d",
                  n_cycles, seen_full, seen_both, seen_clr)
    assert seen_full and seen_both and seen_clr


@cocotb.test(skip=env_int("MASR_EXPECT_ASSERT", 0) == 1)
async def push_pop_single_entry(dut):
    """Push and pop in the same cycle with one entry: the pop takes the old head."""
    pins, _ = await setup(dut)
    pins.drive("push_i", 1)
    pins.drive("wdata_i", 0x11)
    await FallingEdge(dut.clk_i)
    pins.drive("pop_i", 1)
    pins.drive("wdata_i", 0x22)
    await settle()
    expect("rdata_o", pins["rdata_o"], 0x11)
    await FallingEdge(dut.clk_i)
    pins.drive("push_i", 0)
    pins.drive("pop_i", 0)
    await settle()
    expect("count_o", pins["count_o"], 1)
    expect("rdata_o", pins["rdata_o"], 0x22)


@cocotb.test(skip=env_int("MASR_EXPECT_ASSERT", 0) == 0)
async def push_when_full_must_fire(dut):
    """Negative test: fill the queue, then push once more. NoPushWhenFull_A must stop the run."""
    pins, _ = await setup(dut)
    pins.drive("push_i", 1)
    for i in range(depth_of(dut)):
        pins.drive("wdata_i", i)
        await FallingEdge(dut.clk_i)
    assert pins["full_o"] == 1
    await FallingEdge(dut.clk_i)  # push while full: the assertion fires at this edge
    await FallingEdge(dut.clk_i)
    pins.drive("push_i", 0)
    await FallingEdge(dut.clk_i)
    dut._log.info("still running: the assertion did not stop the simulation")
