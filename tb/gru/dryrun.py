"""A golden stand-in for the DUT's GRU state: the dumps a correct masr_top would produce.

:class:`GoldenGruDut` keeps XBUF, HBUF, GX, HOUT, STEP, y, the lane statistics and registers
0..63 across phases exactly as contract section 8 says they evolve (GX/HOUT/STEP survive loads,
a rejected start changes only ERR_CODE and STATUS) and returns, per phase, the
:class:`~tb.gru.items.GruPhaseResult` the monitor would publish.  The unit tests feed these to the
scoreboard (must pass) and corrupt them (must fail with a precise message); ``python -m
tb.gru.dryrun 4x2 GruCornerSequence`` prints the GRU coverage a sequence reaches at best.
"""
from __future__ import annotations

import sys
from typing import Iterable, Optional

import numpy as np

from golden.config import HwConfig
from tb.common.bfm import LANE_STAT_NAMES, STATUS_DONE, STATUS_ERROR
from golden.matvec import matvec_q
from golden.perf import simulate_matvec
from tb.gru.bfm import (REG, N_DUMP_REGS, PHASE_M, PHASE_X, GruDump, geometry, hbuf_words,
                        xbuf_words)
from tb.gru.checks import (GoldenLayer, expected_gru_regs, expected_step_words, golden_layer,
                           prefetch_encode_cycles)
from tb.gru.items import BUSY_CODES, GruLayerItem, GruPhaseResult


class GoldenGruDut:
    def __init__(self, hw: HwConfig) -> None:
        self.hw = hw
        self.geo = geo = geometry(hw)
        self.regs = np.zeros(N_DUMP_REGS, dtype=np.int64)
        self.regs[REG["CFG_SHIFT"]] = 6
        self.regs[REG["CAPS4"]] = geo.caps4()
        self.mem = {"xbuf": np.zeros(geo.xbuf_depth, dtype=np.int64),
                    "hbuf": np.zeros(geo.hbuf_depth, dtype=np.int64),
                    "gx": np.zeros(geo.gx_depth, dtype=np.int64),
                    "hout": np.zeros(geo.hout_depth, dtype=np.int64),
                    "step": np.zeros(geo.step_depth, dtype=np.int64),
                    "y": np.zeros(hw.M_MAX, dtype=np.int64),
                    "stats": np.zeros(hw.n_lanes * len(LANE_STAT_NAMES), dtype=np.int64)}
        self.index = 0

    def dump(self) -> GruDump:
        files = {k: v.copy() for k, v in self.mem.items()}
        files["regs"] = self.regs.copy()
        return GruDump(self.geo, files)

    def _write_regs(self, regs: dict[str, int]) -> None:
        for name, v in regs.items():
            self.regs[REG[name]] = v & 0xFFFFFFFF

    def run_item(self, item: GruLayerItem, gold: Optional[GoldenLayer]) -> list[GruPhaseResult]:
        out = []
        phases = item.phases()
        for no, (d, ph) in enumerate(phases):
            res = GruPhaseResult(item, self.index, d, ph, no, no == len(phases) - 1, done=True,
                                 wait_cycles=1, irq_pulses=1)
            self.index += 1
            regs = item.phase_regs(d, ph)
            if item.err is not None:
                if item.err.wptr:         # the phase's backdoor load happens before the start
                    self.mem["xbuf"] = xbuf_words(self.geo, np.asarray(item.x_seq))
                    self.mem["hbuf"] = hbuf_words(self.geo, np.asarray(item.h0[d]))
                regs.update(item.err.regs)
                self._write_regs(regs)
                self.regs[REG["ERR_CODE"]] = 0
                self.regs[REG["STATUS"]] = 0
                res.before = self.dump()
                self.regs[REG["ERR_CODE"]] = item.err.expect
                if item.err.wptr:
                    self.regs[REG["GRU_STEPS"]] = item.err.wptr_step
                    self.regs[REG["PERF_GRU_CYCLES"]] = 5   # partial: any value
                if item.err.wptr_ahead:
                    # an abort a cycle after x_1's done cycle, as the contract counts it
                    # (tb.gru.checks.abort_ran_ahead)
                    F = prefetch_encode_cycles(item, self.hw)
                    self.regs[REG["PERF_CYCLES"]] = F + 1
                    self.regs[REG["PERF_GRU_CYCLES"]] = (F + 1) + (F + 1) + 1
                if item.err.mem_ops or item.err.reg_ops:
                    self.regs[REG["STATUS"]] = STATUS_ERROR
                    res.irq_pulses = 0
                else:
                    self.regs[REG["STATUS"]] = STATUS_DONE | STATUS_ERROR
            elif ph == PHASE_M:
                res.before = self.dump()
                self._run_matvec(item)
            else:
                self._run_phase(item, gold, d, ph, regs, res.last_phase)
            res.dump = self.dump()
            out.append(res)
        return out

    def _run_matvec(self, item: GruLayerItem) -> None:
        W, x, bias, layer = item.interlude
        self.mem["y"][: layer.M] = matvec_q(W, x, bias, layer.shift)
        perf = simulate_matvec(W != 0, x != 0, self.hw, layer)
        for name, v in perf.counters().items():
            self.regs[REG[name]] = v
        self._set_stats(perf)
        self._write_regs({"CFG_M": layer.M, "CFG_N": layer.N, "CFG_MODE": int(layer.mode),
                          "CFG_REP_ROWS": layer.rep_rows, "CFG_SHIFT": layer.shift})
        self.regs[REG["ERR_CODE"]] = 0
        self.regs[REG["STATUS"]] = STATUS_DONE

    def _set_stats(self, perf) -> None:
        hw, stats = self.hw, self.mem["stats"]
        for h, v in hw.lanes():
            base = hw.lane_index(h, v) * len(LANE_STAT_NAMES)
            words = perf.lanes.words(h, v)
            stats[base: base + len(LANE_STAT_NAMES)] = [words[n] for n in LANE_STAT_NAMES]

    def _run_phase(self, item: GruLayerItem, gold: GoldenLayer, d: int, ph: str,
                   regs: dict[str, int], last: bool) -> None:
        geo, hw = self.geo, self.hw
        self.mem["xbuf"] = xbuf_words(geo, np.asarray(item.x_seq))
        self.mem["hbuf"] = hbuf_words(geo, np.asarray(item.h0[d]))
        self._write_regs(regs)
        g, exp = gold.dirs[d], gold.phases[(d, ph)]
        T, M, Hd = item.T, item.M, item.Hd
        gx = self.mem["gx"].reshape(geo.T_MAX, hw.M_MAX)
        hout = self.mem["hout"].reshape(geo.T_MAX, 2, geo.HD_MAX)
        if ph == PHASE_X:
            gx[:T, :M] = g.gx
            self.mem["y"][:M] = g.gx[T - 1]
        else:
            hout[:T, d, :Hd] = g.h
            self.mem["hbuf"][:Hd] = g.h_last
            self.mem["y"][:M] = g.gh[g.time_of_step(T - 1)]
        self.mem["step"].reshape(geo.T_MAX, -1)[:T] = expected_step_words(exp)
        lastp = exp.steps[-1].product
        for name, v in lastp.counters().items():
            self.regs[REG[name]] = v
        for name, v in expected_gru_regs(item, exp).items():
            self.regs[REG[name]] = v
        self._set_stats(lastp)
        code = BUSY_CODES[item.busy_inject] if item.busy_inject and last else 0
        self.regs[REG["ERR_CODE"]] = code
        self.regs[REG["STATUS"]] = STATUS_DONE | (STATUS_ERROR if code else 0)


def golden_run(items: Iterable[GruLayerItem], hw: HwConfig):
    """(results, golden layers) of items run on the golden stand-in, in order."""
    dut = GoldenGruDut(hw)
    results, golds = [], {}
    for it in items:
        gold = golden_layer(it.spec(), hw) if it.err is None else None
        golds[id(it)] = gold
        for res in dut.run_item(it, gold):
            res.expected = gold
            results.append(res)
    return results, golds


def sequence_items(seq_cls, hw: HwConfig, seed: int) -> list[GruLayerItem]:
    seq = seq_cls("dry")
    seq.hw, seq.rng = hw, np.random.default_rng(seed)
    return list(seq.items())


def main(argv: list[str]) -> int:  # pragma: no cover - developer tool
    from tb.gru import sequences as gru_sequences
    from tb.common.configs import CONFIGS
    from tb.gru.checks import compare_phase
    from tb.gru.coverage import GruCoverageSampler
    hw = CONFIGS[argv[0]]
    sampler = GruCoverageSampler(hw)
    for name in argv[1:]:
        items = sequence_items(getattr(gru_sequences, name), hw, 1)
        results, _ = golden_run(items, hw)
        for res in results:
            errs = compare_phase(res, res.expected, hw)
            res.passed = not errs
            for e in errs:
                print(e)
            sampler.sample(res)
    for g, pct in sampler.model.percentages().items():
        print(f"{g:<28}{pct:>8.1f} %")
    for point, bins in sampler.model.detail().items():
        missing = [b for b, hits in bins.items() if not hits]
        if missing:
            print(f"  {point}: missing {', '.join(missing)}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))


__all__ = ["GoldenGruDut", "golden_run", "sequence_items"]
