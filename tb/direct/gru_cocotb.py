"""Direct cocotb tests of the GRU layer in masr_top (docs/gru-layer.md, contract section 8).

Plain cocotb (no pyuvm), run by tests/test_gru_direct.py on the 4x2 and 8x8 builds; the same
port driver as tb/direct/engine_cocotb.py. The configuration comes from $MASR_CONFIG, the
backdoor directory from +masr_bd_dir, numpy is seeded from cocotb.RANDOM_SEED.

A bidirectional layer is four phases (X fwd, H fwd, X bwd, H bwd), each started after a backdoor
load of its weight image (golden.encode.encode_matvec(...).write_hex, with a junk activation
vector the sequencer must overwrite) plus xbuf.hex / hbuf.hex. After every phase the simulation
dump (bd_dump_i) gives GX, HOUT, HBUF, STEP and the registers, compared bit-exact against
golden.gru_seq (expect_x_phase / expect_h_phase: numbers, product counters, STEP_CYCLES,
PERF_GRU_*); after the layer HOUT is compared against golden.gru.bigru_layer_q.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge

from golden.config import (FEAT_OVERLAP, FEAT_PREFETCH, FEAT_WIDE_ENC, HwConfig, LayerConfig,
                           StealMode)
from golden.encode import MatvecImage, encode_matvec, hex_lines, to_unsigned
from golden.errors import SpecError
from golden.gru import GruParamsQ, bigru_layer_q, quantize_gru_params, random_gru_params
from golden.gru_seq import (STEP_NAMES, STEP_WORDS, GruRun, PhaseExpect, expect_h_phase,
                            expect_x_phase, hd_max, phase_cycles_bound)
from golden.perf import LANE_STAT_NAMES
from tb.direct.engine_cocotb import (CAPS, CFG_MODE, CFG_REP_ROWS, CFG_SHIFT, CLEAR, CTRL,
                                     ERR_BUSY_MEM, ERR_BUSY_START, ERR_CODE, ERR_MEM_RANGE,
                                     ERR_MODE, ERR_OK, ERR_REG, ERR_SLOTS, ERR_WPTR, MEM_ROWPTR,
                                     PERF, START, STATUS, Dut, _hw, _rng)

# -- contract section 8 ---------------------------------------------------------------------------
CFG_GRU_I, CFG_GRU_HD, CFG_GRU_T, CFG_GRU_THR, CFG_GRU_DIR = 0x20, 0x21, 0x22, 0x23, 0x24
CFG_FEAT = 0x12
GRU_STEPS, PERF_GRU_CYCLES, PERF_GRU_MAC_BUSY, PERF_GRU_STEALS, CAPS4 = 0x25, 0x26, 0x27, 0x28, 0x29
GRU_X, GRU_H = 1 << 2, 1 << 3
MEM_XBUF, MEM_HBUF, MEM_GX, MEM_HOUT, MEM_STEP = 8, 9, 10, 11, 12
ERR_SEQ_LEN, ERR_THR, ERR_GRU_DIM, ERR_CMD = 9, 10, 11, 12
N_REGS = 64
DIRS = ("fwd", "bwd")


@dataclass(frozen=True)
class Geo:
    """GRU memory geometry of one configuration (contract 8.4)."""

    hw: HwConfig

    @property
    def HD_MAX(self) -> int:
        return hd_max(self.hw)

    @property
    def T_MAX(self) -> int:
        return self.hw.T_MAX

    def depth(self, sel: int) -> int:
        hw = self.hw
        return {MEM_XBUF: hw.T_MAX * hw.N_MAX, MEM_HBUF: self.HD_MAX, MEM_GX: hw.T_MAX * hw.M_MAX,
                MEM_HOUT: hw.T_MAX * 2 * self.HD_MAX, MEM_STEP: hw.T_MAX * STEP_WORDS}[sel]


# ------------------------------------------------------------------------------------------------
# Dump (bd_dump_i) and backdoor files
# ------------------------------------------------------------------------------------------------
def _words(path: Path) -> np.ndarray:
    """Words of a $writememh file (Icarus adds "// 0x<addr>" comment lines, Verilator none)."""
    lines = (line.split("//", 1)[0] for line in path.read_text().splitlines())
    return np.array([int(t, 16) for line in lines for t in line.split()], dtype=np.int64)


def _signed(words: np.ndarray) -> np.ndarray:
    w = words & 0xFFFF
    return np.where(w >= 1 << 15, w - (1 << 16), w)


@dataclass
class Dump:
    regs: np.ndarray
    stats: np.ndarray
    xbuf: np.ndarray
    hbuf: np.ndarray
    gx: np.ndarray      # (T_MAX, M_MAX)
    hout: np.ndarray    # (T_MAX, 2, HD_MAX)
    step: np.ndarray    # (T_MAX, 8)

    def mems(self) -> dict[str, np.ndarray]:
        return {"XBUF": self.xbuf, "HBUF": self.hbuf, "GX": self.gx, "HOUT": self.hout,
                "STEP": self.step, "lane stats": self.stats}


async def dump(io: Dut, geo: Geo) -> Dump:
    names = ("regs", "stats", "xbuf", "hbuf", "gx", "hout", "step")
    paths = {n: io.bd_dir / f"{n}.dump.hex" for n in names}
    for p in paths.values():
        p.unlink(missing_ok=True)
    io.dut.bd_dump_i.value = 1
    io.dut.bd_dump_gru_i.value = 1
    await FallingEdge(io.dut.clk_i)
    io.dut.bd_dump_i.value = 0
    io.dut.bd_dump_gru_i.value = 0
    await FallingEdge(io.dut.clk_i)          # a low cycle, so that the next dump has an edge
    w = {n: _words(p) for n, p in paths.items()}
    hw = geo.hw
    want = {"regs": N_REGS, "stats": hw.n_lanes * len(LANE_STAT_NAMES),
            "xbuf": geo.depth(MEM_XBUF), "hbuf": geo.depth(MEM_HBUF), "gx": geo.depth(MEM_GX),
            "hout": geo.depth(MEM_HOUT), "step": geo.depth(MEM_STEP)}
    short = {n: (len(w[n]), d) for n, d in want.items() if len(w[n]) != d}
    assert not short, f"dump files have the wrong length (got, expected): {short}"
    return Dump(regs=w["regs"], stats=w["stats"], xbuf=_signed(w["xbuf"]),
                hbuf=_signed(w["hbuf"]),
                gx=_signed(w["gx"]).reshape(hw.T_MAX, hw.M_MAX),
                hout=_signed(w["hout"]).reshape(hw.T_MAX, 2, geo.HD_MAX),
                step=w["step"].reshape(hw.T_MAX, STEP_WORDS))


def write_seq_files(io: Dut, geo: Geo, x_seq: Optional[np.ndarray],
                    h0: Optional[np.ndarray]) -> None:
    """xbuf.hex / hbuf.hex (full depth) for the next backdoor load."""
    hw = geo.hw
    xb = np.zeros(geo.depth(MEM_XBUF), dtype=np.int64)
    if x_seq is not None:
        T, I = x_seq.shape
        xb.reshape(hw.T_MAX, hw.N_MAX)[:T, :I] = x_seq
    hb = np.zeros(geo.depth(MEM_HBUF), dtype=np.int64)
    if h0 is not None:
        hb[: len(h0)] = h0
    (io.bd_dir / "xbuf.hex").write_text(hex_lines(to_unsigned(xb, 16), 16))
    (io.bd_dir / "hbuf.hex").write_text(hex_lines(to_unsigned(hb, 16), 16))


async def backdoor(io: Dut, image: MatvecImage) -> None:
    image.write_hex(io.bd_dir)
    io.dut.bd_load_i.value = 1
    await FallingEdge(io.dut.clk_i)
    io.dut.bd_load_i.value = 0
    await FallingEdge(io.dut.clk_i)


# ------------------------------------------------------------------------------------------------
# One phase
# ------------------------------------------------------------------------------------------------
def phase_image(hw: HwConfig, run: GruRun, W: np.ndarray, b: np.ndarray,
                rng: np.random.Generator) -> MatvecImage:
    """The phase's lane image; its activation RFs hold junk the sequencer must overwrite."""
    N = W.shape[1]
    junk = rng.integers(-2000, 2000, N)
    return encode_matvec(W, junk, b, hw, LayerConfig(run.M, N, run.mode, run.rep_rows, run.shift,
                                                     run.feat))


async def configure(io: Dut, run: GruRun) -> None:
    for addr, val in ((CFG_MODE, int(run.mode)), (CFG_REP_ROWS, run.rep_rows),
                      (CFG_SHIFT, run.shift), (CFG_GRU_I, run.I), (CFG_GRU_HD, run.Hd),
                      (CFG_GRU_T, run.T), (CFG_GRU_THR, run.threshold),
                      (CFG_GRU_DIR, run.direction), (CFG_FEAT, run.feat)):
        await io.write_reg(addr, val)


def _check_steps(d: Dump, exp: PhaseExpect, tag: str) -> None:
    got = d.step[: len(exp.steps)]
    want = exp.step_words()
    bad = np.argwhere(got != want)
    if bad.size:
        msgs = [f"s={s} {STEP_NAMES[k]} rtl={int(got[s, k])} golden={int(want[s, k])}"
                for s, k in bad[:8]]
        raise AssertionError(f"{tag}: STEP words differ: " + "; ".join(msgs))


def _check_regs(d: Dump, exp: PhaseExpect, tag: str) -> None:
    want = {"GRU_STEPS": (GRU_STEPS, len(exp.steps)),
            "PERF_GRU_CYCLES": (PERF_GRU_CYCLES, exp.cycles),
            "PERF_GRU_MAC_BUSY": (PERF_GRU_MAC_BUSY, exp.mac_busy),
            "PERF_GRU_STEALS": (PERF_GRU_STEALS, exp.steals)}
    last = exp.last.counters()
    want.update({n: (a, last[n]) for n, a in PERF.items()})
    bad = [f"{n} rtl={int(d.regs[a])} golden={v}" for n, (a, v) in want.items()
           if int(d.regs[a]) != v]
    assert not bad, f"{tag}: registers differ: " + ", ".join(bad)
    st, code = int(d.regs[STATUS]), int(d.regs[ERR_CODE])
    assert (st, code) == (0b010, 0), f"{tag}: STATUS={st:#x} ERR_CODE={code} after the phase"
    # Lane statistics are those of the phase's last product.
    n = len(LANE_STAT_NAMES)
    lanes = exp.last.lanes
    diffs = [f"lane {hv} {k}: rtl={int(d.stats[hw_l * n + i])} golden={lanes.words(*hv)[k]}"
             for hw_l, hv in enumerate(_lanes(lanes)) for i, k in enumerate(LANE_STAT_NAMES)
             if int(d.stats[hw_l * n + i]) != lanes.words(*hv)[k]]
    assert not diffs, f"{tag}: lane stats of the last product differ: " + "; ".join(diffs[:8])


def _lanes(lanes) -> list[tuple[int, int]]:
    H, V = lanes.mac_busy.shape
    return [(h, v) for h in range(H) for v in range(V)]


async def run_phase(io: Dut, geo: Geo, kind: str, run: GruRun, exp: PhaseExpect,
                    tag: str) -> Dump:
    """Start a configured, loaded phase, wait for done and check everything but the numbers."""
    irqs = io.irq_count
    await io.write_reg(CTRL, GRU_X if kind == "X" else GRU_H)
    assert (await io.read_reg(STATUS)) & 1, f"{tag}: not busy after the start"
    await io.wait_done(phase_cycles_bound(geo.hw, run) + 100)
    assert io.irq_count == irqs + 1, f"{tag}: {io.irq_count - irqs} irq pulses, expected 1"
    d = await dump(io, geo)
    _check_regs(d, exp, tag)
    _check_steps(d, exp, tag)
    return d


@dataclass
class Layer:
    params: tuple[GruParamsQ, GruParamsQ]   # fwd, bwd
    x: np.ndarray                           # (T, I)
    h0: tuple[np.ndarray, np.ndarray]
    I: int
    Hd: int
    T: int
    threshold: int
    mode: StealMode
    rep_rows: int
    shift: int
    feat: int = 0

    def run(self, direction: int) -> GruRun:
        return GruRun(self.I, self.Hd, self.T, self.threshold, direction, self.mode,
                      self.rep_rows, self.shift, self.feat)


def random_layer(rng: np.random.Generator, hw: HwConfig, I: int, Hd: int, T: int,
                 threshold: int, mode: StealMode, x_density: float = 0.7,
                 w_density: float = 0.5, h0_zero: bool = False) -> Layer:
    shift = int(rng.integers(5, 8))
    for _ in range(30):
        rep = 0 if mode == StealMode.NONE else int(rng.integers(1, max(2, hw.R_MAX // 3)))
        try:
            GruRun(I, Hd, T, threshold, 0, mode, rep, shift).check_fits(hw)
            break
        except SpecError:
            continue
    else:
        raise SpecError(f"no rep_rows fits I={I} Hd={Hd} on {hw.name}")
    params = tuple(quantize_gru_params(random_gru_params(rng, I, Hd, density=w_density,
                                                         w_scale=1.0, b_scale=0.5), shift)
                   for _ in range(2))
    x = np.where(rng.random((T, I)) < x_density, rng.integers(-600, 600, (T, I)), 0)
    h0 = tuple(np.zeros(Hd, dtype=np.int64) if h0_zero else
               np.where(rng.random(Hd) < 0.6, rng.integers(-256, 256, Hd), 0) for _ in range(2))
    return Layer(params, x.astype(np.int64), h0, I, Hd, T, threshold, mode, rep, shift)


async def run_layer(io: Dut, geo: Geo, lay: Layer, rng: np.random.Generator, tag: str) -> list[int]:
    """Four phases; after each one its results, after the last the whole HOUT. Returns the
    phases' PERF_GRU_CYCLES (X fwd, H fwd, X bwd, H bwd)."""
    hw = geo.hw
    cycles = []
    for direction in (0, 1):
        p, run, dname = lay.params[direction], lay.run(direction), DIRS[direction]
        # ---- X phase ----
        exp_x = expect_x_phase(hw, run, p.W_ih, p.b_ih, lay.x)
        write_seq_files(io, geo, lay.x, None)
        await backdoor(io, phase_image(hw, run, p.W_ih, p.b_ih, rng))
        await configure(io, run)
        d = await run_phase(io, geo, "X", run, exp_x, f"{tag} X {dname}")
        cycles.append(exp_x.cycles)
        gx = d.gx[: lay.T, : run.M]
        bad = np.argwhere(gx != exp_x.gx)
        if bad.size:
            t, r = (int(v) for v in bad[0])
            raise AssertionError(
                f"{tag} X {dname}: GX differs at {len(bad)} words, first t={t} row r={r} "
                f"(gate {'rzn'[r // lay.Hd]}, neuron j={r % lay.Hd}): rtl={int(gx[t, r])} "
                f"golden={int(exp_x.gx[t, r])}")
        # ---- H phase ----
        exp_h = expect_h_phase(hw, run, p.W_hh, p.b_hh, exp_x.gx, lay.h0[direction])
        write_seq_files(io, geo, None, lay.h0[direction])
        await backdoor(io, phase_image(hw, run, p.W_hh, p.b_hh, rng))
        await configure(io, run)
        d = await run_phase(io, geo, "H", run, exp_h, f"{tag} H {dname}")
        cycles.append(exp_h.cycles)
        h = d.hout[: lay.T, direction, : lay.Hd]
        bad = np.argwhere(h != exp_h.h)
        if bad.size:
            t, j = (int(v) for v in bad[0])
            s = run.time_order().index(t)
            raise AssertionError(
                f"{tag} H {dname}: HOUT differs at {len(bad)} words, first at step s={s} "
                f"time t={t} direction={dname} neuron j={j}: rtl h={int(h[t, j])} golden "
                f"h={int(exp_h.h[t, j])} (golden r={int(exp_h.r[t, j])} z={int(exp_h.z[t, j])} "
                f"n={int(exp_h.n[t, j])}, threshold={lay.threshold})")
        hb = d.hbuf[: lay.Hd]
        assert np.array_equal(hb, exp_h.h_last), (
            f"{tag} H {dname}: HBUF after the phase differs at neurons "
            f"{np.flatnonzero(hb != exp_h.h_last)[:8].tolist()}: rtl {hb.tolist()} golden "
            f"{exp_h.h_last.tolist()}")
        # The X phase's GX must be intact (the H phase only reads it).
        assert np.array_equal(d.gx[: lay.T, : run.M], exp_x.gx), f"{tag}: H phase changed GX"
    # ---- the whole layer against golden.gru.bigru_layer_q ----
    ref = bigru_layer_q(lay.x, lay.params[0], lay.params[1], lay.h0[0], lay.h0[1],
                        lay.threshold)
    out = np.concatenate([d.hout[: lay.T, 0, : lay.Hd], d.hout[: lay.T, 1, : lay.Hd]], axis=1)
    bad = np.argwhere(out != ref.out)
    if bad.size:
        t, c = (int(v) for v in bad[0])
        direction, j = divmod(c, lay.Hd)
        tr = ref.fwd if direction == 0 else ref.bwd
        k = t if direction == 0 else lay.T - 1 - t
        raise AssertionError(
            f"{tag}: layer output differs from bigru_layer_q at {len(bad)} words, first t={t} "
            f"direction={DIRS[direction]} neuron j={j}: rtl={int(out[t, c])} golden="
            f"{int(ref.out[t, c])} (golden r={int(tr.r[k, j])} z={int(tr.z[k, j])} "
            f"n={int(tr.n[k, j])})")
    nnz = int(np.count_nonzero(out))
    io.dut._log.info(f"{tag}: I={lay.I} Hd={lay.Hd} T={lay.T} thr={lay.threshold} "
                     f"mode={lay.mode.name} rep={lay.rep_rows} S={lay.shift} feat={lay.feat:#x}: "
                     f"HOUT matches ({nnz}/{out.size} non-zero)")
    return cycles


async def setup(dut: Any) -> tuple[Dut, Geo]:
    _, hw = _hw()
    io = Dut(dut, hw)
    await io.reset()
    return io, Geo(hw)


async def _clear(io: Dut) -> None:
    await io.write_reg(CTRL, CLEAR)
    st, code = await io.read_reg(STATUS), await io.read_reg(ERR_CODE)
    assert (st, code) == (0, 0), f"clear left STATUS={st:#x} ERR_CODE={code}"


# ------------------------------------------------------------------------------------------------
# Tests
# ------------------------------------------------------------------------------------------------
@cocotb.test()
async def test_gru_regs(dut):
    """CAPS4, reset values, CFG_GRU_* read back 32 bits, unknown registers stay unknown."""
    io, geo = await setup(dut)
    hw = geo.hw
    assert await io.read_reg(CAPS4) == (hw.T_MAX << 16) | geo.HD_MAX
    for addr in range(CFG_GRU_I, CAPS4):
        assert await io.read_reg(addr) == 0, f"register {addr:#x} not 0 after reset"
    for k, addr in enumerate(range(CFG_GRU_I, CFG_GRU_DIR + 1)):
        await io.write_reg(addr, 0xA5A50000 + k)
        assert await io.read_reg(addr) == 0xA5A50000 + k, f"CFG register {addr:#x} read-back"
    assert await io.read_reg(ERR_CODE) == ERR_OK
    for addr in (0x13, 0x1F, GRU_STEPS, PERF_GRU_CYCLES, PERF_GRU_MAC_BUSY, PERF_GRU_STEALS, CAPS4,
                 0x2A, 0x2B, 0x3F, 0xFF):
        before = await io.read_reg(addr)
        await io.write_reg(addr, 0x12345678)
        assert await io.read_reg(ERR_CODE) == ERR_REG, f"write {addr:#x}: no ERR_REG"
        assert await io.read_reg(addr) == before, f"write {addr:#x} changed it"
        if addr in (0x13, 0x1F, 0x2B, 0x3F, 0xFF):
            assert before == 0, f"unknown register {addr:#x} reads {before:#x}"
        await _clear(io)
    assert await io.read_reg(CAPS) == (hw.B << 24) | (hw.V << 16) | (hw.H << 8) | 0x4D


@cocotb.test()
async def test_gru_layers(dut):
    """Random bidirectional layers: modes none/vertical/horizontal, T 1..32, thresholds 0/>0."""
    io, geo = await setup(dut)
    hw = geo.hw
    rng = _rng(500)
    HDM = geo.HD_MAX
    small = hw.n_lanes <= 8
    if small:
        # (I, Hd, T, threshold, mode, extras)
        cases = [
            (hw.N_MAX, HDM, 3, 0, StealMode.VERTICAL, {}),
            (5, 7, 1, 24, StealMode.NONE, {}),
            (17, 9, 32, 0, StealMode.HORIZONTAL, {}),
            (33, HDM, 6, 40, StealMode.HORIZONTAL, {"h0_zero": True}),
            (1, 1, 4, 0, StealMode.VERTICAL, {}),
            (int(rng.integers(2, hw.N_MAX)), int(rng.integers(2, HDM)), int(rng.integers(2, 12)),
             int(rng.integers(1, 80)), StealMode.NONE, {"x_density": 0.3}),
        ]
    else:
        cases = [
            (70, 40, 3, 0, StealMode.VERTICAL, {}),
            (9, 5, 32, 30, StealMode.HORIZONTAL, {}),
            (hw.N_MAX, HDM, 1, 16, StealMode.NONE, {"w_density": 0.2}),
            (int(rng.integers(2, 64)), int(rng.integers(2, 32)), int(rng.integers(2, 6)),
             int(rng.integers(1, 80)), StealMode.VERTICAL, {"x_density": 0.3}),
        ]
    # Random layers: every mode with threshold 0 and > 0 (sometimes the maximum, which zeroes
    # almost every h), T anywhere in 1 .. T_MAX, some steps with an all-zero x_t.
    n_max = hw.N_MAX if small else 96
    hd_top = HDM if small else 48
    cases.append((int(rng.integers(1, 30)), int(rng.integers(2, 12)), 5, 32767,
                  StealMode.VERTICAL, {}))
    for mode in StealMode:
        for thr in (0, int(rng.integers(1, 120))):
            cases.append((int(rng.integers(1, n_max + 1)), int(rng.integers(1, hd_top + 1)),
                          int(rng.integers(1, hw.T_MAX + 1)) if small else
                          int(rng.choice([int(rng.integers(1, 9)), hw.T_MAX])),
                          thr, mode, {"x_density": float(rng.choice([0.05, 0.5, 0.9]))}))
    for k, (I, Hd, T, thr, mode, extra) in enumerate(cases):
        lay = random_layer(rng, hw, I, Hd, T, thr, mode, **extra)
        await run_layer(io, geo, lay, rng, f"layer#{k}")


async def run_feature_pair(io: Dut, geo: Geo, lay: Layer, rng: np.random.Generator, tag: str,
                           base_feat: int, feat: int) -> tuple[list[int], list[int]]:
    """Run ``lay`` with CFG_FEAT = base_feat, then feat (each checked against golden.gru_seq by
    run_layer); the added X-phase feature must leave the H phases' cycles unchanged and never
    slow an X phase down. Returns both runs' phase cycles."""
    lay.feat = base_feat
    base = await run_layer(io, geo, lay, rng, f"{tag} feat={base_feat:#x}")
    lay.feat = feat
    got = await run_layer(io, geo, lay, rng, f"{tag} feat={feat:#x}")
    assert got[1::2] == base[1::2], f"{tag}: feat={feat:#x} changed an H phase {got} {base}"
    assert got[0] <= base[0] and got[2] <= base[2], f"{tag}: X slower {got} {base}"
    io.dut._log.info(f"{tag}: X phase cycles feat={base_feat:#x} {base[0]}/{base[2]} -> "
                     f"feat={feat:#x} {got[0]}/{got[2]}")
    return base, got


@cocotb.test()
async def test_gru_overlap(dut):
    """CFG_FEAT.OVERLAP: each layer runs twice on the same data, v1 and with OVERLAP (X phases
    overlapped, H phases unchanged); every STEP word, register, GX and HOUT is checked against
    golden.gru_seq both times. The cases reach a compute beside the previous output phase, a
    start after it has ended, T = 1 (nothing to overlap) and steps with an all-zero x_t."""
    io, geo = await setup(dut)
    hw = geo.hw
    rng = _rng(700)
    HDM = geo.HD_MAX
    # (I, Hd, T, mode, x_density): a short x_t and a long output phase overlap the most
    cases = [(1, HDM, 6, StealMode.NONE, 0.9), (2, HDM, 5, StealMode.VERTICAL, 0.9),
             (hw.N_MAX, HDM, 3, StealMode.HORIZONTAL, 0.7), (9, 5, 1, StealMode.NONE, 0.7),
             (int(rng.integers(1, hw.N_MAX + 1)), int(rng.integers(1, HDM + 1)),
              int(rng.integers(2, hw.T_MAX + 1)), StealMode.VERTICAL, 0.3)]
    beside = before = 0
    for k, (I, Hd, T, mode, dens) in enumerate(cases):
        lay = random_layer(rng, hw, I, Hd, T, 0, mode, x_density=dens)
        await run_feature_pair(io, geo, lay, rng, f"overlap#{k}", 0, FEAT_OVERLAP)
        for d in (0, 1):
            p, run = lay.params[d], lay.run(d)
            steps = expect_x_phase(hw, run, p.W_ih, p.b_ih, lay.x).steps
            beside += sum(s.overlap.beside_drain > 0 for s in steps[1:])
            before += sum(s.overlap.beside_drain == 0 for s in steps[1:])
    assert beside and before, (f"overlap corners not reached: computes beside an output phase "
                               f"{beside}, starts after it {before}")


@cocotb.test()
async def test_gru_prefetch(dut):
    """CFG_FEAT.PREFETCH: each layer runs with OVERLAP and with OVERLAP + PREFETCH on the same
    data (H phases unchanged); every STEP word, register, GX and HOUT is checked against
    golden.gru_seq both times. The cases reach products that start in the previous SqStep
    (their x_t encoded while the previous product computed) and products that wait for the
    encoder, T = 1 (nothing to prefetch) and an odd T (the last x_t in RF set 0)."""
    io, geo = await setup(dut)
    hw = geo.hw
    rng = _rng(800)
    HDM = geo.HD_MAX
    cases = [(1, HDM, 6, StealMode.NONE, 0.9), (hw.N_MAX, max(1, HDM // 4), 3,
                                                 StealMode.HORIZONTAL, 0.7),
             (9, 5, 1, StealMode.VERTICAL, 0.7), (hw.V + 2, HDM, 5, StealMode.VERTICAL, 0.9),
             (int(rng.integers(1, hw.N_MAX + 1)), int(rng.integers(1, HDM + 1)),
              int(rng.integers(2, hw.T_MAX + 1)), StealMode.VERTICAL, 0.3)]
    early = waited = 0
    for k, (I, Hd, T, mode, dens) in enumerate(cases):
        lay = random_layer(rng, hw, I, Hd, T, 0, mode, x_density=dens)
        await run_feature_pair(io, geo, lay, rng, f"prefetch#{k}", FEAT_OVERLAP,
                               FEAT_OVERLAP | FEAT_PREFETCH)
        for d in (0, 1):
            p, run = lay.params[d], lay.run(d)
            steps = expect_x_phase(hw, run, p.W_ih, p.b_ih, lay.x).steps
            early += sum(s.overlap.encoder_wait == 0 for s in steps[1:])
            waited += sum(s.overlap.encoder_wait > 0 for s in steps[1:])
    assert early and waited, (f"prefetch corners not reached: starts in SqStep {early}, "
                              f"starts after waiting for the encoder {waited}")


@cocotb.test()
async def test_gru_wide_encoder(dut):
    """CFG_FEAT.WIDE_ENC: each layer's X phase runs with the encoder taking one element and one
    mask word per cycle, serial, with OVERLAP and with OVERLAP + PREFETCH, on the same data;
    every STEP word, register, GX and HOUT is checked against golden.gru_seq each time. The
    cases cover partitions that are not a multiple of B (a short last word), x_t shorter than
    V*P (pad words), a single element, dense and sparse x_t and every steal mode."""
    io, geo = await setup(dut)
    hw = geo.hw
    rng = _rng(900)
    HDM = geo.HD_MAX
    cases = [(hw.N_MAX, max(1, HDM // 4), 3, StealMode.HORIZONTAL, 0.9),
             (hw.N_MAX - hw.V * 3 - 1, HDM // 2 + 1, 4, StealMode.VERTICAL, 0.5),
             (1, 5, 2, StealMode.NONE, 1.0),
             (int(rng.integers(2, hw.N_MAX + 1)), int(rng.integers(1, HDM + 1)),
              int(rng.integers(2, 7)), StealMode.VERTICAL, 0.3)]
    feats = [0, FEAT_OVERLAP, FEAT_OVERLAP | FEAT_PREFETCH]
    for k, (I, Hd, T, mode, dens) in enumerate(cases):
        lay = random_layer(rng, hw, I, Hd, T, 0, mode, x_density=dens)
        for feat in feats:
            await run_feature_pair(io, geo, lay, rng, f"wide#{k}", feat, feat | FEAT_WIDE_ENC)


@cocotb.test()
async def test_gru_errors(dut):
    """Codes 9-12 (and 2, 3, 4 at a GRU start), the check order, a rejected start changing
    nothing, ERR_WPTR aborting a phase, ERR_BUSY_MEM during a phase."""
    io, geo = await setup(dut)
    hw = geo.hw
    rng = _rng(600)
    lay = random_layer(rng, hw, 6, 5, 4, 10, StealMode.VERTICAL)
    run = lay.run(0)
    p = lay.params[0]
    # A completed X and H phase first, so that GX, HOUT, HBUF, STEP and the registers hold data.
    exp_x = expect_x_phase(hw, run, p.W_ih, p.b_ih, lay.x)
    write_seq_files(io, geo, lay.x, None)
    img_x = phase_image(hw, run, p.W_ih, p.b_ih, rng)
    await backdoor(io, img_x)
    await configure(io, run)
    await run_phase(io, geo, "X", run, exp_x, "errors: X")
    exp_h = expect_h_phase(hw, run, p.W_hh, p.b_hh, exp_x.gx, lay.h0[0])
    write_seq_files(io, geo, None, lay.h0[0])
    await backdoor(io, phase_image(hw, run, p.W_hh, p.b_hh, rng))
    await configure(io, run)
    await run_phase(io, geo, "H", run, exp_h, "errors: H")

    async def bad_start(code: int, ctrl: int, tag: str, **regs: int) -> None:
        before = await dump(io, geo)
        for name, val in regs.items():
            await io.write_reg(_REGS[name], val)
        irqs = io.irq_count
        await io.write_reg(CTRL, ctrl)
        await FallingEdge(io.dut.clk_i)
        st, got = await io.read_reg(STATUS), await io.read_reg(ERR_CODE)
        assert got == code, f"{tag}: ERR_CODE={got} expected {code}"
        assert st == 0b110, f"{tag}: STATUS={st:#05b} expected done+error, not busy"
        assert io.irq_count == irqs + 1, f"{tag}: no irq for the rejected start"
        after = await dump(io, geo)
        for name, mem in before.mems().items():
            assert np.array_equal(mem, after.mems()[name]), f"{tag}: rejected start changed {name}"
        skip = {CTRL, STATUS, ERR_CODE} | {_REGS[n] for n in regs}
        diff = [f"{a:#x}: {int(before.regs[a]):#x} -> {int(after.regs[a]):#x}"
                for a in range(N_REGS) if a not in skip and before.regs[a] != after.regs[a]]
        assert not diff, f"{tag}: rejected start changed registers: {diff}"
        await configure(io, run)
        await _clear(io)

    HDM = geo.HD_MAX
    await _clear(io)                # done low, so that every rejected start raises it (irq)
    # 12 ERR_CMD: more than one start bit (also with a plain start), even with bad GRU sizes.
    await bad_start(ERR_CMD, GRU_X | GRU_H, "X+H")
    await bad_start(ERR_CMD, START | GRU_X, "start+X")
    await bad_start(ERR_CMD, START | GRU_H | GRU_X, "all three", CFG_GRU_T=0)
    # 11 ERR_GRU_DIM: I = 0, I > N_MAX, Hd = 0, Hd > HD_MAX (before T and threshold).
    await bad_start(ERR_GRU_DIM, GRU_X, "I=0", CFG_GRU_I=0, CFG_GRU_T=0)
    await bad_start(ERR_GRU_DIM, GRU_H, "I>N_MAX", CFG_GRU_I=0x10000 + hw.N_MAX)
    await bad_start(ERR_GRU_DIM, GRU_X, "Hd=0", CFG_GRU_HD=0)
    await bad_start(ERR_GRU_DIM, GRU_H, "Hd>HD_MAX", CFG_GRU_HD=HDM + 1, CFG_GRU_THR=40000)
    # 9 ERR_SEQ_LEN: T = 0, T > T_MAX (before the threshold).
    await bad_start(ERR_SEQ_LEN, GRU_X, "T=0", CFG_GRU_T=0)
    await bad_start(ERR_SEQ_LEN, GRU_H, "T>T_MAX", CFG_GRU_T=hw.T_MAX + 1, CFG_GRU_THR=1 << 20)
    # 10 ERR_THR (before the mode checks).
    await bad_start(ERR_THR, GRU_H, "thr", CFG_GRU_THR=32768, CFG_MODE=3)
    # 2 ERR_MODE: mode 3, shift 16, direction 2.
    await bad_start(ERR_MODE, GRU_X, "mode", CFG_MODE=3)
    await bad_start(ERR_MODE, GRU_H, "shift", CFG_SHIFT=16)
    await bad_start(ERR_MODE, GRU_X, "dir", CFG_GRU_DIR=2)
    # 3 ERR_SLOTS with M = 3Hd (CFG_M is not used: a small CFG_M does not hide it).
    mode = StealMode.HORIZONTAL if hw.V == 2 else StealMode.VERTICAL
    big = GruRun(1, HDM, 1, 0, 0, mode, hw.R_MAX, 6)
    try:
        big.check_fits(hw)
        raise AssertionError("expected a slots overflow for the ERR_SLOTS case")
    except SpecError:
        pass
    await bad_start(ERR_SLOTS, GRU_X, "slots", CFG_M=1, CFG_GRU_HD=HDM, CFG_MODE=int(mode),
                    CFG_REP_ROWS=hw.R_MAX)

    # 4 ERR_BUSY_START and 5 ERR_BUSY_MEM during a phase: the phase continues and stays exact.
    write_seq_files(io, geo, lay.x, None)
    await backdoor(io, img_x)
    await configure(io, run)
    irqs = io.irq_count
    await io.write_reg(CTRL, GRU_X)
    await io.write_reg(CTRL, START)                                  # busy start
    await io.write_reg(CTRL, GRU_H)
    await io.mem_write([(MEM_XBUF, 0, 0, 0x1234)])                   # busy memory access
    assert await io.mem_read([(MEM_GX, 0, 0)]) == [0], "read while busy must return 0"
    await io.wait_done(phase_cycles_bound(hw, run) + 100)
    assert io.irq_count == irqs + 1
    d = await dump(io, geo)
    assert int(d.regs[ERR_CODE]) == ERR_BUSY_START, f"busy: ERR_CODE={int(d.regs[ERR_CODE])}"
    assert np.array_equal(d.gx[: run.T, : run.M], exp_x.gx), "busy start/access disturbed GX"
    assert int(d.xbuf[0]) == int(lay.x[0, 0]), "XBUF written while busy"
    _check_steps(d, exp_x, "busy")
    await _clear(io)
    await io.write_reg(CTRL, GRU_X)
    await io.mem_read([(MEM_HOUT, 0, 0)])
    await io.wait_done(phase_cycles_bound(hw, run) + 100)
    assert await io.read_reg(ERR_CODE) == ERR_BUSY_MEM
    await _clear(io)

    # 7 ERR_WPTR aborts the phase: x_t = 0 for t < k, so only step k's product emits ops; a row
    # pointer >= WDEPTH on a row with work makes step k abort. GRU_STEPS = k, done once.
    k = 2
    x_ab = lay.x.copy()
    x_ab[:k] = 0
    x_ab[k:] = np.where(x_ab[k:] == 0, 77, x_ab[k:])
    eff_w = np.flatnonzero(np.any(p.W_ih != 0, axis=1))
    assert eff_w.size, "W_ih has no non-zero row"
    write_seq_files(io, geo, x_ab, None)
    await backdoor(io, img_x)
    exp_ab = expect_x_phase(hw, run, p.W_ih, p.b_ih, x_ab)
    # Every own slot of every lane points past WDEPTH: any op at all aborts.
    await io.mem_write([(MEM_ROWPTR, hw.lane_index(h, v), s, 0xFFFF)
                        for h, v in hw.lanes() for s in range(hw.R_MAX)])
    await configure(io, run)
    irqs = io.irq_count
    await io.write_reg(CTRL, GRU_X)
    await io.wait_done(phase_cycles_bound(hw, run) + 100)
    assert io.irq_count == irqs + 1, "ERR_WPTR: irq pulses"
    d = await dump(io, geo)
    assert int(d.regs[ERR_CODE]) == ERR_WPTR, f"abort: ERR_CODE={int(d.regs[ERR_CODE])}"
    assert int(d.regs[GRU_STEPS]) == k, f"abort: GRU_STEPS={int(d.regs[GRU_STEPS])} != {k}"
    assert int(d.regs[STATUS]) == 0b110
    assert np.array_equal(d.step[:k], exp_ab.step_words()[:k]), "abort: STEP words of steps < k"
    assert int(d.regs[PERF_GRU_MAC_BUSY]) == sum(s.product.mac_busy for s in exp_ab.steps[:k])
    done_cycles = sum(s.step_cycles for s in exp_ab.steps[:k])
    part = (1 + run.I + 1 + (exp_ab.steps[k].step_cycles - exp_ab.steps[k].product.cycles
                             - run.I - 3)
            + int(d.regs[PERF["PERF_CYCLES"]]) + 1)
    assert int(d.regs[PERF_GRU_CYCLES]) == done_cycles + part, (
        f"abort: PERF_GRU_CYCLES={int(d.regs[PERF_GRU_CYCLES])} expected {done_cycles + part}")
    await _clear(io)


_REGS = {"CFG_GRU_I": CFG_GRU_I, "CFG_GRU_HD": CFG_GRU_HD, "CFG_GRU_T": CFG_GRU_T,
         "CFG_GRU_THR": CFG_GRU_THR, "CFG_GRU_DIR": CFG_GRU_DIR, "CFG_MODE": CFG_MODE,
         "CFG_REP_ROWS": CFG_REP_ROWS, "CFG_SHIFT": CFG_SHIFT, "CFG_M": 0x03}


@cocotb.test()
async def test_gru_frontdoor(dut):
    """XBUF/HBUF write + read, a phase run from frontdoor-loaded buffers, GX/HOUT/STEP reads
    against the dump, range errors of selects 8-15."""
    io, geo = await setup(dut)
    hw = geo.hw
    rng = _rng(700)
    lay = random_layer(rng, hw, 7, 6, 3, 12, StealMode.HORIZONTAL)
    run = lay.run(1)
    p = lay.params[1]
    # Stale buffers through the backdoor, then the real ones through the frontdoor.
    write_seq_files(io, geo, rng.integers(-999, 999, (hw.T_MAX, hw.N_MAX)),
                    rng.integers(-999, 999, geo.HD_MAX))
    await backdoor(io, phase_image(hw, run, p.W_ih, p.b_ih, rng))
    xw = [(MEM_XBUF, 0, t * hw.N_MAX + c, int(lay.x[t, c]) & 0xFFFF)
          for t in range(run.T) for c in range(run.I)]
    await io.mem_write(xw)
    got = await io.mem_read([(s, u, a) for s, u, a, _ in xw])
    assert got == [w[3] for w in xw], "XBUF frontdoor read-back"
    await configure(io, run)
    exp_x = expect_x_phase(hw, run, p.W_ih, p.b_ih, lay.x)
    await run_phase(io, geo, "X", run, exp_x, "frontdoor X")
    # The H phase keeps the lane image of the backdoor but takes h_0 through the frontdoor.
    await backdoor(io, phase_image(hw, run, p.W_hh, p.b_hh, rng))
    hw_words = [(MEM_HBUF, 0, j, int(v) & 0xFFFF) for j, v in enumerate(lay.h0[1])]
    await io.mem_write(hw_words)
    assert await io.mem_read([(s, u, a) for s, u, a, _ in hw_words]) == [w[3] for w in hw_words]
    await configure(io, run)
    exp_h = expect_h_phase(hw, run, p.W_hh, p.b_hh, exp_x.gx, lay.h0[1])
    d = await run_phase(io, geo, "H", run, exp_h, "frontdoor H")
    assert np.array_equal(d.hout[: run.T, 1, : run.Hd], exp_h.h), "frontdoor H: HOUT"
    assert await io.read_reg(ERR_CODE) == ERR_OK

    # Reads of every new memory equal the dump (the dump is what the tests compare).
    reads = ([(MEM_GX, 0, t * hw.M_MAX + r) for t in range(run.T) for r in range(run.M)] +
             [(MEM_HOUT, 0, t * 2 * geo.HD_MAX + geo.HD_MAX + j)
              for t in range(run.T) for j in range(run.Hd)] +
             [(MEM_STEP, 0, a) for a in range(run.T * STEP_WORDS)] +
             [(MEM_HBUF, 0, j) for j in range(run.Hd)] +
             [(MEM_XBUF, 0, hw.N_MAX + c) for c in range(run.I)] +
             [(MEM_GX, 0, geo.depth(MEM_GX) - 1), (MEM_HOUT, 0, geo.depth(MEM_HOUT) - 1),
              (MEM_STEP, 0, geo.depth(MEM_STEP) - 1), (MEM_XBUF, 0, geo.depth(MEM_XBUF) - 1),
              (MEM_HBUF, 5, geo.depth(MEM_HBUF) - 1)])
    got = await io.mem_read(reads)

    def dumped(sel: int, a: int) -> int:
        arr = {MEM_GX: d.gx.reshape(-1), MEM_HOUT: d.hout.reshape(-1), MEM_XBUF: d.xbuf,
               MEM_HBUF: d.hbuf, MEM_STEP: d.step.reshape(-1)}[sel]
        return int(arr[a]) & (0xFFFFFFFF if sel == MEM_STEP else 0xFFFF)

    bad = [(s, a, g, dumped(s, a)) for (s, _, a), g in zip(reads, got) if g != dumped(s, a)]
    assert not bad, f"frontdoor reads differ from the dump (sel, addr, bus, dump): {bad[:6]}"
    assert await io.read_reg(ERR_CODE) == ERR_OK

    # Range errors: address = depth, writes to the read-only GRU memories, selects 14-15 (13 is
    # the lanes' split plan registers).
    before = await dump(io, geo)
    accesses = [(f"{n} addr", "r", (sel, 0, geo.depth(sel))) for sel, n in
                ((MEM_XBUF, "XBUF"), (MEM_HBUF, "HBUF"), (MEM_GX, "GX"), (MEM_HOUT, "HOUT"),
                 (MEM_STEP, "STEP"))]
    accesses += [("XBUF waddr", "w", (MEM_XBUF, 0, geo.depth(MEM_XBUF), 1)),
                 ("HBUF waddr", "w", (MEM_HBUF, 0, geo.depth(MEM_HBUF), 1)),
                 ("GX write", "w", (MEM_GX, 0, 0, 1)), ("HOUT write", "w", (MEM_HOUT, 0, 0, 1)),
                 ("STEP write", "w", (MEM_STEP, 0, 0, 1))]
    accesses += [(f"sel {s}", "r", (s, 0, 0)) for s in (14, 15)]
    accesses += [(f"sel {s} write", "w", (s, 0, 0, 1)) for s in (14, 15)]
    for tag, kind, acc in accesses:
        if kind == "r":
            got = await io.mem_read([acc])
            assert got == [0], f"{tag}: illegal read returned {got}"
        else:
            await io.mem_write([acc])
        assert await io.read_reg(ERR_CODE) == ERR_MEM_RANGE, f"{tag}: no ERR_MEM_RANGE"
        await _clear(io)
    after = await dump(io, geo)
    for name, mem in before.mems().items():
        assert np.array_equal(mem, after.mems()[name]), f"range errors changed {name}"
