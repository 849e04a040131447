"""Direct cocotb tests of masr_top (docs/architecture.md sections 3, 5, 6, 7).

Plain cocotb, self-contained (its own small port driver), run by tests/test_engine_direct.py for
the 4x2 and 8x8 builds. The configuration comes from $MASR_CONFIG, the backdoor directory from
the plusarg +masr_bd_dir, numpy is seeded from cocotb.RANDOM_SEED.

Checks per product: y bit-exact against golden.matvec.matvec_q, the PERF_* registers and every
lane's statistics (mem_sel 7, including FLAGS) exactly against golden.perf.simulate_matvec, or,
for CFG_FEAT != 0, against the v2 engine (golden.perf_v2.simulate_product, with the split plan
registers the image holds).

Timing discipline: inputs are driven just after a falling edge and sampled by the RTL at the next
rising edge; registered outputs are read at the following falling edge. While a product runs the
testbench sleeps on done_o (raced against one watchdog Timer), never on every clock.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, First, RisingEdge, Timer

from golden.config import (FEAT_DEFINED, FEAT_NULL_SKIP, FEAT_OVERLAP, FEAT_PREFETCH,
                           FEAT_ROW_SKIP, FEAT_RUN_AHEAD, FEAT_SCAN, FEAT_SPLIT, HwConfig,
                           LayerConfig, StealMode, ceil_div, feat_with_needs, slots_needed)
from golden.encode import MEM_PLAN, MatvecImage, encode_matvec, random_sparse_layer, split_plan
from golden.errors import SpecError
from golden.matvec import matvec_q
from golden.perf import LANE_STAT_NAMES, PerfFlag, duplication_fraction, simulate_matvec
from golden.perf_v2 import (dup_fraction_of_plan, plan_from_registers, simulate_product,
                            simulate_product_run)
from tb.common.configs import CONFIGS

CLK_NS = 10

# Register map (section 6).
CTRL, STATUS, ERR_CODE = 0x00, 0x01, 0x02
CFG_M, CFG_N, CFG_MODE, CFG_REP_ROWS, CFG_SHIFT = 0x03, 0x04, 0x05, 0x06, 0x07
PERF = {"PERF_CYCLES": 0x08, "PERF_MAC_BUSY": 0x09, "PERF_STEAL_GRANTED": 0x0A,
        "PERF_STEAL_REFUSED": 0x0B, "PERF_STALL": 0x0C, "PERF_IDLE": 0x0D,
        "PERF_ROWS_DONE": 0x0E}
CAPS, CAPS2, CAPS3 = 0x0F, 0x10, 0x11
CFG_FEAT, CAPS5 = 0x12, 0x2A
START, CLEAR = 1, 2

MEM_MASK, MEM_ROWPTR, MEM_WEIGHT, MEM_AMASK, MEM_AVAL, MEM_BIAS, MEM_Y, MEM_STATS = range(8)

(ERR_OK, ERR_DIM, ERR_MODE, ERR_SLOTS, ERR_BUSY_START, ERR_BUSY_MEM, ERR_MEM_RANGE, ERR_WPTR,
 ERR_REG) = range(9)


def _hw() -> tuple[str, HwConfig]:
    name = os.environ.get("MASR_CONFIG", "4x2")
    return name, CONFIGS[name]


def _rng(salt: int) -> np.random.Generator:
    return np.random.default_rng([int(cocotb.RANDOM_SEED) & 0xFFFFFFFF, salt])


def _s16(v: int) -> int:
    v &= 0xFFFF
    return v - 0x10000 if v & 0x8000 else v


# ------------------------------------------------------------------------------------------------
# Port driver
# ------------------------------------------------------------------------------------------------
class Dut:
    """masr_top's ports: register bus, memory port, backdoor pulse, done/irq."""

    def __init__(self, dut: Any, hw: HwConfig) -> None:
        self.dut, self.hw = dut, hw
        self.bd_dir = Path(cocotb.plusargs["masr_bd_dir"])
        self.irq_count = 0

    async def reset(self) -> None:
        d = self.dut
        Clock(d.clk_i, CLK_NS, unit="ns").start()
        for sig in ("reg_addr_i", "reg_wdata_i", "reg_we_i", "mem_sel_i", "mem_unit_i",
                    "mem_addr_i", "mem_wdata_i", "mem_we_i", "mem_re_i", "bd_load_i",
                    "bd_dump_i", "bd_dump_gru_i"):
            getattr(d, sig).value = 0
        d.rst_ni.value = 0
        for _ in range(3):
            await FallingEdge(d.clk_i)
        d.rst_ni.value = 1
        await FallingEdge(d.clk_i)
        cocotb.start_soon(self._count_irq())

    async def _count_irq(self) -> None:
        while True:
            await RisingEdge(self.dut.irq_o)
            self.irq_count += 1

    # All methods start and end right after a falling edge.
    async def write_reg(self, addr: int, data: int) -> None:
        d = self.dut
        d.reg_addr_i.value = addr
        d.reg_wdata_i.value = data & 0xFFFFFFFF
        d.reg_we_i.value = 1
        await FallingEdge(d.clk_i)
        d.reg_we_i.value = 0

    async def read_reg(self, addr: int) -> int:
        self.dut.reg_addr_i.value = addr
        await Timer(1, unit="ns")                 # combinational read: settle, sample
        value = int(self.dut.reg_rdata_o.value)
        await FallingEdge(self.dut.clk_i)         # back on the grid (ends after a falling edge)
        return value

    async def mem_write(self, writes) -> int:
        d, n = self.dut, 0
        for sel, unit, addr, data in writes:
            d.mem_sel_i.value = sel
            d.mem_unit_i.value = unit & 0xFFFF
            d.mem_addr_i.value = addr & 0xFFFF
            d.mem_wdata_i.value = data & 0xFFFFFFFF
            d.mem_we_i.value = 1
            await FallingEdge(d.clk_i)
            n += 1
        d.mem_we_i.value = 0
        return n

    async def mem_read(self, reads) -> list[int]:
        d, out = self.dut, []
        for sel, unit, addr in reads:
            d.mem_sel_i.value = sel
            d.mem_unit_i.value = unit & 0xFFFF
            d.mem_addr_i.value = addr & 0xFFFF
            d.mem_re_i.value = 1
            await FallingEdge(d.clk_i)          # rdata registered at the rising edge before
            out.append(int(d.mem_rdata_o.value))
        d.mem_re_i.value = 0
        return out

    async def backdoor(self, image: MatvecImage) -> None:
        image.write_hex(self.bd_dir)
        self.dut.bd_load_i.value = 1
        await FallingEdge(self.dut.clk_i)
        self.dut.bd_load_i.value = 0
        await FallingEdge(self.dut.clk_i)

    async def configure(self, layer: LayerConfig) -> None:
        for addr, val in ((CFG_M, layer.M), (CFG_N, layer.N), (CFG_MODE, int(layer.mode)),
                          (CFG_REP_ROWS, layer.rep_rows), (CFG_SHIFT, layer.shift),
                          (CFG_FEAT, layer.feat)):
            await self.write_reg(addr, val)

    async def wait_done(self, max_cycles: int) -> int:
        """Sleep until done_o rises (or the watchdog); returns cycles waited."""
        d = self.dut
        t0 = cocotb.utils.get_sim_time("ns")
        if int(d.done_o.value) != 1:
            await First(RisingEdge(d.done_o), Timer(max_cycles * CLK_NS, unit="ns"))
        assert int(d.done_o.value) == 1, f"done_o not seen within {max_cycles} cycles"
        await FallingEdge(d.clk_i)
        return int((cocotb.utils.get_sim_time("ns") - t0) // CLK_NS)

    async def status(self) -> tuple[int, int, int, int]:
        st = await self.read_reg(STATUS)
        return st & 1, (st >> 1) & 1, (st >> 2) & 1, await self.read_reg(ERR_CODE)

    async def lane_stats(self) -> dict[tuple[int, int], dict[str, int]]:
        hw = self.hw
        reads = [(MEM_STATS, hw.lane_index(h, v), a)
                 for h, v in hw.lanes() for a in range(len(LANE_STAT_NAMES))]
        words = iter(await self.mem_read(reads))
        return {(h, v): {n: next(words) for n in LANE_STAT_NAMES} for h, v in hw.lanes()}


# ------------------------------------------------------------------------------------------------
# Products
# ------------------------------------------------------------------------------------------------
@dataclass
class Case:
    layer: LayerConfig
    W: np.ndarray
    x: np.ndarray
    bias: np.ndarray
    image: MatvecImage

    @property
    def y(self) -> np.ndarray:
        return matvec_q(self.W, self.x, self.bias, self.layer.shift)


def make_case(rng: np.random.Generator, hw: HwConfig, M: int, N: int, mode: StealMode,
              rep_rows: int, w_density: float, a_density: float, skew: float = 0.0,
              shift: int | None = None) -> Case:
    layer = LayerConfig(M=M, N=N, mode=mode, rep_rows=rep_rows,
                        shift=int(rng.integers(0, 16)) if shift is None else shift)
    W, x, bias = random_sparse_layer(rng, M, N, w_density, a_density, skew=skew,
                                     heavy_factor=3.0)
    return Case(layer, W, x, bias, encode_matvec(W, x, bias, hw, layer))


def hot_case(rng: np.random.Generator, hw: HwConfig, mode: StealMode,
             rep: int | None = None) -> Case:
    """Dense work on lane-row 1 (horizontal) or on partition V//2 (vertical), sparse elsewhere."""
    M, N = hw.M_MAX, hw.N_MAX
    R = ceil_div(M, hw.H)
    if rep is None:
        rep = R // 2 if mode == StealMode.HORIZONTAL else R // 3
    P = ceil_div(N, hw.V)
    dens = np.zeros((M, N))          # light lanes: empty rows, identical timing -> races
    if mode == StealMode.HORIZONTAL:
        dens[np.arange(M) % hw.H == 1, :] = 0.9
    else:
        hot = hw.V // 2
        dens[:, hot * P:(hot + 1) * P] = 0.9
    mask = rng.random((M, N)) < dens
    W = np.where(mask, rng.choice([-1, 1], (M, N)) * rng.integers(1, 128, (M, N)), 0)
    x = np.where(rng.random(N) < 0.9, rng.integers(-1000, 1000, N), 0)
    bias = rng.integers(-500, 500, M)
    for _ in range(R):
        try:
            layer = LayerConfig(M=M, N=N, mode=mode, rep_rows=rep, shift=7)
            W8, x16, b16 = W.astype(np.int8), x.astype(np.int16), bias.astype(np.int16)
            return Case(layer, W8, x16, b16, encode_matvec(W8, x16, b16, hw, layer))
        except SpecError:
            rep -= 1
    raise RuntimeError("hot case does not fit")


def random_case(rng: np.random.Generator, hw: HwConfig, mode: StealMode) -> Case:
    """A random layer that fits (dimensions not multiples of H, V or B most of the time)."""
    for _ in range(100):
        M = int(rng.integers(1, hw.M_MAX + 1))
        N = int(rng.integers(1, hw.N_MAX + 1))
        R = ceil_div(M, hw.H)
        rep = 0 if mode == StealMode.NONE else int(rng.integers(0, R + 1))
        try:
            return make_case(rng, hw, M, N, mode, rep,
                             w_density=float(rng.choice([0.05, 0.1, 0.3, 0.7, 1.0])),
                             a_density=float(rng.choice([0.0, 0.3, 0.5, 0.8, 1.0])),
                             skew=float(rng.choice([0.0, 0.1, 0.3])))
        except SpecError:
            continue
    raise RuntimeError("no random layer fitted the configuration in 100 tries")


async def run_case(io: Dut, case: Case, *, backdoor: bool = True, check_stats: bool = True,
                   tag: str = "") -> int:
    """Load, start, wait, then check y, PERF_* and the lane statistics exactly."""
    hw, layer = io.hw, case.layer
    if backdoor:
        await io.backdoor(case.image)
    await io.configure(layer)
    perf = simulate_product(case.W != 0, case.x != 0, hw, layer, plan=case.image.plan)
    irqs = io.irq_count
    await io.write_reg(CTRL, START)
    await io.wait_done(4 * perf.cycles + 100)
    busy, done, err, code = await io.status()
    assert (busy, done, err, code) == (0, 1, 0, 0), f"{tag}: status {busy, done, err, code}"
    assert io.irq_count == irqs + 1, f"{tag}: irq pulses {io.irq_count - irqs}"

    y = np.array([_s16(w) for w in await io.mem_read([(MEM_Y, 0, r) for r in range(layer.M)])])
    exp = case.y
    bad = np.flatnonzero(y != exp)
    assert bad.size == 0, (f"{tag}: y mismatch at rows {bad[:8].tolist()}: "
                           f"got {y[bad[:8]].tolist()} expected {exp[bad[:8]].tolist()}")

    got = {name: await io.read_reg(addr) for name, addr in PERF.items()}
    want = perf.counters()
    assert got == want, f"{tag}: counters differ: " + ", ".join(
        f"{k} rtl={got[k]} model={want[k]}" for k in want if got[k] != want[k])
    if check_stats:
        stats = await io.lane_stats()
        diffs = [f"lane {hv} {k}: rtl={stats[hv][k]} model={perf.lanes.words(*hv)[k]}"
                 for hv in hw.lanes() for k in LANE_STAT_NAMES
                 if stats[hv][k] != perf.lanes.words(*hv)[k]]
        assert not diffs, f"{tag}: lane stats differ: " + "; ".join(diffs[:10])
    flags_or = int(np.bitwise_or.reduce(perf.flags, axis=None))
    io.dut._log.info(f"{tag}: M={layer.M} N={layer.N} mode={layer.mode.name} "
                     f"rep={layer.rep_rows} S={layer.shift} feat={layer.feat:#x} "
                     f"cycles={perf.cycles} "
                     f"mac={perf.mac_busy} steals={perf.steals_granted}/"
                     f"{perf.steals_refused} flags_or={flags_or:#x}")
    return flags_or


async def setup(dut: Any) -> Dut:
    _, hw = _hw()
    io = Dut(dut, hw)
    await io.reset()
    return io


# ------------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------------
@cocotb.test()
async def test_caps_and_reset(dut):
    """CAPS registers and reset values."""
    io = await setup(dut)
    hw = io.hw
    assert await io.read_reg(CAPS) == (hw.B << 24) | (hw.V << 16) | (hw.H << 8) | 0x4D
    assert await io.read_reg(CAPS2) == (hw.M_MAX << 16) | hw.N_MAX
    assert await io.read_reg(CAPS3) == (hw.WDEPTH << 16) | hw.SLOTS
    assert await io.status() == (0, 0, 0, 0)
    assert await io.read_reg(CFG_SHIFT) == 6
    assert await io.read_reg(CAPS5) == hw.feat_available, "CAPS5: implemented CFG_FEAT bits"
    assert await io.read_reg(CFG_FEAT) == 0
    await io.write_reg(CFG_FEAT, 0xFFFFFFF0)          # stored and read back as written
    assert await io.read_reg(CFG_FEAT) == 0xFFFFFFF0
    await io.write_reg(CFG_FEAT, 0)
    assert await io.status() == (0, 0, 0, 0)


@cocotb.test()
async def test_random_backdoor(dut):
    """Random sparse layers in all three steal modes, plus directed corners, via the backdoor."""
    io = await setup(dut)
    hw = io.hw
    n_random = 4 if hw.n_lanes <= 8 else 3
    for mode in StealMode:
        rng = _rng(10 + int(mode))
        for k in range(n_random):
            await run_case(io, random_case(rng, hw, mode), tag=f"{mode.name}#{k}")
        # Skewed full-size layer with ~25 % replicas: plenty of steals, refusals, races.
        R = hw.R_MAX
        rep = 0 if mode == StealMode.NONE else max(1, R // 4)
        for attempt in range(20):
            try:
                case = make_case(rng, hw, hw.M_MAX - int(rng.integers(0, 3)), hw.N_MAX - 1,
                                 mode, rep, w_density=0.15, a_density=0.6, skew=0.2)
                break
            except SpecError:
                rep = max(1, rep - 1)
        await run_case(io, case, tag=f"{mode.name}/skewed")

    # Directed corners (vertical stealing unless noted).
    rng = _rng(99)
    corners = [
        ("M<H, N<B", dict(M=max(1, hw.H - 1), N=5, mode=StealMode.VERTICAL, rep_rows=1,
                          w_density=1.0, a_density=1.0)),
        ("all-zero x", dict(M=hw.M_MAX, N=hw.N_MAX, mode=StealMode.VERTICAL, rep_rows=2,
                            w_density=0.3, a_density=0.0)),
        ("dense", dict(M=hw.M_MAX // 2, N=hw.N_MAX, mode=StealMode.HORIZONTAL, rep_rows=3,
                       w_density=1.0, a_density=1.0)),
        ("single nnz", dict(M=hw.M_MAX, N=hw.N_MAX, mode=StealMode.VERTICAL, rep_rows=4,
                            w_density=1.0 / hw.N_MAX, a_density=1.0)),
        ("empty partitions", dict(M=hw.H * 3 + 1, N=hw.V + 1, mode=StealMode.VERTICAL,
                                  rep_rows=2, w_density=1.0, a_density=1.0)),
        ("rep_rows huge", dict(M=hw.H * 2, N=hw.N_MAX // 3, mode=StealMode.HORIZONTAL,
                               rep_rows=0xFFFFFFF, w_density=0.5, a_density=0.5)),
    ]
    for tag, kw in corners:
        case = make_case(rng, hw, kw.pop("M"), kw.pop("N"), kw.pop("mode"), kw.pop("rep_rows"),
                         **kw)
        await run_case(io, case, tag=tag)

    # Hot lanes: one lane-row (horizontal) or one partition (vertical) carries most of the work,
    # so both neighbours steal from the same victim: dual thieves, contention and exhaustion.
    flags = 0
    for mode in (StealMode.HORIZONTAL, StealMode.VERTICAL):
        case = hot_case(rng, hw, mode)
        flags |= await run_case(io, case, tag=f"hot {mode.name}")
    # One replica row: two synchronized thieves, one takes it, the other is refused while the
    # victim still has (non-replicated) own rows -> REFUSED_EXHAUSTED.
    flags |= await run_case(io, hot_case(rng, hw, StealMode.HORIZONTAL, rep=1),
                            tag="hot HORIZONTAL rep=1")
    dut._log.info(f"hot-lane FLAGS seen: {flags:#x}")


def split_case(rng: np.random.Generator, hw: HwConfig, mode: StealMode, placement: str,
               base: Case | None = None) -> Case:
    """The same kind of layer with CFG_FEAT.SPLIT: the uniform plan of rep_rows, or the load plan
    (10 % of W's non-zeros water-filled onto the heaviest lanes, range sizes differ per lane)."""
    for _ in range(100):
        c = base if base is not None else random_case(rng, hw, mode)
        layer = LayerConfig(M=c.layer.M, N=c.layer.N, mode=mode, rep_rows=c.layer.rep_rows,
                            shift=c.layer.shift, feat=FEAT_SPLIT)
        # A load plan that piles more imports on a thief than SLOTS holds is a SpecError
        # (ERR_SLOTS); a hot layer then gets a smaller budget.
        for budget in ((0.1, 0.05, 0.02) if placement == "load" else (None,)):
            try:
                plan = (split_plan(c.W, hw, layer, "load", budget) if placement == "load"
                        else split_plan(c.W, hw, layer))
                return Case(layer, c.W, c.x, c.bias,
                            encode_matvec(c.W, c.x, c.bias, hw, layer, plan))
            except SpecError:
                continue
        if base is not None:
            raise RuntimeError("the split plan of the given layer does not fit")
    raise RuntimeError("no split layer fitted the configuration in 100 tries")


@cocotb.test()
async def test_split(dut):
    """CFG_FEAT.SPLIT: split replica ranges (uniform and load plans), both steal directions,
    against the v2 engine; plan registers through the frontdoor; the split error codes."""
    io = await setup(dut)
    hw = io.hw
    rng = _rng(400)
    flags = 0
    split_ranges = 0
    for mode in (StealMode.VERTICAL, StealMode.HORIZONTAL, StealMode.NONE):
        for placement in ("uniform", "load"):
            for k in range(2):
                case = split_case(rng, hw, mode, placement)
                flags |= await run_case(io, case, tag=f"split {mode.name} {placement}#{k}")
        if mode == StealMode.NONE:
            continue
        for placement in ("uniform", "load"):
            # (A load plan on the hot layer overflows SLOTS: its light lanes' rows have no
            # weights, so the budget exports all of them for free; the load plan gets a skewed
            # full-size layer instead.)
            base = hot_case(rng, hw, mode) if placement == "uniform" else make_case(
                rng, hw, hw.M_MAX, hw.N_MAX - 1, mode, 2, w_density=0.15, a_density=0.6,
                skew=0.3, shift=7)
            case = split_case(rng, hw, mode, placement, base=base)
            plan = case.image.plan
            split_ranges += int(np.count_nonzero(np.diff(plan[:, 1] - plan[:, 0]) != 0))
            flags |= await run_case(io, case, tag=f"split hot {mode.name} {placement}")
    dut._log.info(f"split FLAGS seen: {flags:#x}")
    assert not flags & int(PerfFlag.REFUSED_CONTENTION), "split ranges have one thief each"
    assert flags & int(PerfFlag.DUAL_THIEF) and flags & int(PerfFlag.STOLE_PREV) \
        and flags & int(PerfFlag.STOLE_NEXT), f"split steals not exercised: {flags:#x}"
    assert split_ranges > 0, "no load plan with range sizes that differ between lanes"

    # Frontdoor: a load-plan image written through the memory port (plan registers included)
    # over a stale v1 image; read back the plan registers; run.
    stale = make_case(rng, hw, hw.M_MAX, hw.N_MAX, StealMode.VERTICAL, 2, 0.5, 0.7)
    await io.backdoor(stale.image)
    case = split_case(rng, hw, StealMode.VERTICAL, "load", base=make_case(
        rng, hw, hw.M_MAX // 2 + 3, hw.N_MAX // 2 + 5, StealMode.VERTICAL, 2, 0.3, 0.6,
        skew=0.3))
    words = list(case.image.images_for_frontdoor())
    await io.mem_write(words)
    plan_words = [w for w in words if w[0] == MEM_PLAN]
    assert len(plan_words) == 2 * hw.n_lanes
    got = await io.mem_read([(s, u, a) for s, u, a, _ in plan_words])
    assert got == [w[3] for w in plan_words], "plan registers read back differently"
    assert (await io.status())[3] == ERR_OK
    await run_case(io, case, backdoor=False, tag="split frontdoor")

    # Errors: a plan value above R_MAX, a plan address >= 2, a plan unit >= H*V (ERR_MEM_RANGE,
    # ignored); a plan with base_0 > base_1 or base_1 > R at start (ERR_SLOTS), also at a GRU
    # start with SPLIT (its products run the plan registers too).
    for tag, acc in [("plan value", (MEM_PLAN, 0, 1, hw.R_MAX + 1)),
                     ("plan addr", (MEM_PLAN, 0, 2, 0)),
                     ("plan unit", (MEM_PLAN, hw.n_lanes, 0, 0))]:
        await io.mem_write([acc])
        await _expect_error(io, ERR_MEM_RANGE, tag)
        await io.write_reg(CTRL, CLEAR)
    assert await io.mem_read([(MEM_PLAN, 0, 1)]) == [int(case.image.plan[0][1])]
    lane = hw.lane_index(hw.H - 1, hw.V - 1)
    b0, b1 = (int(x) for x in case.image.plan[lane])
    R = ceil_div(case.layer.M - (hw.H - 1), hw.H)
    for tag, (n0, n1) in [("base_0 > base_1", (b1 + 1, b1)), ("base_1 > R", (b0, R + 1))]:
        if n0 > hw.R_MAX or n1 > hw.R_MAX:
            continue
        await io.mem_write([(MEM_PLAN, lane, 0, n0), (MEM_PLAN, lane, 1, n1)])
        await io.configure(case.layer)
        irqs = io.irq_count
        await io.write_reg(CTRL, START)
        await FallingEdge(io.dut.clk_i)
        await _expect_error(io, ERR_SLOTS, tag, done=1)
        assert io.irq_count == irqs + 1
        await io.write_reg(CTRL, CLEAR)
        await io.mem_write([(MEM_PLAN, lane, 0, b0), (MEM_PLAN, lane, 1, b1)])
    # A GRU phase of Hd = 1 (M = 3): lane (H-1, V-1) has no row there, so base_1 = 1 > R = 0.
    if hw.H >= 4:
        await io.mem_write([(MEM_PLAN, lane, 0, 0), (MEM_PLAN, lane, 1, 1)])
        for addr, val in ((0x20, 1), (0x21, 1), (0x22, 1), (0x23, 0), (0x24, 0)):
            await io.write_reg(addr, val)                 # a legal GRU I, Hd, T, THR, DIR
        await io.write_reg(CTRL, 4)                       # CTRL.GRU_X with CFG_FEAT.SPLIT
        await FallingEdge(io.dut.clk_i)
        await _expect_error(io, ERR_SLOTS, "SPLIT plan checked at a GRU start", done=1)
        await io.write_reg(CTRL, CLEAR)
        await io.mem_write([(MEM_PLAN, lane, 0, b0), (MEM_PLAN, lane, 1, b1)])
    await run_case(io, case, backdoor=False, tag="split after errors")


@cocotb.test()
async def test_split_utilization(dut):
    """Measured on the RTL: MAC utilization of paper-like layers (10 % weights, 50 %
    activations, clipped to the array) with the v1 shared replicas (rep_rows = 10 % of a lane's
    rows) against split ranges with the load plan (10 % duplication budget), vertical and
    horizontal. Every product is also checked cycle-exact against its model (run_case)."""
    io = await setup(dut)
    hw = io.hw
    rng = _rng(500)
    M, N = hw.M_MAX, hw.N_MAX
    rep = max(1, round(0.1 * ceil_div(M, hw.H)))
    lines = []
    for k in range(2):
        W, x, bias = random_sparse_layer(rng, M, N, 0.1, 0.5, skew=0.1)
        for mode in (StealMode.NONE, StealMode.VERTICAL, StealMode.HORIZONTAL):
            shared = LayerConfig(M=M, N=N, mode=mode, rep_rows=0 if mode == StealMode.NONE
                                 else rep, shift=7)
            cases = [("shared", Case(shared, W, x, bias, encode_matvec(W, x, bias, hw, shared)))]
            if mode != StealMode.NONE:
                cases.append(("split-load", split_case(rng, hw, mode, "load",
                                                       base=cases[0][1])))
            for name, case in cases:
                await run_case(io, case, tag=f"util {name} {mode.name}#{k}")
                cyc = await io.read_reg(PERF["PERF_CYCLES"])
                mac = await io.read_reg(PERF["PERF_MAC_BUSY"])
                if case.image.plan is None:
                    dup = duplication_fraction(W != 0, hw, case.layer)
                else:
                    dup = dup_fraction_of_plan(W != 0, hw, case.layer, plan_from_registers(
                        case.image.plan, hw, case.layer))
                lines.append(f"{hw.name} layer {k} {mode.name:10s} {name:10s} cycles {cyc:5d} "
                             f"mac {mac:6d} utilization {mac / (cyc * hw.n_lanes):.3f} "
                             f"dup {dup:.3f}")
    for line in lines:
        dut._log.info(line)


def with_feat(case: Case, feat: int) -> Case:
    """The same product with another CFG_FEAT (the memory image does not depend on it)."""
    L = case.layer
    return Case(LayerConfig(L.M, L.N, L.mode, L.rep_rows, L.shift, feat), case.W, case.x,
                case.bias, case.image)


def null_word_case(rng: np.random.Generator, hw: HwConfig, mode: StealMode) -> Case:
    """Rows whose mask words are null at the row boundaries: per row, at random, the first or
    the last word (or every word) has no effective op, or the row has no effective op at all
    while its weights are non-zero (x is zero there): what N1 skips."""
    M, N = hw.M_MAX, hw.N_MAX
    P, B = ceil_div(N, hw.V), hw.B
    W = np.zeros((M, N), dtype=np.int64)
    x = np.where(rng.random(N) < 0.7, rng.integers(-900, 900, N), 0)
    for r in range(M):
        kind = int(rng.integers(0, 4))   # 0 first word null, 1 last null, 2 all null, 3 dense
        for v in range(hw.V):
            lo, hi = v * P, min(N, (v + 1) * P)
            cols = np.arange(lo, hi)
            if cols.size == 0:
                continue
            word = (cols - lo) // B
            keep = {0: word > 0, 1: word < word.max(), 2: np.zeros(cols.size, bool),
                    3: np.ones(cols.size, bool)}[kind] if word.max() > 0 else \
                np.full(cols.size, kind == 3)
            dens = rng.random(cols.size) < 0.6
            W[r, cols] = np.where(keep & dens, rng.integers(1, 127, cols.size), 0)
            if kind == 2:
                # claimed but all null: weights only where x is zero
                W[r, cols] = np.where((x[cols] == 0) & dens, rng.integers(1, 127, cols.size), 0)
    W8, x16 = W.astype(np.int8), x.astype(np.int16)
    b16 = rng.integers(-300, 300, M).astype(np.int16)
    R = ceil_div(M, hw.H)
    rep = 0 if mode == StealMode.NONE else max(1, R // 4)
    for _ in range(R + 1):
        try:
            layer = LayerConfig(M=M, N=N, mode=mode, rep_rows=rep, shift=7, feat=FEAT_NULL_SKIP)
            return Case(layer, W8, x16, b16, encode_matvec(W8, x16, b16, hw, layer))
        except SpecError:
            rep -= 1
    raise RuntimeError("null-word case does not fit")


@cocotb.test()
async def test_null_skip(dut):
    """CFG_FEAT.NULL_SKIP (rule N1) and NULL_SKIP | ROW_SKIP (N2) in all three steal modes:
    random layers, hot lanes and null-word corners (incl. rows with no effective op), each run
    with CFG_FEAT = 0, then N1, then N1 + N2 on the same image; every counter, lane statistic
    and FLAGS bit against the model."""
    io = await setup(dut)
    hw = io.hw
    assert hw.feat_available & FEAT_NULL_SKIP, "this build does not implement NULL_SKIP"
    feats = [FEAT_NULL_SKIP] + ([FEAT_NULL_SKIP | FEAT_ROW_SKIP]
                                if hw.feat_available & FEAT_ROW_SKIP else [])
    flags = 0
    for mode in StealMode:
        rng = _rng(700 + int(mode))
        cases = [random_case(rng, hw, mode) for _ in range(2)]
        cases.append(null_word_case(rng, hw, mode))
        if mode != StealMode.NONE:
            cases.append(hot_case(rng, hw, mode))
        for k, case in enumerate(cases):
            await run_case(io, with_feat(case, 0), tag=f"{mode.name}#{k} v1")
            for feat in feats:
                flags |= await run_case(io, with_feat(case, feat), backdoor=False,
                                        tag=f"{mode.name}#{k} feat={feat:#x}")
    dut._log.info(f"NULL_SKIP FLAGS seen: {flags:#x}")


@cocotb.test()
async def test_scan(dut):
    """CFG_FEAT.SCAN (rule N3): the row scanner's retires at the owner's head and at the
    replica ranges' tails, with N1 alone and with N2, shared and split ranges, in all three
    steal modes; every counter, lane statistic and FLAGS bit against the model, and rows
    retired at both ends."""
    io = await setup(dut)
    hw = io.hw
    assert hw.feat_available & FEAT_SCAN, "this build does not implement SCAN"
    scan = FEAT_NULL_SKIP | FEAT_SCAN
    at_head = at_tail = 0
    for mode in StealMode:
        rng = _rng(750 + int(mode))
        cases = [random_case(rng, hw, mode), null_word_case(rng, hw, mode)]
        if mode != StealMode.NONE:
            cases += [hot_case(rng, hw, mode), split_case(rng, hw, mode, "uniform"),
                      split_case(rng, hw, mode, "load")]
        for k, case in enumerate(cases):
            for feat in (scan, scan | FEAT_ROW_SKIP):
                c = with_feat(case, feat | (case.layer.feat & FEAT_SPLIT))
                run, _ = simulate_product_run(c.W != 0, c.x != 0, hw, c.layer, c.image.plan)
                at_head, at_tail = at_head + run.scan_head, at_tail + run.scan_tail
                await run_case(io, c, backdoor=feat == scan,
                               tag=f"{mode.name}#{k} feat={feat:#x}")
    dut._log.info(f"SCAN: the scanners retired {at_head} rows at a head, {at_tail} at a tail")
    assert at_head > 0 and at_tail > 0, "the scanners did not retire rows at both ends"


@cocotb.test()
async def test_frontdoor(dut):
    """One layer loaded through the memory port over stale contents; read-back; run; check."""
    io = await setup(dut)
    hw = io.hw
    rng = _rng(200)
    # Stale contents everywhere (a different layer, backdoor) so that a missed word shows up.
    stale = make_case(rng, hw, hw.M_MAX, hw.N_MAX, StealMode.VERTICAL, 2, 0.5, 0.7)
    await io.backdoor(stale.image)
    M, N = (hw.M_MAX // 2 + 3, hw.N_MAX // 2 + 5)
    case = make_case(rng, hw, M, N, StealMode.VERTICAL, 2, 0.3, 0.6, skew=0.2)
    words = list(case.image.images_for_frontdoor())
    n = await io.mem_write(words)
    dut._log.info(f"frontdoor: wrote {n} words")
    # Read back a sample of every memory kind.
    idx = rng.choice(len(words), size=min(len(words), 200), replace=False)
    sample = [words[i] for i in sorted(idx)]
    got = await io.mem_read([(s, u, a) for s, u, a, _ in sample])
    bad = [(w, g) for w, g in zip(sample, got) if w[3] != g]
    assert not bad, f"frontdoor read-back differs: {bad[:5]}"
    assert (await io.status())[3] == ERR_OK
    await run_case(io, case, backdoor=False, tag="frontdoor")


async def _expect_error(io: Dut, code: int, tag: str, *, done: int | None = None) -> None:
    busy, d, err, got = await io.status()
    assert got == code and err == 1, f"{tag}: ERR_CODE={got} expected {code}"
    assert busy == 0, f"{tag}: engine still busy"
    if done is not None:
        assert d == done, f"{tag}: done={d} expected {done}"


async def _check_contents(io: Dut, case: Case, tag: str) -> None:
    """A few loaded words of every memory kind still read back as loaded."""
    hw = io.hw
    picks = []
    for (h, v) in [(0, 0), (hw.H - 1, hw.V - 1)]:
        u = hw.lane_index(h, v)
        picks += [(MEM_MASK, u, 0, int(case.image.mask[(h, v)][0]) if len(case.image.mask[(h, v)]) else 0),
                  (MEM_ROWPTR, u, 1, int(case.image.rowptr[(h, v)][1]) if len(case.image.rowptr[(h, v)]) > 1 else 0),
                  (MEM_WEIGHT, u, 0, int(case.image.weight[(h, v)][0]) & 0xFF if len(case.image.weight[(h, v)]) else 0)]
    picks += [(MEM_AMASK, 0, 0, int(case.image.amask[(0, 0)][0])),
              (MEM_AVAL, 0, 0, int(case.image.aval[(0, 0)][0]) & 0xFFFF),
              (MEM_BIAS, 0, 0, int(case.image.bias[0]) & 0xFFFF)]
    got = await io.mem_read([(s, u, a) for s, u, a, _ in picks])
    bad = [(p, g) for p, g in zip(picks, got) if p[3] != g]
    assert not bad, f"{tag}: loaded contents changed: {bad}"


@cocotb.test()
async def test_errors(dut):
    """Every error code of section 7, once: code set, engine idle, loaded contents unchanged."""
    io = await setup(dut)
    hw = io.hw
    rng = _rng(300)
    case = make_case(rng, hw, hw.M_MAX, hw.N_MAX, StealMode.VERTICAL, 2, 0.3, 0.8)
    await io.backdoor(case.image)
    await io.configure(case.layer)

    async def clear():
        await io.write_reg(CTRL, CLEAR)
        assert await io.status() == (0, 0, 0, 0)

    async def bad_start(code, tag, **regs):
        for addr, val in regs.items():
            await io.write_reg(globals()[addr], val)
        irqs = io.irq_count
        await io.write_reg(CTRL, START)
        await FallingEdge(io.dut.clk_i)
        await _expect_error(io, code, tag, done=1)
        assert io.irq_count == irqs + 1, f"{tag}: no irq"
        await _check_contents(io, case, tag)
        await io.configure(case.layer)
        await clear()

    # 1 ERR_DIM: M = 0, N = 0, M > M_MAX, N > N_MAX.
    await bad_start(ERR_DIM, "M=0", CFG_M=0)
    await bad_start(ERR_DIM, "N=0", CFG_N=0)
    await bad_start(ERR_DIM, "M>M_MAX", CFG_M=hw.M_MAX + 1)
    await bad_start(ERR_DIM, "N>N_MAX", CFG_N=0x10000 + hw.N_MAX)
    # 2 ERR_MODE: mode 3, shift 16.
    await bad_start(ERR_MODE, "mode=3", CFG_MODE=3)
    await bad_start(ERR_MODE, "shift=16", CFG_SHIFT=16)
    # CFG_FEAT: an undefined bit (full 32-bit value), ROW_SKIP or SCAN without NULL_SKIP, and
    # every defined bit this build does not implement (CAPS5).
    await bad_start(ERR_MODE, "feat bit 8", CFG_FEAT=0x100)
    await bad_start(ERR_MODE, "feat bit 31", CFG_FEAT=0x80000000)
    await bad_start(ERR_MODE, "ROW_SKIP alone", CFG_FEAT=FEAT_ROW_SKIP)
    await bad_start(ERR_MODE, "SCAN alone", CFG_FEAT=FEAT_SCAN)
    await bad_start(ERR_MODE, "PREFETCH alone", CFG_FEAT=FEAT_PREFETCH)
    await bad_start(ERR_MODE, "RUN_AHEAD without PREFETCH", CFG_FEAT=FEAT_OVERLAP | FEAT_RUN_AHEAD)
    for bit in (1, 2, 4, 8, 16, 32, 64, 128):
        if bit & FEAT_DEFINED & ~hw.feat_available:
            feat = feat_with_needs(bit)
            await bad_start(ERR_MODE, f"feat {feat:#x} not implemented", CFG_FEAT=feat)
    # 3 ERR_SLOTS: the fullest lane needs more than SLOTS row slots.
    mode = StealMode.HORIZONTAL if hw.V == 2 else StealMode.VERTICAL
    slots_layer = LayerConfig(M=hw.M_MAX, N=hw.N_MAX, mode=mode, rep_rows=hw.R_MAX)
    assert max(slots_needed(hw, slots_layer, h, v) for h, v in hw.lanes()) > hw.SLOTS
    await bad_start(ERR_SLOTS, "slots", CFG_MODE=int(mode), CFG_REP_ROWS=hw.R_MAX)

    # 4 ERR_BUSY_START and 5 ERR_BUSY_MEM: the running product continues and stays correct; a
    # write while busy is ignored and a read while busy returns 0. First error wins.
    perf = simulate_matvec(case.W != 0, case.x != 0, hw, case.layer)
    await io.write_reg(CTRL, START)
    await io.write_reg(CTRL, START)                                 # busy: ERR_BUSY_START
    assert (await io.status())[0] == 1, "engine should still be busy"
    # CFG writes while busy are legal and only affect the next start (configuration latched).
    await io.write_reg(CFG_SHIFT, (case.layer.shift + 3) % 16)
    await io.write_reg(CFG_M, 1)
    await io.mem_write([(MEM_WEIGHT, 0, 0, 0x55)])                  # busy: ERR_BUSY_MEM (2nd)
    rd = await io.mem_read([(MEM_WEIGHT, 0, 0)])
    assert rd == [0], f"read while busy returned {rd}"
    await io.wait_done(4 * perf.cycles + 100)
    await _expect_error(io, ERR_BUSY_START, "busy start", done=1)
    y = np.array([_s16(w) for w in await io.mem_read([(MEM_Y, 0, r) for r in range(case.layer.M)])])
    assert np.array_equal(y, case.y), "product disturbed by the busy start / busy access"
    assert await io.read_reg(PERF["PERF_CYCLES"]) == perf.cycles
    await _check_contents(io, case, "busy")
    await io.configure(case.layer)
    await clear()
    await io.write_reg(CTRL, START)
    await io.mem_write([(MEM_MASK, 0, 0, 0xFFFF)])
    await io.wait_done(4 * perf.cycles + 100)
    await _expect_error(io, ERR_BUSY_MEM, "busy mem", done=1)
    await _check_contents(io, case, "busy mem")
    await clear()

    # 6 ERR_MEM_RANGE: write to y, unit / address out of range, write to lane stats.
    for tag, acc in [("write y", (MEM_Y, 0, 0, 1)),
                     ("lane unit", (MEM_WEIGHT, hw.n_lanes, 0, 1)),
                     ("pe unit", (MEM_AVAL, hw.n_pes, 0, 1)),
                     ("mask addr", (MEM_MASK, 0, hw.MDEPTH, 1)),
                     ("rowptr addr", (MEM_ROWPTR, 0, hw.SLOTS, 1)),
                     ("weight addr", (MEM_WEIGHT, 0, hw.WDEPTH, 1)),
                     ("amask addr", (MEM_AMASK, 0, hw.AMASK_DEPTH, 1)),
                     ("bias addr", (MEM_BIAS, 0, hw.M_MAX, 1)),
                     ("stats write", (MEM_STATS, 0, 0, 1))]:
        await io.mem_write([acc])
        await _expect_error(io, ERR_MEM_RANGE, tag)
        await _check_contents(io, case, tag)
        await clear()
    assert await io.mem_read([(MEM_STATS, 0, 7)]) == [0]
    await _expect_error(io, ERR_MEM_RANGE, "stats addr")
    await clear()

    # 8 ERR_REG: write to a read-only and to an unknown register.
    for tag, addr in [("write STATUS", STATUS), ("write PERF", PERF["PERF_IDLE"]),
                      ("write CAPS", CAPS), ("write CAPS5", CAPS5), ("write unknown", 0x13),
                      ("write unknown 0x2B", 0x2B), ("write 0xFF", 0xFF)]:
        await io.write_reg(addr, 0xDEADBEEF)
        await _expect_error(io, ERR_REG, tag)
        assert await io.read_reg(CAPS) == (hw.B << 24) | (hw.V << 16) | (hw.H << 8) | 0x4D
        await clear()

    # 7 ERR_WPTR: a row pointer that makes a weight address >= WDEPTH aborts the product.
    lane = next((h, v) for h, v in hw.lanes()
                if case.image.effective_counts()[(h, v)][0].sum() > 0)
    u = hw.lane_index(*lane)
    good_ptr = int(case.image.rowptr[lane][0])
    await io.mem_write([(MEM_ROWPTR, u, 0, 0xFFFF)])                  # >= WDEPTH
    irqs = io.irq_count
    await io.write_reg(CTRL, START)
    await io.wait_done(4 * perf.cycles + 100)
    await _expect_error(io, ERR_WPTR, "wptr", done=1)
    assert io.irq_count == irqs + 1
    assert await io.read_reg(PERF["PERF_CYCLES"]) < perf.cycles
    await _check_contents(io, case, "wptr")
    # Restore the pointer: the engine runs the same product correctly again.
    await io.mem_write([(MEM_ROWPTR, u, 0, good_ptr)])
    await clear()
    await run_case(io, case, backdoor=False, tag="after errors")
