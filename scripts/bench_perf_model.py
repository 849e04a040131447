#!/usr/bin/env python3
"""Benchmark the cycle-exact performance model at paper scale.

1024 lanes (32x32), an 800x800 recurrent matrix at 10% weight density, 50% activation density,
100 time steps with a fresh random activation mask per step, steal modes none / vertical /
horizontal.  Prints the wall time per mode and in total, plus cycles, utilisation and steals.

Usage (from the repo root):  python scripts/bench_perf_model.py [--steps T] [--seed S]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

import numpy as np  # noqa: E402

from golden.config import HwConfig, LayerConfig, StealMode  # noqa: E402
from golden.errors import SpecError  # noqa: E402
from golden.perf import (duplication_fraction, random_masks, rep_rows_for_fraction,  # noqa: E402
                         simulate_sequence)

from tb.common.configs import resolve  # noqa: E402

# The model's own defaults: the RTL's 32x32 with a weight SRAM deep enough for dense layers.
DEFAULT_CONFIG = "32x32:WDEPTH=8192"


def _config(spec: str) -> HwConfig:
    try:
        return resolve(spec)
    except SpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100, help="time steps T (default 100)")
    ap.add_argument("--size", type=int, default=800, help="matrix is size x size (default 800)")
    ap.add_argument("--w-density", type=float, default=0.10)
    ap.add_argument("--a-density", type=float, default=0.50)
    ap.add_argument("--rep-fraction", type=float, default=0.10,
                    help="replica rows per victim as a fraction of its own rows (default 0.1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--config", type=_config, default=DEFAULT_CONFIG,
                    help=f"array: a name or HxV[:PARAM=VALUE,...] (default {DEFAULT_CONFIG})")
    args = ap.parse_args()
    HW = args.config

    n = args.size
    w, acts = random_masks(np.random.default_rng(args.seed), n, n, args.w_density,
                           args.a_density, args.steps)
    rep = rep_rows_for_fraction(args.rep_fraction, n, HW.H)
    print(f"array {HW.H}x{HW.V} = {HW.H * HW.V} lanes, W {n}x{n} "
          f"({w.mean():.1%} dense), a {acts.mean():.1%} dense, T = {args.steps}, "
          f"rep_rows = {rep}")
    print(f"{'mode':<11}{'time s':>8}{'cycles':>9}{'compute':>9}{'util':>8}{'speedup':>9}"
          f"{'granted':>9}{'refused':>9}{'stall':>7}{'dup':>7}")
    total = 0.0
    base = None
    for mode in StealMode:
        layer = LayerConfig(M=n, N=n, mode=mode, rep_rows=rep if mode else 0)
        t0 = time.perf_counter()
        seq = simulate_sequence(w, acts, HW, layer)
        dt = time.perf_counter() - t0
        total += dt
        base = base or seq.cycles
        print(f"{mode.name:<11}{dt:>8.2f}{seq.cycles:>9}{seq.total('compute_cycles'):>9}"
              f"{seq.utilization:>8.1%}{base / seq.cycles:>9.3f}"
              f"{seq.total('steals_granted'):>9}{seq.total('steals_refused'):>9}"
              f"{seq.total('stall'):>7}{duplication_fraction(w, HW, layer):>7.1%}")
    print(f"total model time {total:.2f} s for {3 * args.steps} products")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
