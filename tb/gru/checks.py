"""GRU scoreboard logic (pure Python, unit-tested without a simulator).

:func:`golden_layer` asks the golden models what a GRU layer must produce:
``golden.gru.bigru_layer_q`` (or ``gru_layer_q`` for one direction) for every h_t, gate and
product value, and ``golden.gru_seq`` (contract 8.7) for the per-phase expectations (STEP words,
PERF_GRU_*, the cycle counts of 8.6).  The two golden models are also checked against each other
(h, gx, h_last, gates, ACT_NNZ, MAC_BUSY, ROWS_DONE), so a disagreement between them is reported
as such instead of being blamed on the DUT.

:func:`compare_phase` turns a :class:`~tb.gru.items.GruPhaseResult` into mismatch messages.
Every h message names the time step t, the direction and the neuron j, with DUT and golden h and
the golden gates, e.g. ``h mismatch: step t=3 direction=bwd neuron j=5: DUT 0x0123 golden
0x0120 (r=0x0080, z=0x00c0, n=0x0100, h_prev=0x0000, processing step s=4)``.  Only the first
``MAX_MESSAGES`` mismatches of a kind are spelled out, then one line with the total.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from golden.config import HwConfig, ceil_div
from golden.encode import encode_activations
from golden.gru import GruTrace, bigru_layer_q, gru_layer_q
from golden.matvec import matvec_q
from golden.numerics import mul_q88, sat16
from golden.perf import PerfResult
from golden.perf_v2 import simulate_product
from tb.common.bfm import LANE_STAT_NAMES, PERF_REGS, STATUS_BUSY, STATUS_DONE, STATUS_ERROR
from tb.gru.bfm import (REG, DIR_NAMES, N_DUMP_REGS, PHASE_H, PHASE_M, PHASE_X, STEP_NAMES,
                        GruDump)
from tb.gru.items import BUSY_CODES, GRU_ERR_NAMES, GruLayerItem, GruPhaseResult

MAX_MESSAGES = 6
GATES = ("r", "z", "n")


def _hx(v: int) -> str:
    return f"0x{int(v) & 0xFFFF:04x}"


def _err(code: int) -> str:
    return f"{code} ({GRU_ERR_NAMES.get(code, '?')})"


# -- golden expectations ------------------------------------------------------------------------------

@dataclass
class DirGolden:
    """One direction of the layer, every array indexed by time t (HOUT order)."""

    direction: int
    trace: GruTrace                  # golden.gru trace in processing order
    h: np.ndarray                    # (T, Hd)
    gx: np.ndarray                   # (T, 3Hd)
    gh: np.ndarray                   # (T, 3Hd)
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    h_prev: np.ndarray               # (T, Hd): the state the step at time t read
    pre_r: np.ndarray                # (T, Hd) sat16(gx_r + gh_r): sigmoid input
    pre_z: np.ndarray
    pre_n: np.ndarray                # sat16(gx_n + r*gh_n): tanh input
    h_raw: np.ndarray                # (T, Hd) h before the threshold
    h_last: np.ndarray               # HBUF after the H phase

    def time_of_step(self, s: int) -> int:
        return s if self.direction == 0 else len(self.h) - 1 - s

    def step_of_time(self, t: int) -> int:
        return self.time_of_step(t)


@dataclass
class GoldenLayer:
    item: Any                                         # GruLayerSpec (or the item itself)
    dirs: dict[int, DirGolden]
    out: Optional[np.ndarray]                         # (T, 2Hd) bigru output when bidirectional
    phases: dict[tuple[int, str], Any]                # (dir, phase) -> gru_seq.PhaseExpect
    golden_errors: list[str] = field(default_factory=list)


def _time_order(a: np.ndarray, direction: int) -> np.ndarray:
    return np.asarray(a) if direction == 0 else np.asarray(a)[::-1]


def dir_golden(direction: int, trace: GruTrace, h0: np.ndarray, threshold: int) -> DirGolden:
    Hd = trace.h.shape[1]
    T = trace.h.shape[0]
    prev = np.concatenate([np.asarray(h0, dtype=np.int64)[None, :],
                           trace.h[:-1].astype(np.int64)], axis=0)        # processing order
    gx, gh = trace.gx.astype(np.int64), trace.gh.astype(np.int64)
    pre_r = sat16(gx[:, :Hd] + gh[:, :Hd]).astype(np.int64)
    pre_z = sat16(gx[:, Hd:2 * Hd] + gh[:, Hd:2 * Hd]).astype(np.int64)
    pre_n = sat16(gx[:, 2 * Hd:] + mul_q88(trace.r.astype(np.int64), gh[:, 2 * Hd:])).astype(np.int64)
    n64, z64 = trace.n.astype(np.int64), trace.z.astype(np.int64)
    h_raw = sat16(n64 + mul_q88(z64, prev - n64)).astype(np.int64)
    o = lambda a: _time_order(a, direction).astype(np.int64)  # noqa: E731
    return DirGolden(direction, trace, o(trace.h), o(trace.gx), o(trace.gh), o(trace.r),
                     o(trace.z), o(trace.n), o(prev), o(pre_r), o(pre_z), o(pre_n), o(h_raw),
                     trace.h[T - 1].astype(np.int64) if T else np.asarray(h0, dtype=np.int64))


def golden_traces(item: Any) -> tuple[dict[int, GruTrace], Optional[np.ndarray]]:
    """golden.gru traces (processing order) per direction and the bigru output if bidirectional."""
    xs = np.asarray(item.x_seq, dtype=np.int64)
    if len(item.directions) == 2:
        bi = bigru_layer_q(xs, item.params[0], item.params[1], item.h0[0], item.h0[1],
                           item.threshold)
        return {0: bi.fwd, 1: bi.bwd}, bi.out.astype(np.int64)
    d = item.directions[0]
    tr = gru_layer_q(xs if d == 0 else xs[::-1], item.params[d], item.h0[d], item.threshold)
    return {d: tr}, None


def gru_run(item: Any, direction: int):
    from golden.gru_seq import GruRun
    return GruRun(I=item.I, Hd=item.Hd, T=item.T, threshold=item.threshold, direction=direction,
                  mode=item.mode, rep_rows=item.rep_rows, shift=item.shift,
                  feat=getattr(item, "feat", 0))


def golden_layer(item: Any, hw: HwConfig) -> GoldenLayer:
    """Every expectation of a legal layer (both golden models, cross-checked).  ``item`` is a
    GruLayerItem or its picklable GruLayerSpec (the predictor's worker gets the latter)."""
    from golden import gru_seq
    traces, out = golden_traces(item)
    dirs = {d: dir_golden(d, tr, item.h0[d], item.threshold) for d, tr in traces.items()}
    phases: dict[tuple[int, str], Any] = {}
    errors: list[str] = []
    xs = np.asarray(item.x_seq, dtype=np.int16)
    for d, g in dirs.items():
        p = item.params[d]
        run = gru_run(item, d)
        ex = gru_seq.expect_x_phase(hw, run, p.W_ih, p.b_ih, xs)
        eh = gru_seq.expect_h_phase(hw, run, p.W_hh, p.b_hh, np.asarray(ex.gx, dtype=np.int16),
                                    np.asarray(item.h0[d], dtype=np.int16))
        phases[(d, PHASE_X)], phases[(d, PHASE_H)] = ex, eh
        errors += golden_consistency(item, g, ex, eh, hw)
    if out is not None:
        want = np.concatenate([dirs[0].h, dirs[1].h], axis=1)
        if not np.array_equal(out, want):
            errors.append("golden: bigru_layer_q.out differs from its own fwd/bwd traces")
    return GoldenLayer(item, dirs, out, phases, errors)


def golden_consistency(item: Any, g: DirGolden, ex: Any, eh: Any, hw: HwConfig) -> list[str]:
    """golden/gru_seq.py against golden/gru.py and first principles (cheap, exact)."""
    name, dn = item.get_name(), DIR_NAMES[g.direction]
    errs: list[str] = []

    def same(what: str, a, b) -> None:
        if a is None or not np.array_equal(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)):
            errs.append(f"golden disagreement ({name} {dn}): gru_seq {what} differs from golden.gru")

    same("X-phase gx", ex.gx, g.gx)
    same("H-phase h", eh.h, g.h)
    same("H-phase h_last", eh.h_last, g.h_last)
    for gate in GATES:
        same(f"H-phase {gate}", getattr(eh, gate), getattr(g, gate))
    xs = np.asarray(item.x_seq)
    for phase, exp in ((PHASE_X, ex), (PHASE_H, eh)):
        if len(exp.steps) != item.T:
            errs.append(f"golden disagreement ({name} {dn} {phase}): {len(exp.steps)} steps, T={item.T}")
            continue
        W = item.weights(g.direction, phase)[0] != 0
        for s, st in enumerate(exp.steps):
            t = s if phase == PHASE_X else g.time_of_step(s)
            a = xs[t] if phase == PHASE_X else g.h_prev[t]
            a = np.asarray(a) != 0
            if st.act_nnz != int(a.sum()):
                errs.append(f"golden disagreement ({name} {dn} {phase} s={s}): ACT_NNZ "
                            f"{st.act_nnz}, the product reads {int(a.sum())} non-zeros")
            mac = int((W & a[None, :]).sum())
            # every row is one task per partition lane: ROWS_DONE = M * V
            if st.product.mac_busy != mac or st.product.rows_done != item.M * hw.V:
                errs.append(f"golden disagreement ({name} {dn} {phase} s={s}): product MAC_BUSY "
                            f"{st.product.mac_busy} (effective ops {mac}) ROWS_DONE "
                            f"{st.product.rows_done} (M*V={item.M * hw.V})")
    return errs


# -- comparisons ---------------------------------------------------------------------------------------

class Limited:
    """Collects messages of one kind: the first MAX_MESSAGES in full, then a total."""

    def __init__(self, kind: str, suffix: str, limit: int = MAX_MESSAGES) -> None:
        self.kind, self.suffix, self.limit = kind, suffix, limit
        self.msgs: list[str] = []
        self.count = 0

    def add(self, msg: str) -> None:
        self.count += 1
        if self.count <= self.limit:
            self.msgs.append(f"{msg}{self.suffix}")

    def result(self) -> list[str]:
        out = list(self.msgs)
        if self.count > self.limit:
            out.append(f"... {self.count} {self.kind} mismatches in total{self.suffix}")
        return out


def compare_h(dut_h: np.ndarray, g: DirGolden, suffix: str = "", what: str = "h") -> list[str]:
    """HOUT rows of one direction (T, Hd) against golden h_t, time-indexed."""
    dn = DIR_NAMES[g.direction]
    lim = Limited(what, suffix)
    dut = np.asarray(dut_h, dtype=np.int64)
    if dut.shape != g.h.shape:
        return [f"{what} shape: DUT {dut.shape} golden {g.h.shape}{suffix}"]
    bad = list(zip(*np.nonzero(dut != g.h)))
    # processing order (s, then j): the first message is the first step that went wrong
    for t, j in sorted(bad, key=lambda tj: (g.step_of_time(int(tj[0])), int(tj[1]))):
        lim.add(f"{what} mismatch: step t={t} direction={dn} neuron j={j}: DUT {_hx(dut[t, j])} "
                f"golden {_hx(g.h[t, j])} (r={_hx(g.r[t, j])}, z={_hx(g.z[t, j])}, "
                f"n={_hx(g.n[t, j])}, h_prev={_hx(g.h_prev[t, j])}, "
                f"processing step s={g.step_of_time(int(t))})")
    return lim.result()


def compare_gx(dut_gx: np.ndarray, g: DirGolden, suffix: str = "", what: str = "gx") -> list[str]:
    dn = DIR_NAMES[g.direction]
    Hd = g.h.shape[1]
    lim = Limited(what, suffix)
    dut = np.asarray(dut_gx, dtype=np.int64)
    if dut.shape != g.gx.shape:
        return [f"{what} shape: DUT {dut.shape} golden {g.gx.shape}{suffix}"]
    for t, r in zip(*np.nonzero(dut != g.gx)):
        lim.add(f"{what} mismatch: step t={t} direction={dn} row {r} (gate {GATES[r // Hd]}, "
                f"neuron j={r % Hd}): DUT {_hx(dut[t, r])} golden {_hx(g.gx[t, r])}")
    return lim.result()


def compare_hbuf(dut: np.ndarray, g: DirGolden, suffix: str = "") -> list[str]:
    dn = DIR_NAMES[g.direction]
    lim = Limited("HBUF", suffix)
    d = np.asarray(dut, dtype=np.int64)
    t_last = g.time_of_step(len(g.h) - 1)
    for j in np.nonzero(d != g.h_last)[0]:
        lim.add(f"HBUF mismatch after the H phase: direction={dn} neuron j={j}: DUT {_hx(d[j])} "
                f"golden {_hx(g.h_last[j])} (the last h, time t={t_last})")
    return lim.result()


def product_words(p: PerfResult) -> dict[str, int]:
    return {"PROD_CYCLES": p.cycles, "MAC_BUSY": p.mac_busy, "STEAL_GRANTED": p.steals_granted,
            "STEAL_REFUSED": p.steals_refused, "IDLE": p.idle, "ROWS_DONE": p.rows_done}


def expected_step_words(exp: Any) -> np.ndarray:
    """(T, 8) STEP words a phase must leave (8.4)."""
    rows = []
    for st in exp.steps:
        w = product_words(st.product)
        rows.append([w[n] for n in STEP_NAMES[:6]] + [st.step_cycles, st.act_nnz])
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(STEP_NAMES))


def compare_steps(dut_steps: np.ndarray, exp: Any, g: DirGolden, phase: str,
                  suffix: str = "") -> list[str]:
    dn = DIR_NAMES[g.direction]
    want = expected_step_words(exp)
    got = np.asarray(dut_steps, dtype=np.int64)
    lim = Limited("STEP", suffix)
    if got.shape != want.shape:
        return [f"STEP shape: DUT {got.shape} golden {want.shape}{suffix}"]
    for s, k in zip(*np.nonzero(got != want)):
        t = s if phase == PHASE_X else g.time_of_step(int(s))
        lim.add(f"STEP mismatch: phase {phase} direction={dn} step s={s} (t={t}) {STEP_NAMES[k]}: "
                f"DUT {got[s, k]} golden {want[s, k]}")
    return lim.result()


def expected_gru_regs(item: GruLayerItem, exp: Any) -> dict[str, int]:
    return {"GRU_STEPS": item.T, "PERF_GRU_CYCLES": exp.cycles,
            "PERF_GRU_MAC_BUSY": sum(s.product.mac_busy for s in exp.steps),
            "PERF_GRU_STEALS": sum(s.product.steals_granted for s in exp.steps)}


def compare_regs(dump: GruDump, want: dict[str, int], what: str, suffix: str = "") -> list[str]:
    return [f"{what} {name}: DUT {dump.reg(name)} golden {v}{suffix}"
            for name, v in want.items() if dump.reg(name) != v]


def compare_lane_stats(dump: GruDump, p: PerfResult, hw: HwConfig, suffix: str = "") -> list[str]:
    lim = Limited("lane statistics", suffix)
    got = dump.lane_stats()
    for h, v in hw.lanes():
        want = p.lanes.words(h, v)
        for name in LANE_STAT_NAMES:
            if got[(h, v)][name] != want[name]:
                lim.add(f"last product lane ({h},{v}) {name}: DUT {got[(h, v)][name]} "
                        f"golden {want[name]}")
    return lim.result()


def compare_status(res: GruPhaseResult, expect_err: int, suffix: str) -> list[str]:
    errs = []
    st = res.dump.status()
    if st["ERR_CODE"] != expect_err:
        errs.append(f"ERR_CODE: DUT {_err(st['ERR_CODE'])} expected {_err(expect_err)}{suffix}")
    want = STATUS_DONE | (STATUS_ERROR if st["ERR_CODE"] else 0)
    if st["STATUS"] & (STATUS_BUSY | STATUS_DONE | STATUS_ERROR) != want:
        errs.append(f"STATUS: DUT {st['STATUS']:#x} expected {want:#x} (idle, done"
                    f"{', error' if st['ERR_CODE'] else ''}){suffix}")
    if res.irq_pulses != 1:
        errs.append(f"irq_o: {res.irq_pulses} pulses, expected 1 when done rose{suffix}")
    return errs


UNKNOWN_REGS = tuple(range(0x13, 0x20)) + tuple(range(0x2B, N_DUMP_REGS))


def compare_unknown_regs(dump: GruDump, sfx: str) -> list[str]:
    """Unknown register addresses (0x13 .. 0x1F, >= 0x2B) read 0 (8.3)."""
    bad = [a for a in UNKNOWN_REGS if dump.regs[a] != 0]
    return [f"unknown register {a:#04x} reads {int(dump.regs[a]):#x}, expected 0 "
            f"({len(bad)} unknown addresses non-zero){sfx}" for a in bad[:1]]


def phase_suffix(res: GruPhaseResult) -> str:
    return (f" [layer '{res.item.get_name()}' phase {res.phase} #{res.phase_no} "
            f"(result #{res.index})]")


def compare_phase(res: GruPhaseResult, gold: Optional[GoldenLayer], hw: HwConfig) -> list[str]:
    """Every check of one phase; an empty list is a pass."""
    item = res.item
    sfx = phase_suffix(res)
    if res.notes:
        return [f"{n}{sfx}" for n in res.notes]
    if res.timed_out or not res.done:
        return [f"phase {res.phase} direction={res.dir_name}: done_o did not rise within "
                f"{res.wait_cycles} cycles; DUT hung{sfx}"]
    if item.err is not None:
        return compare_rejected(res, sfx, hw)
    if res.phase == PHASE_M:
        return compare_interlude(res, hw, sfx)
    assert gold is not None
    errs: list[str] = list(gold.golden_errors) if res.phase_no == 0 else []
    expect_err = BUSY_CODES[item.busy_inject] if item.busy_inject and res.last_phase else 0
    errs += compare_status(res, expect_err, sfx)
    errs += compare_unknown_regs(res.dump, sfx)
    g = gold.dirs[res.direction]
    exp = gold.phases[(res.direction, res.phase)]
    d = res.dump
    # values first (h, HBUF, GX, surviving HOUT, the layer output), then counters: the first
    # message of a failing run is the one a regression buckets it by
    if res.phase == PHASE_H:
        errs += compare_h(d.hout_rows(item.T, res.direction, item.Hd), g, sfx)
        errs += compare_hbuf(d.hbuf[: item.Hd], g, sfx)
    errs += compare_gx(d.gx_rows(item.T, item.M), g, sfx,
                       what="gx" if res.phase == PHASE_X else "gx (after the H phase)")
    # XBUF holds x (t < T, c < I) after every phase: the sequencer only reads it
    xb = d.xbuf_rows(item.T, item.I)
    bad = np.argwhere(xb != np.asarray(item.x_seq, dtype=np.int64))
    if len(bad):
        t, c = bad[0]
        errs.append(f"XBUF: {len(bad)} words differ from the loaded x, first t={t} c={c}: "
                    f"DUT {_hx(xb[t, c])} loaded {_hx(item.x_seq[t, c])}{sfx}")
    # HOUT of the directions whose H phase already ran in this layer must survive later phases.
    done_dirs = {dd for dd, p in item.phases()[: res.phase_no] if p == PHASE_H}
    for dd in sorted(done_dirs - {res.direction}):
        errs += compare_h(d.hout_rows(item.T, dd, item.Hd), gold.dirs[dd], sfx,
                          what=f"h (HOUT of {DIR_NAMES[dd]} after a later phase)")
    if res.last_phase and gold.out is not None:
        full = np.concatenate([d.hout_rows(item.T, 0, item.Hd), d.hout_rows(item.T, 1, item.Hd)],
                              axis=1)
        n_bad = int((full != gold.out).sum())
        if n_bad:
            errs.append(f"layer output out[t] = [h_fwd_t | h_bwd_t]: {n_bad} of {full.size} "
                        f"values differ from bigru_layer_q{sfx}")
    errs += compare_steps(d.step_words(item.T), exp, g, res.phase, sfx)
    errs += compare_regs(d, expected_gru_regs(item, exp), f"phase {res.phase} direction="
                         f"{res.dir_name}", sfx)
    last = exp.steps[-1].product
    errs += [f"last product {n}: DUT {v} golden {last.counters()[n]}{sfx}"
             for n, v in d.counters().items() if v != last.counters()[n]]
    errs += compare_lane_stats(d, last, hw, sfx)
    for name, arr in res.frontdoor.items():
        if name == "ACT_RF":
            last = item.x_seq[item.T - 1] if res.phase == PHASE_X else g.h_last
            errs += compare_act_rf(arr, np.asarray(last), item, hw, res.phase, sfx)
        else:
            errs += compare_frontdoor(name, arr, d, item, res.direction, sfx)
    for what, want, got in res.checks:
        if want != got:
            errs.append(f"{what}: DUT {got:#x} expected {want:#x}{sfx}")
    return errs


def compare_frontdoor(name: str, arr: np.ndarray, d: GruDump, item: GruLayerItem,
                      direction: int, sfx: str) -> list[str]:
    """A memory read over the bus must equal the dump's copy."""
    want = {"HOUT": lambda: d.hout_rows(item.T, direction, item.Hd),
            "GX": lambda: d.gx_rows(item.T, item.M),
            "HBUF": lambda: d.hbuf[: item.Hd],
            "XBUF": lambda: d.xbuf_rows(item.T, item.I),
            "STEP": lambda: d.step_words(item.T)}[name]()
    got = np.asarray(arr, dtype=np.int64)
    bad = np.argwhere(got != want)
    if not len(bad):
        return []
    idx = tuple(int(i) for i in bad[0])
    return [f"frontdoor {name} read differs from the dump at {len(bad)} words, first at index "
            f"{idx}: bus {int(got[idx])} dump {int(want[idx])}{sfx}"]


def compare_interlude(res: GruPhaseResult, hw: HwConfig, sfx: str) -> list[str]:
    """A plain product between GRU phases: y and PERF_* as golden, the GRU state untouched."""
    W, x, bias, layer = res.item.interlude
    errs = compare_status(res, 0, sfx)
    y = matvec_q(W, x, bias, layer.shift).astype(np.int64)
    got = res.dump.y[: layer.M]
    bad = np.nonzero(got != y)[0]
    if len(bad):
        r = int(bad[0])
        errs.append(f"plain product between GRU phases: {len(bad)} y rows differ, first row {r}: "
                    f"DUT {int(got[r])} golden {int(y[r])}{sfx}")
    perf = simulate_product(W != 0, x != 0, hw, layer)
    errs += [f"plain product between GRU phases: {n} DUT {v} golden {perf.counters()[n]}{sfx}"
             for n, v in res.dump.counters().items() if v != perf.counters()[n]]
    errs += compare_lane_stats(res.dump, perf, hw, sfx)
    for mem in ("XBUF", "HBUF", "GX", "HOUT", "STEP"):
        before, after = res.before.memories()[mem], res.dump.memories()[mem]
        diff = np.nonzero(before != after)[0]
        if len(diff):
            i = int(diff[0])
            errs.append(f"plain product between GRU phases changed {mem}: {len(diff)} words, "
                        f"first address {i}: {int(before[i]):#x} -> {int(after[i]):#x}{sfx}")
    for name in ("GRU_STEPS", "PERF_GRU_CYCLES", "PERF_GRU_MAC_BUSY", "PERF_GRU_STEALS"):
        if res.before.reg(name) != res.dump.reg(name):
            errs.append(f"plain product between GRU phases changed {name}: "
                        f"{res.before.reg(name)} -> {res.dump.reg(name)}{sfx}")
    return errs


def compare_act_rf(got: dict, last: np.ndarray, item: GruLayerItem, hw: HwConfig, phase: str,
                   sfx: str) -> list[str]:
    """The activation RFs after a phase = golden.encode of the phase's last vector (the words a
    product reads: K mask words per filled segment and the first popcount values)."""
    enc = encode_activations(np.asarray(last, dtype=np.int16), hw, len(last), item.mode)
    lim = Limited("activation RF", sfx)
    what = "x_{T-1}" if phase == PHASE_X else "the last h"
    for (g, v, seg), (masks, vals) in got.items():
        base_m, base_v = seg * hw.KW_MAX, seg * hw.P_MAX
        want_m = np.asarray(enc.amask[(g, v)][base_m: base_m + len(masks)], dtype=np.int64)
        n_val = int(sum(bin(int(w)).count("1") for w in want_m))
        want_v = np.asarray(enc.aval[(g, v)][base_v: base_v + n_val], dtype=np.int64)
        for k in np.nonzero(masks != want_m)[0]:
            lim.add(f"activation RF after phase {phase}: PE ({g},{v}) segment {seg} mask word "
                    f"{k}: DUT {int(masks[k]):#06x} golden {int(want_m[k]):#06x} (encoding of "
                    f"{what})")
        for j in np.nonzero(vals[:n_val] != want_v)[0]:
            lim.add(f"activation RF after phase {phase}: PE ({g},{v}) segment {seg} value {j}: "
                    f"DUT {_hx(vals[j])} golden {_hx(want_v[j])} (encoding of {what})")
    return lim.result()


def compare_rejected(res: GruPhaseResult, sfx: str, hw: HwConfig) -> list[str]:
    """An illegal start: the code, done, and nothing else changed (8.5)."""
    case = res.item.err
    if case.mem_ops or case.reg_ops:
        # memory-port and register errors: no start, so no done and no irq; only the code
        code = res.dump.reg("ERR_CODE")
        errs = [] if code == case.expect else [
            f"ERR_CODE: DUT {_err(code)} expected {_err(case.expect)}{sfx}"]
        if res.irq_pulses:
            errs.append(f"irq_o: {res.irq_pulses} pulses after a memory-port/register error, "
                        f"expected 0{sfx}")
    else:
        errs = compare_status(res, case.expect, sfx)
    b, a = res.before, res.dump
    errs += compare_unknown_regs(a, sfx)
    skip = {REG["STATUS"], REG["ERR_CODE"], REG["CTRL"]}
    mems = list(b.memories())
    if case.wptr:
        # an aborted phase: the steps before the aborting one completed, nothing else was
        # written to the GRU memories or y; the counters, STEP and lane statistics describe the
        # partial product (not compared). An abort in a later step of an overlapped X phase
        # also cuts short the output phase of the step before: GX and y are then partial.
        skip |= {REG[n] for n in ("GRU_STEPS", "PERF_GRU_CYCLES", "PERF_GRU_MAC_BUSY",
                                  "PERF_GRU_STEALS", *PERF_REGS)}
        mems = ["XBUF", "HBUF", "HOUT"] + ([] if case.wptr_step else ["GX", "y"])
        if a.reg("GRU_STEPS") != case.wptr_step:
            errs.append(f"GRU_STEPS after an abort in step {case.wptr_step}: DUT "
                        f"{a.reg('GRU_STEPS')} expected {case.wptr_step}{sfx}")
        elif case.name == "wptr_mid_prefetch" and not abort_mid_prefetch(res, hw):
            errs.append(f"the abort came after the encoder had finished x_1 (PERF_CYCLES "
                        f"{a.reg('PERF_CYCLES')}): the case does not test what it names{sfx}")
        elif case.name == "wptr_run_ahead" and not abort_ran_ahead(res, hw):
            errs.append(f"the abort came before x_1 was encoded, or PERF_CYCLES (product 0's "
                        f"compute cycles up to the abort, {a.reg('PERF_CYCLES')}) does not add "
                        f"up to PERF_GRU_CYCLES {a.reg('PERF_GRU_CYCLES')}{sfx}")
        elif case.wptr_step == 1 and not abort_beside_drain(res, hw):
            errs.append(f"the abort in step 1 came after product 0's output phase had ended "
                        f"(PERF_GRU_CYCLES {a.reg('PERF_GRU_CYCLES')}, STEP_CYCLES[0] "
                        f"{int(a.step_words(1)[0, 6])}): the case does not test what it names"
                        f"{sfx}")
    for addr in range(N_DUMP_REGS):
        if addr not in skip and b.regs[addr] != a.regs[addr]:
            name = next((n for n, v in REG.items() if v == addr), f"0x{addr:02x}")
            errs.append(f"rejected start ({case.name}) changed register {name}: "
                        f"{int(b.regs[addr]):#x} -> {int(a.regs[addr]):#x}{sfx}")
    for mem in mems:
        before, after = b.memories()[mem], a.memories()[mem]
        diff = np.nonzero(before != after)[0]
        if len(diff):
            i = int(diff[0])
            errs.append(f"rejected start ({case.name}) changed {mem}: {len(diff)} words, first "
                        f"address {i}: {int(before[i]):#x} -> {int(after[i]):#x}{sfx}")
    for what, want, got in res.checks:
        if want != got:
            errs.append(f"{what}: DUT {got:#x} expected {want:#x}{sfx}")
    return errs


def abort_mid_prefetch(res: Any, hw: HwConfig) -> bool:
    """Whether an ERR_WPTR abort in product 0 of a PREFETCH X phase came while the encoder was
    still streaming x_1 (contract 8.6: started with product 0, done F = I + pad(I) + 1 cycles
    later; PERF_CYCLES after an abort counts product 0's compute cycles up to the abort)."""
    from golden.gru_seq import encoder_pad
    I = res.item.I
    return res.dump.reg("PERF_CYCLES") < I + encoder_pad(hw, I) + 1


def abort_ran_ahead(res: Any, hw: HwConfig) -> bool:
    """Whether an ERR_WPTR abort of a RUN_AHEAD X phase came from product 1 while product 0
    still computed (contract 8.6): after x_1's done cycle (F = feed + pad(I) + 1 cycles after
    product 0's start, itself E = F + 1 cycles into the phase), with PERF_CYCLES = product 0's
    compute cycles up to and including the aborting one, so PERF_GRU_CYCLES = E + PERF_CYCLES
    + 1 (the drain cycle) as for an abort in step 0 of any X phase."""
    d, F = res.dump, prefetch_encode_cycles(res.item, hw)
    E = F + 1
    return d.reg("PERF_CYCLES") > F and d.reg("PERF_GRU_CYCLES") == E + d.reg("PERF_CYCLES") + 1


def prefetch_encode_cycles(item: Any, hw: HwConfig) -> int:
    """F of contract 8.6: cycles from a start of the encoder on x_t to its done cycle in the
    item's X phase (feed(I) + pad(I) + 1)."""
    from golden.config import FEAT_WIDE_ENC
    from golden.gru_seq import encoder_feed_cycles, encoder_pad
    return encoder_feed_cycles(hw, item.I, bool(item.feat & FEAT_WIDE_ENC)) + \
        encoder_pad(hw, item.I) + 1


def abort_beside_drain(res: Any, hw: HwConfig) -> bool:
    """Whether an ERR_WPTR abort in step 1 of an overlapped X phase came while product 0's output
    phase was still running (contract 8.6: step 0 ends with SqStep at c_0 + 2 = STEP_CYCLES[0],
    its output phase runs to c_0 + ceil(M/H); the phase's last busy cycle is the drain cycle
    after the aborting compute cycle, so that cycle is PERF_GRU_CYCLES - 1)."""
    d, item = res.dump, res.item
    c0 = int(d.step_words(1)[0, 6]) - 2
    return d.reg("PERF_GRU_CYCLES") - 1 <= c0 + ceil_div(item.M, hw.H)


__all__ = ["golden_layer", "compare_phase", "compare_h", "compare_gx", "compare_steps",
           "GoldenLayer", "DirGolden", "MAX_MESSAGES", "PERF_REGS"]


# -- the activation encoder's writes, cycle by cycle (reset in the middle of a stream) ----------------

def apply_encoder_writes(rf: dict, cycles: list[list[tuple]], hw: HwConfig) -> None:
    """Apply encoder write cycles to ``rf``: {(g, v): {"amask": int64[], "aval": int64[]}}."""
    for writes in cycles:
        for kind, v, addr, value in writes:
            for g in range(hw.H // hw.G):
                rf[(g, v)][kind][addr] = value


def act_rf_image(image: Any, hw: HwConfig) -> dict:
    """The whole activation RFs a (backdoor-loaded) MatvecImage leaves, as a writable copy."""
    return {pe: {"amask": np.asarray(image.amask[pe], dtype=np.int64).copy(),
                 "aval": np.asarray(image.aval[pe], dtype=np.int64).copy()} for pe in hw.pes()}


def compare_act_rf_words(got: dict, want: dict, what: str, sfx: str) -> list[str]:
    """Every word of every PE's act mask and act value RF (sel 3 and 4), both as unsigned words
    of the memory's width: the encoder writes exactly the words of its stream, nothing else."""
    lim = Limited("activation RF word", sfx)
    for pe in sorted(want):
        for kind, width in (("amask", None), ("aval", 16)):
            w = np.asarray(want[pe][kind], dtype=np.int64)
            g_ = np.asarray(got[pe][kind], dtype=np.int64)
            if width:
                w = w & ((1 << width) - 1)
                g_ = g_ & ((1 << width) - 1)
            for a in np.nonzero(g_ != w)[0]:
                lim.add(f"{what}: PE {pe} {kind}[{a}]: DUT {int(g_[a]):#06x} expected "
                        f"{int(w[a]):#06x}")
    return lim.result()
