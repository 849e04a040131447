"""Shared helpers for the leaf tests: clock, reset, seeded numpy RNG, per-cycle checking."""
from __future__ import annotations

import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, Timer

PERIOD_NS = 10


def rng() -> np.random.Generator:
    """numpy RNG seeded from cocotb's per-test seed, so (test, seed) reproduces a run."""
    seed = cocotb.RANDOM_SEED & 0xFFFFFFFF
    cocotb.log.info("numpy seeded with %d (COCOTB_RANDOM_SEED derived, per test)", seed)
    return np.random.default_rng(seed)


def env_int(name: str, default: int) -> int:
    """Size knobs (number of rows, cycles) come from the environment so pytest can scale them."""
    return int(os.environ.get(name, default))


async def start(dut, inputs: dict[str, int]) -> None:
    """Start the clock, drive the given inputs and apply an asynchronous reset for 2 cycles.

    Returns just after a falling edge, with rst_ni = 1: the caller drives the first cycle next.
    """
    Clock(dut.clk_i, PERIOD_NS, unit="ns").start()
    for name, value in inputs.items():
        getattr(dut, name).value = value
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 2)
    await FallingEdge(dut.clk_i)
    dut.rst_ni.value = 1
    await FallingEdge(dut.clk_i)


async def settle() -> None:
    """Let combinational outputs follow inputs written at the falling edge."""
    await Timer(1, unit="ns")


def val(handle) -> int:
    """Integer value of a signal; fails the test on X/Z (matters on Icarus, 4-state)."""
    try:
        return int(handle.value)
    except ValueError as exc:
        raise AssertionError(f"{handle._name} is not 0/1: {handle.value}") from exc


class Pins:
    """Cached signal handles plus write-if-changed: each GPI access costs microseconds and the
    leaf tests touch the DUT every cycle."""

    def __init__(self, dut, names: list[str]):
        self._h = {n: getattr(dut, n) for n in names}
        self._last: dict[str, int] = {}

    def __getitem__(self, name: str) -> int:
        return val(self._h[name])

    def drive(self, name: str, value: int) -> None:
        if self._last.get(name) != value:
            self._h[name].value = value
            self._last[name] = value


class Mismatch(AssertionError):
    pass


def expect(what: str, got: int, exp: int, ctx: object = "") -> None:
    """Compare one DUT value with the reference (ctx is only formatted on failure)."""
    if got != exp:
        raise Mismatch(f"{what}: got {got:#x}, expected {exp:#x} at {ctx}")
