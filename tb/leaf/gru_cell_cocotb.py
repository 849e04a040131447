"""cocotb tests of masr_gru_cell (element-wise GRU unit) against golden.gru.gru_gates_q.
Toplevel: masr_gru_cell itself or tb/leaf/gru_leaf_tb.sv (same port names).

The reference for one element is the golden function itself, called on a hidden size of 1:
gru_gates_q(gx=[gx_r, gx_z, gx_n], gh=[gh_r, gh_z, gh_n], h=[h_prev], threshold=thr) -> r, z, n,
h_t. Nothing of the numerics is re-derived here.

Driving: one element per cycle with random bubbles, inputs written at the falling edge. Checked
every cycle: valid_o exactly 3 cycles after valid_i (the documented latency), and for every
output element r_o, z_o, n_o, h_o against the golden values of the element that entered 3
cycles earlier (so order and latency are both checked).

Tests:
  random_elements  mixtures of interpolation-region, saturating and full-range values,
                   thresholds 0, small, random and 32767
  corners          directed: both saturation regions of sigmoid (r and z) and tanh, the exact
                   saturation boundaries, int16 overflow of the gate sums, r = 0 / 256 with
                   extreme gh_n, z = 0 / 256 with extreme h_prev, h all zero, threshold 0 and max

Environment knobs (set by tests/test_rtl_gru_leaf.py):
  MASR_GRU_CELL_N    number of random elements (default 6000)
"""
from __future__ import annotations

import itertools

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from golden.gru import gru_gates_q
from tb.leaf.common import Pins, env_int, expect, rng, start

LATENCY = 3
INPUTS = ["gx_r_i", "gx_z_i", "gx_n_i", "gh_r_i", "gh_z_i", "gh_n_i", "h_prev_i", "thr_i"]
OUTPUTS = ["r_o", "z_o", "n_o", "h_o"]


def golden_element(e: tuple[int, ...]) -> tuple[int, int, int, int]:
    gx_r, gx_z, gx_n, gh_r, gh_z, gh_n, h_prev, thr = e
    r, z, n, h = gru_gates_q(np.array([gx_r, gx_z, gx_n], dtype=np.int16),
                             np.array([gh_r, gh_z, gh_n], dtype=np.int16),
                             np.array([h_prev], dtype=np.int16), threshold=int(thr))
    return int(r[0]), int(z[0]), int(n[0]), int(h[0])


def s16(x: int) -> int:
    return x - 0x10000 if x & 0x8000 else x


async def setup(dut) -> Pins:
    await start(dut, {"valid_i": 0, **{n: 0 for n in INPUTS}})
    return Pins(dut, ["valid_i", *INPUTS, "valid_o", *OUTPUTS])


async def run_stream(dut, pins: Pins, elements: list[tuple[int, ...]],
                     gen: np.random.Generator, p_bubble: float) -> None:
    """Stream ``elements`` through the cell and check every output cycle against the golden."""
    expected = [golden_element(e) for e in elements]
    # schedule[t] = index of the element driven in cycle t, or None for a bubble
    schedule: list[int | None] = []
    for idx in range(len(elements)):
        while gen.random() < p_bubble:
            schedule.append(None)
        schedule.append(idx)
    schedule += [None] * (LATENCY + 2)
    seen = 0
    for cyc, idx in enumerate(schedule):
        # Outputs of this cycle: the element driven LATENCY cycles ago (registered outputs).
        src = schedule[cyc - LATENCY] if cyc >= LATENCY else None
        expect("valid_o", pins["valid_o"], int(src is not None), f"cycle {cyc}")
        if src is not None:
            ctx = f"element {src} {elements[src]}"
            for name, exp in zip(OUTPUTS, expected[src]):
                expect(name, s16(pins[name]), exp, ctx)
            seen += 1
        if idx is None:
            pins.drive("valid_i", 0)
        else:
            pins.drive("valid_i", 1)
            for name, value in zip(INPUTS, elements[idx]):
                pins.drive(name, int(value) & 0xFFFF)
        await FallingEdge(dut.clk_i)
    assert seen == len(elements), f"{seen} outputs for {len(elements)} elements"


def random_elements(gen: np.random.Generator, n: int) -> list[tuple[int, ...]]:
    def values(size: int) -> np.ndarray:
        kind = gen.integers(0, 4, size)
        small = gen.integers(-2600, 2601, size)        # sigmoid / tanh interpolation regions
        tiny = gen.integers(-300, 301, size)           # around 0, fine steps
        full = gen.integers(-32768, 32768, size)       # saturation and int16 overflow
        edge = gen.choice([-32768, -32767, -2049, -2048, -2047, -1025, -1024, -1023, -1, 0, 1,
                           1023, 1024, 1025, 2047, 2048, 2049, 32766, 32767], size)
        return np.select([kind == 0, kind == 1, kind == 2], [small, tiny, full], edge)

    gates = np.stack([values(n) for _ in range(6)], axis=1)
    h_kind = gen.integers(0, 4, n)
    h_prev = np.select([h_kind == 0, h_kind == 1, h_kind == 2],
                       [gen.integers(-256, 257, n), np.zeros(n, dtype=np.int64),
                        gen.integers(-32768, 32768, n)], gen.integers(-600, 601, n))
    t_kind = gen.integers(0, 5, n)
    thr = np.select([t_kind == 0, t_kind == 1, t_kind == 2, t_kind == 3],
                    [np.zeros(n, dtype=np.int64), gen.integers(1, 300, n),
                     gen.integers(0, 32768, n), np.full(n, 32767)], np.full(n, 26))
    return [tuple(int(v) for v in row) for row in np.column_stack([gates, h_prev, thr])]


def corner_elements() -> list[tuple[int, ...]]:
    sig_edges = [-32768, -4096, -2049, -2048, -2047, -64, 0, 63, 2047, 2048, 2049, 32767]
    tanh_edges = [-32768, -1025, -1024, -1023, -32, 0, 31, 1023, 1024, 1025, 32767]
    out = []
    # r and z through both sigmoid saturation regions and the boundaries (gh = 0, and the
    # gate sum split over gx and gh so that it overflows int16 at the extremes).
    for pr, pz in itertools.product(sig_edges, repeat=2):
        out.append((pr, pz, 100, 0, 0, -50, 128, 0))
        out.append((pr // 2, pz // 2, -700, pr - pr // 2, pz - pz // 2, 300, -200, 26))
    # gate sums that overflow int16 (sat16 before the sigmoid)
    for a, b in itertools.product([-32768, -20000, 20000, 32767], repeat=2):
        out.append((a, b, a, b, a, b, 77, 0))
    # n through both tanh saturation regions, with r = 0, 0.5, 1 (pre_r = -32768, 0, 32767)
    for pre_n, pr, ghn in itertools.product(tanh_edges, [-32768, 0, 32767], [-32768, 0, 32767]):
        out.append((pr, 0, pre_n, 0, 0, ghn, 0, 0))
    # z = 0 / 0.5 / 1 against extreme and zero states, thresholds 0 and max
    for pz, hp, thr in itertools.product([-32768, 0, 32767], [-32768, -256, 0, 256, 32767],
                                         [0, 1, 256, 32767]):
        for pre_n in (-32768, 0, 32767):
            out.append((0, pz, pre_n, 0, 0, 0, hp, thr))
    # h all zero with everything zero (h_t = n = 0) and threshold edge |h| == thr
    out.append((0, 0, 0, 0, 0, 0, 0, 0))
    out.append((0, 0, 0, 0, 0, 0, 0, 32767))
    for hp in (-300, -1, 1, 300):
        for thr in (0, 1, abs(hp), abs(hp) + 1):
            out.append((0, 32767, 0, 0, 0, 0, hp, thr))   # z = 1: h_t = h_prev before threshold
    return out


@cocotb.test()
async def random_elements_test(dut):
    gen = rng()
    pins = await setup(dut)
    elements = random_elements(gen, env_int("MASR_GRU_CELL_N", 6000))
    await run_stream(dut, pins, elements, gen, p_bubble=0.15)


@cocotb.test()
async def corners(dut):
    gen = rng()
    pins = await setup(dut)
    elements = corner_elements()
    # Back to back (no bubbles): the pipeline at full throughput.
    await run_stream(dut, pins, elements, gen, p_bubble=0.0)
    # Make sure the corner list really reaches the regions it claims (guards the test itself).
    pre_r = [e[0] + e[3] for e in elements]
    pre_n_sat = [golden_element(e)[2] for e in elements]
    assert min(pre_r) <= -2048 and max(pre_r) >= 2048
    assert -256 in pre_n_sat and 256 in pre_n_sat
    assert any(golden_element(e)[3] == -32768 for e in elements)
    assert any(golden_element(e)[3] == 32767 for e in elements)
