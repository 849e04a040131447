#!/usr/bin/env python3
"""What CFG_FEAT.OVERLAP, PREFETCH and WIDE_ENC buy a GRU X phase: the RTL's rules beside the
performance model's O1.

For each configuration, one X phase (T independent products W_ih x_t, W_ih of 3Hd x I) runs with
NULL_SKIP | ROW_SKIP, without OVERLAP, with OVERLAP, with OVERLAP + PREFETCH (x_{t+1} encoded
into a second activation RF set beside product t) and with those and WIDE_ENC (the encoder takes
a mask word per cycle) through golden.gru_seq.expect_x_phase: the
cycle-exact prediction the scoreboards check the RTL against (docs/gru-layer.md 8.6). Beside it,
the performance model's O1 (golden.perf_v2.schedule_products) on the same products, which starts
product t+1 as soon as product t's address generators are done and has no encoder, i.e. assumes
a second set of activation RFs; and the encoder's share of the phase, which neither overlap
removes. Last, the lane run-ahead (O2, CFG_FEAT.RUN_AHEAD) X phase on the same layer
(golden.gru_seq.x_phase_run_ahead, which the RTL matches cycle for cycle: the RTL's encoder and
two activation RF sets) beside the model's O2 on the same products, which has no encoder. Every
number is computed here, nothing is typed in.

    python scripts/bench_overlap.py                       # 8x8, 16x16, 32x32, markdown
    python scripts/bench_overlap.py --config 4x2 --steps 8 --json
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

import numpy as np  # noqa: E402

from golden.config import (FEAT_NULL_SKIP, FEAT_OVERLAP, FEAT_PREFETCH, FEAT_ROW_SKIP,  # noqa: E402
                           FEAT_SPLIT, FEAT_WIDE_ENC, HwConfig, StealMode, ceil_div,
                           words_per_row)
from golden.encode import split_plan  # noqa: E402
from golden.gru_seq import (GruRun, encoder_pad, expect_h_phase, expect_x_phase,  # noqa: E402
                             h_phase_wide_cell_cycles, hd_max, x_phase_run_ahead)
from golden.perf_v2 import PerfFeatures, simulate_sequence_v2  # noqa: E402
from tb.common.configs import resolve  # noqa: E402

BASE_FEAT = FEAT_NULL_SKIP | FEAT_ROW_SKIP


def x_phase(hw: HwConfig, I: int, Hd: int, T: int, w_density: float, a_density: float,
            mode: StealMode, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    M = 3 * Hd
    W = np.where(rng.random((M, I)) < w_density, rng.integers(1, 128, (M, I)), 0).astype(np.int8)
    b = np.zeros(M, dtype=np.int16)
    x = np.where(rng.random((T, I)) < a_density, rng.integers(1, 500, (T, I)), 0).astype(np.int16)
    run = GruRun(I, Hd, T, 0, 0, mode, 1 if mode != StealMode.NONE else 0, 6, BASE_FEAT)
    serial = expect_x_phase(hw, run, W, b, x)
    overlap = expect_x_phase(hw, dataclasses.replace(run, feat=BASE_FEAT | FEAT_OVERLAP), W, b, x)
    prefetch = expect_x_phase(hw, dataclasses.replace(
        run, feat=BASE_FEAT | FEAT_OVERLAP | FEAT_PREFETCH), W, b, x)
    wide = expect_x_phase(hw, dataclasses.replace(
        run, feat=BASE_FEAT | FEAT_OVERLAP | FEAT_PREFETCH | FEAT_WIDE_ENC), W, b, x)
    prods = [s.product for s in serial.steps]
    out = ceil_div(M, hw.H)
    wide_run = dataclasses.replace(run, feat=BASE_FEAT | FEAT_OVERLAP | FEAT_PREFETCH
                                   | FEAT_WIDE_ENC)
    run_ahead = x_phase_run_ahead(hw, wide_run, W != 0, x != 0)
    # What limits it at paper scale: a third activation RF set, or V encoders (one per
    # partition, a mask word each per cycle: F = K + 1 instead of V*K + 1).
    three_sets = x_phase_run_ahead(hw, wide_run, W != 0, x != 0, sets=3)
    fast_encoder = x_phase_run_ahead(hw, wide_run, W != 0, x != 0,
                                     encoder_cycles=words_per_row(hw, I) + 1)
    # The chosen stealing scheme (split ranges, a load-placed 10 % plan) on the same X phase.
    split = split_ahead = None
    if mode != StealMode.NONE:
        split_run = dataclasses.replace(wide_run, feat=wide_run.feat | FEAT_SPLIT)
        plan = split_plan(W, hw, split_run.layer(I), "load", 0.10)
        split = expect_x_phase(hw, split_run, W, b, x, plan=plan)
        split_ahead = x_phase_run_ahead(hw, split_run, W != 0, x != 0, plan=plan)
    model = {(o, ra): simulate_sequence_v2(
        W != 0, x != 0, hw, run.layer(I),
        PerfFeatures(null_word_skip=True, skip_empty_rows=True, overlap_output=o,
                     run_ahead=ra)).cycles
        for o, ra in ((False, False), (True, False), (True, True))}
    enc = T * (I + encoder_pad(hw, I) + 2)

    def util(mac_busy: int, cycles: int) -> float:
        return round(mac_busy / (cycles * hw.n_lanes), 3)

    # The same layer's H phase (W_hh at the same density; drawn last so the X phase keeps its
    # draws): its products are dependent, and each step also passes Hd neurons one per cycle
    # through the cell, which feeds the encoder.
    U = np.where(rng.random((M, Hd)) < w_density, rng.integers(-127, 128, (M, Hd)),
                 0).astype(np.int8)
    h_phase = expect_h_phase(hw, wide_run, U, b, wide.gx)
    h_products = sum(st.product.cycles for st in h_phase.steps)
    h_wide_cell = h_phase_wide_cell_cycles(hw, h_phase, Hd)
    return {"config": hw.name,
            "I": I, "Hd": Hd, "T": T, "mode": mode.name.lower(),
            "compute_cycles": sum(p.compute_cycles for p in prods),
            "output_cycles": T * out, "encoder_cycles": enc,
            "x_phase_serial": serial.cycles, "x_phase_overlap": overlap.cycles,
            "rtl_speedup": round(serial.cycles / overlap.cycles, 3),
            "x_phase_prefetch": prefetch.cycles,
            "rtl_prefetch_speedup": round(serial.cycles / prefetch.cycles, 3),
            "x_phase_wide": wide.cycles,
            "rtl_wide_speedup": round(serial.cycles / wide.cycles, 3),
            "model_products_serial": model[False, False],
            "model_products_o1": model[True, False],
            "model_o1_speedup_products_only": round(model[False, False] / model[True, False], 3),
            "util_wide": util(wide.mac_busy, wide.cycles),
            "x_phase_wide_split": split.cycles if split else None,
            "util_wide_split": util(split.mac_busy, split.cycles) if split else None,
            "x_phase_run_ahead": run_ahead.cycles,
            "run_ahead_speedup_vs_wide": round(wide.cycles / run_ahead.cycles, 3),
            "x_phase_run_ahead_split": split_ahead.cycles if split_ahead else None,
            "util_run_ahead_split": (util(split_ahead.mac_busy, split_ahead.cycles)
                                     if split_ahead else None),
            "x_phase_run_ahead_3_sets": three_sets.cycles,
            "x_phase_run_ahead_v_encoders": fast_encoder.cycles,
            "model_products_o2": model[True, True],
            "h_phase": h_phase.cycles, "h_phase_products": h_products,
            "layer_utilisation": util(wide.mac_busy + h_phase.mac_busy,
                                      wide.cycles + h_phase.cycles),
            "h_phase_wide_cell": h_wide_cell,
            "layer_utilisation_wide_cell": util(wide.mac_busy + h_phase.mac_busy,
                                                wide.cycles + h_wide_cell)}


def pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def markdown(rows: list[dict[str, Any]]) -> str:
    head = ("| config | I x Hd x T | compute | output | encoder | X phase, serial | X phase, "
            "OVERLAP (RTL) | RTL speedup | + PREFETCH (RTL) | RTL speedup | + WIDE_ENC (RTL) | "
            "RTL speedup | utilisation | + SPLIT, load plan 10 % (RTL) | utilisation | "
            "model O1, products alone (cycles, speedup) | + RUN_AHEAD, O2 "
            "(RTL) | vs + WIDE_ENC | O2 + SPLIT (RTL) | utilisation | O2, 3 act sets (model) | "
            "O2, V encoders (model) | model O2, products alone |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
            "---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r['config']} | {r['I']} x {r['Hd']} x {r['T']} | {r['compute_cycles']} | "
                     f"{r['output_cycles']} | {r['encoder_cycles']} | {r['x_phase_serial']} | "
                     f"{r['x_phase_overlap']} | {r['rtl_speedup']}x | {r['x_phase_prefetch']} | "
                     f"{r['rtl_prefetch_speedup']}x | {r['x_phase_wide']} | "
                     f"{r['rtl_wide_speedup']}x | {pct(r['util_wide'])} | "
                     f"{r['x_phase_wide_split'] or '-'} | {pct(r['util_wide_split'])} | "
                     f"{r['model_products_o1']}, {r['model_o1_speedup_products_only']}x | "
                     f"{r['x_phase_run_ahead']} | {r['run_ahead_speedup_vs_wide']}x | "
                     f"{r['x_phase_run_ahead_split'] or '-'} | {pct(r['util_run_ahead_split'])} | "
                     f"{r['x_phase_run_ahead_3_sets']} | {r['x_phase_run_ahead_v_encoders']} | "
                     f"{r['model_products_o2']} |")
    lines += ["", "| config | I x Hd x T | X phase (+ WIDE_ENC) | H phase | H phase products | "
              "H phase cell pass and encoder | layer utilisation | H phase, wide cell (proposed) | "
              "layer utilisation |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['config']} | {r['I']} x {r['Hd']} x {r['T']} | {r['x_phase_wide']} | "
                     f"{r['h_phase']} | {r['h_phase_products']} | "
                     f"{r['h_phase'] - r['h_phase_products']} | {pct(r['layer_utilisation'])} | "
                     f"{r['h_phase_wide_cell']} | {pct(r['layer_utilisation_wide_cell'])} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", action="append", default=None,
                    help="configuration name or HxV (repeatable; default 8x8 16x16 32x32)")
    ap.add_argument("--steps", type=int, default=16)
    ap.add_argument("--w-density", type=float, default=0.10)
    ap.add_argument("--a-density", type=float, default=0.50)
    ap.add_argument("--mode", choices=[m.name.lower() for m in StealMode], default="vertical")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    rows = []
    for spec in args.config or ["8x8", "16x16", "32x32"]:
        hw = resolve(spec)
        hw = dataclasses.replace(hw, T_MAX=args.steps) if args.steps > hw.T_MAX else hw
        Hd = hd_max(hw)
        for I in sorted({Hd, hw.N_MAX}):
            rows.append(x_phase(hw, I, Hd, args.steps, args.w_density, args.a_density,
                                StealMode[args.mode.upper()], args.seed))
    print(json.dumps(rows, indent=1) if args.json else markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
