#!/usr/bin/env python3
"""Benchmark the cycle-exact performance model at paper scale (v1 contract and v2 features).

Default workload: 1024 lanes (32x32), an 800x800 matrix at 10% weight density, 50% activation
density, 100 time steps with a fresh random activation mask per step (independent, back-to-back
products like a GRU's X phase), steal modes none / vertical / horizontal.

Outputs (all numbers measured by the model, nothing typed in):
- default: v1 table (wall time, cycles, utilisation, steals) as before, then the v2 modes;
- --json: one JSON object {"workload", "baseline_v1_none", "modes": {NONE, VERTICAL,
  HORIZONTAL}} for the v2 design with the stealing scheme --scheme;
- --ablation: markdown ablation (v1 -> + null-word skip -> + empty-row skip -> + overlapped
  output -> + new stealing) and every stealing scheme of SCHEMES on this workload;
- --report FILE: the ablation for 32x32, 16x16, 8x8 and the skewed 32x32 workload, as the
  markdown tables of docs/perf-v2-exploration.md.

Usage (from the repo root):  python scripts/bench_perf_model.py [--json] [--ablation]
       [--array 32x32 | --config 16x16] [--skew 0.5] [--scheme split-load] [--steps T]
       [--seed S]

--config takes any configuration the RTL flow takes (a name of tb/common/configs.py or
HxV[:PARAM=VALUE,...], resolved by tb.common.configs.resolve): the v1 table then runs on exactly
that array's capacities, and --json / --ablation on its H x V.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

import numpy as np  # noqa: E402

from golden.config import HwConfig, LayerConfig, StealMode, ceil_div  # noqa: E402
from golden.perf import (duplication_fraction, load_imbalance, random_masks,  # noqa: E402
                         rep_rows_for_fraction, simulate_sequence)
from golden.perf_v2 import (V1, PerfFeatures, balanced_row_order,  # noqa: E402
                            dup_fraction_of_plan, plan_replicas, simulate_sequence_v2)

HW = HwConfig(H=32, V=32, M_MAX=1024, N_MAX=1024, SLOTS=64, WDEPTH=8192)
DUP_BUDGET = 0.10
V2_BASE = PerfFeatures(null_word_skip=True, skip_empty_rows=True, overlap_output=True)
ALL = 1 << 16  # PerfFeatures.rotate >= V: a lane's rows rotate through every partition


@dataclass(frozen=True)
class Scheme:
    """A stealing scheme: replica layout features, plus offline row placement or not."""

    features: PerfFeatures
    place_rows: bool = False
    what: str = ""


SCHEMES: dict[str, Scheme] = {
    "shared-v1rows": Scheme(V2_BASE, what="v1 layout: rep_rows tail rows held by both "
                                          "neighbours (over budget at 32x32)"),
    "shared-budget": Scheme(replace(V2_BASE, dup_budget=DUP_BUDGET),
                            what="v1 layout, tail rows per victim filled up to the budget"),
    "split-uniform": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET),
                            what="one range per thief, budget spread evenly"),
    "split-load": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                 placement="load"),
                         what="one range per thief, budget to the heaviest lanes first"),
    "split-load-reach2": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                        placement="load", reach=2),
                                what="as split-load, thieves up to 2 lanes away"),
    "placed-split-load": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                        placement="load"), place_rows=True,
                                what="offline row placement, then split-load"),
    "split-full": Scheme(replace(V2_BASE, replicas="split", dup_budget=1.0),
                         what="limit: every row replicated once (100 % duplication)"),
    "scan-split-load": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                      placement="load", scan_rows=True),
                              what="split-load, empty rows found by a row scanner retire free"),
    "rot3-scan-split-load": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                           placement="load", scan_rows=True, rotate=3),
                                   what="scan-split-load, rows rotate over 3 partitions"),
    "rot-scan-split-load": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                          placement="load", scan_rows=True, rotate=ALL),
                                  what="scan-split-load, rows rotate over all V partitions"),
    "ra-split-load": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                    placement="load", run_ahead=True),
                            what="split-load, lanes run ahead into the next product (O2)"),
    "ra-scan-split-load": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                         placement="load", scan_rows=True, run_ahead=True),
                                 what="scan-split-load with lane run-ahead (O2)"),
    "ra-scan-split-load-reach2": Scheme(replace(V2_BASE, replicas="split",
                                                dup_budget=DUP_BUDGET, placement="load",
                                                scan_rows=True, run_ahead=True, reach=2),
                                        what="ra-scan-split-load, thieves up to 2 lanes away"),
    "ra-scan-split-load-reach2-12": Scheme(replace(V2_BASE, replicas="split", dup_budget=0.12,
                                                   placement="load", scan_rows=True,
                                                   run_ahead=True, reach=2),
                                           what="ra-scan-split-load-reach2 with a 12 % budget"),
    "ra-split-full": Scheme(replace(V2_BASE, replicas="split", dup_budget=1.0, run_ahead=True),
                            what="limit under run-ahead: every row replicated once (100 %)"),
    "ra-split-full-reach2": Scheme(replace(V2_BASE, replicas="split", dup_budget=1.0,
                                           run_ahead=True, reach=2),
                                   what="ra-split-full, thieves up to 2 lanes away"),
    "share-split-load": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                       placement="load", pe_share=True),
                               what="split-load, a PE's two lanes steal each other's rows in "
                                    "place"),
    "ra-share-split-load": Scheme(replace(V2_BASE, replicas="split", dup_budget=DUP_BUDGET,
                                          placement="load", run_ahead=True, pe_share=True),
                                  what="ra-split-load with PE sharing"),
    "ra-share-scan-split-load": Scheme(replace(V2_BASE, replicas="split",
                                               dup_budget=DUP_BUDGET, placement="load",
                                               scan_rows=True, run_ahead=True, pe_share=True),
                                       what="ra-scan-split-load with PE sharing"),
    "ra-share-scan-split-load-reach2": Scheme(replace(V2_BASE, replicas="split",
                                                      dup_budget=DUP_BUDGET, placement="load",
                                                      scan_rows=True, run_ahead=True,
                                                      pe_share=True, reach=2),
                                              what="ra-share-scan-split-load, vertical "
                                                   "thieves up to 2 lanes away"),
}
# The plain-product scheme the RTL carries (N1, N2, N3, O1, split ranges with the load plan):
# what --json reports by default.
CHOSEN = "scan-split-load"


def study_hw(H: int, V: int, M: int, N: int) -> HwConfig:
    """The paper-scale array (capacities large enough for any scheme of the study)."""
    if (H, V) == (HW.H, HW.V) and M <= 1024 and N <= 1024:
        return replace(HW, SLOTS=3 * ceil_div(M, H) + 8, WDEPTH=1 << 16)
    return HwConfig(H=H, V=V, M_MAX=max(M, 1024), N_MAX=max(N, 1024),
                    SLOTS=3 * ceil_div(M, H) + 8, WDEPTH=1 << 20)


@dataclass
class Workload:
    hw: HwConfig
    w: np.ndarray
    acts: np.ndarray
    rep_rows: int
    skew: float

    @property
    def M(self) -> int:
        return self.w.shape[0]

    def layer(self, mode: StealMode, rep_rows: int | None = None) -> LayerConfig:
        rep = self.rep_rows if rep_rows is None else rep_rows
        return LayerConfig(M=self.M, N=self.w.shape[1], mode=mode, rep_rows=rep if mode else 0)

    def describe(self) -> dict[str, Any]:
        lay = self.layer(StealMode.NONE)
        ops = int(sum(int((self.w & a).sum()) for a in self.acts))
        return {"array": self.hw.name, "lanes": self.hw.n_lanes, "M": self.M,
                "N": int(self.w.shape[1]), "w_density": float(self.w.mean()),
                "a_density": float(self.acts.mean()), "steps": int(len(self.acts)),
                "skew": self.skew, "dup_budget": DUP_BUDGET, "effective_ops": ops,
                "ideal_cycles": ops / self.hw.n_lanes,
                "load_imbalance": load_imbalance(self.w, self.acts, self.hw, lay)}


def run_config(wl: Workload, mode: StealMode, feat: PerfFeatures, place_rows: bool = False,
               rep_rows: int | None = None) -> dict[str, Any]:
    """Cycles, utilisation and duplication of one (mode, features) on the workload."""
    w = wl.w[balanced_row_order(wl.w, wl.hw)] if place_rows else wl.w
    lay = wl.layer(mode, rep_rows)
    t0 = time.perf_counter()
    seq = simulate_sequence_v2(w, wl.acts, wl.hw, lay, feat)
    dt = time.perf_counter() - t0
    if mode == StealMode.NONE:
        dup = 0.0
    elif feat == V1:
        dup = duplication_fraction(w, wl.hw, lay)
    else:
        dup = dup_fraction_of_plan(w, wl.hw, lay, plan_replicas(w, wl.hw, lay, feat),
                                   feat.rotate)
    return {"cycles": seq.cycles, "compute_cycles": seq.total("compute_cycles"),
            "utilization": seq.utilization, "dup_fraction": dup,
            "steals_granted": seq.total("steals_granted"),
            "steals_refused": seq.total("steals_refused"), "model_seconds": dt}


def with_speedups(row: dict[str, Any], none_cycles: int, v1_none_cycles: int,
                  info: dict[str, Any]) -> dict[str, Any]:
    row = dict(row, speedup_vs_none=none_cycles / row["cycles"],
               speedup_vs_v1_none=v1_none_cycles / row["cycles"],
               ideal_cycles=info["ideal_cycles"], load_imbalance=info["load_imbalance"])
    row.pop("model_seconds", None)
    return row


def bench_json(wl: Workload, scheme: str) -> dict[str, Any]:
    info = wl.describe()
    sch = SCHEMES[scheme]
    v1_none = with_speedups(run_config(wl, StealMode.NONE, V1), 1, 1, info)
    v1_none.update(speedup_vs_none=1.0, speedup_vs_v1_none=1.0)
    none = run_config(wl, StealMode.NONE, sch.features, sch.place_rows)
    modes = {m.name: run_config(wl, m, sch.features, sch.place_rows) if m else none
             for m in StealMode}
    info["scheme"] = {"name": scheme, "what": sch.what,
                      "features": sch.features.__dict__, "place_rows": sch.place_rows}
    return {"workload": info, "baseline_v1_none": v1_none,
            "modes": {k: with_speedups(v, none["cycles"], v1_none["cycles"], info)
                      for k, v in modes.items()}}


def without_stealing(feat: PerfFeatures) -> PerfFeatures:
    """The features that still matter in mode NONE (no replica ranges exist there)."""
    return replace(feat, replicas="shared", reach=1, placement="uniform", dup_budget=None,
                   pe_share=False)


def ablation_rows(wl: Workload) -> list[tuple[str, StealMode, PerfFeatures, bool,
                                              dict[str, Any]]]:
    """(step, mode, measured row): the v1 -> v2 ablation, then every scheme (vertical)."""
    nws = PerfFeatures(null_word_skip=True)
    skip = replace(nws, skip_empty_rows=True)
    steps = [("v1", StealMode.NONE, V1, False), ("v1", StealMode.VERTICAL, V1, False),
             ("+ null-word skip", StealMode.NONE, nws, False),
             ("+ empty-row skip", StealMode.NONE, skip, False),
             ("+ overlapped output (v2 NONE)", StealMode.NONE, V2_BASE, False),
             ("+ row scanner", StealMode.NONE, replace(V2_BASE, scan_rows=True), False),
             ("+ lane run-ahead", StealMode.NONE, replace(V2_BASE, run_ahead=True), False),
             ("+ row scanner + lane run-ahead", StealMode.NONE,
              replace(V2_BASE, scan_rows=True, run_ahead=True), False),
             ("+ row scanner + rotation over all partitions", StealMode.NONE,
              replace(V2_BASE, scan_rows=True, rotate=ALL), False)]
    steps += [(f"+ stealing {name}", mode, s.features, s.place_rows)
              for name, s in SCHEMES.items() for mode in (StealMode.VERTICAL,
                                                          StealMode.HORIZONTAL)
              if mode == StealMode.VERTICAL or name == CHOSEN]
    steps.insert(5, ("+ row placement only", StealMode.NONE, V2_BASE, True))
    return [(label, mode, feat, place, run_config(wl, mode, feat, place))
            for label, mode, feat, place in steps]


def ablation_markdown(wl: Workload) -> str:
    info = wl.describe()
    rows = ablation_rows(wl)
    v1_none = rows[0][4]["cycles"]
    # "stealing alone" divides by mode NONE with the same non-stealing features and placement
    none_cycles = {(without_stealing(f), p): r["cycles"] for _, m, f, p, r in rows
                   if m == StealMode.NONE}

    def none_of(feat: PerfFeatures, place: bool) -> int:
        key = (without_stealing(feat), place)
        if key not in none_cycles:
            none_cycles[key] = run_config(wl, StealMode.NONE, key[0], place)["cycles"]
        return none_cycles[key]
    head = (f"**{info['array']}** ({info['lanes']} lanes), W {info['M']}x{info['N']} "
            f"{info['w_density']:.1%}, a {info['a_density']:.1%}, T = {info['steps']}, "
            f"skew {info['skew']}, rep_rows (v1) = {wl.rep_rows}; ideal cycles "
            f"{info['ideal_cycles']:.0f}, load imbalance {info['load_imbalance']:.2f}\n\n"
            "| step | mode | cycles | compute | util | vs v1 none | stealing alone | dup |\n"
            "|---|---|---|---|---|---|---|---|\n")
    lines = []
    for label, mode, feat, place, r in rows:
        alone = none_of(feat, place) / r["cycles"] if mode != StealMode.NONE else float("nan")
        alone_s = "-" if alone != alone else f"{alone:.3f}x"
        lines.append(f"| {label} | {mode.name} | {r['cycles']} | {r['compute_cycles']} | "
                     f"{r['utilization']:.1%} | {v1_none / r['cycles']:.3f}x | {alone_s} | "
                     f"{r['dup_fraction']:.1%} |")
    return head + "\n".join(lines) + "\n"


def make_workload(args: argparse.Namespace, array: str | None = None,
                  skew: float | None = None) -> Workload:
    H, V = (int(x) for x in (array or args.array).split("x"))
    skew = args.skew if skew is None else skew
    n = args.size
    w, acts = random_masks(np.random.default_rng(args.seed), n, n, args.w_density,
                           args.a_density, args.steps, skew)
    hw = study_hw(H, V, n, n)
    return Workload(hw=hw, w=w, acts=acts, rep_rows=rep_rows_for_fraction(args.rep_fraction,
                                                                          n, H), skew=skew)


def _config(spec: str) -> HwConfig:
    """argparse type for --config: tb.common.configs resolution, refused with the reason."""
    from golden.errors import SpecError
    from tb.common.configs import resolve

    try:
        return resolve(spec)
    except SpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def print_v1_table(args: argparse.Namespace, HW: HwConfig = HW) -> None:  # noqa: N803
    """Today's output: the v1 contract on the bench array, all three modes."""
    n = args.size
    w, acts = random_masks(np.random.default_rng(args.seed), n, n, args.w_density,
                           args.a_density, args.steps, args.skew)
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=100, help="time steps T (default 100)")
    ap.add_argument("--size", type=int, default=None,
                    help="matrix is size x size (default 800, or the --config's capacity if "
                         "smaller)")
    ap.add_argument("--w-density", type=float, default=0.10)
    ap.add_argument("--a-density", type=float, default=0.50)
    ap.add_argument("--rep-fraction", type=float, default=0.10,
                    help="v1 replica rows per victim as a fraction of its own rows (default 0.1)")
    ap.add_argument("--seed", type=int, default=0)
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--array", default="32x32", help="HxV for --json / --ablation")
    where.add_argument("--config", type=_config, default=None,
                       help="a configuration name (16x16, 32x32, ...) or HxV[:PARAM=VALUE,...]: "
                            "its H x V, and its capacities for the v1 table")
    ap.add_argument("--skew", type=float, nargs="?", const=0.5, default=0.0,
                    help="lognormal row/column density skew (bare --skew: 0.5)")
    ap.add_argument("--scheme", default=CHOSEN, choices=sorted(SCHEMES))
    ap.add_argument("--json", action="store_true", help="print the v2 JSON object only")
    ap.add_argument("--ablation", action="store_true", help="markdown ablation and schemes")
    ap.add_argument("--report", metavar="FILE",
                    help="write the ablation for 32x32, 16x16, 8x8 and --skew 0.5 to FILE")
    args = ap.parse_args()
    v1_hw = HW
    if args.config is not None:
        v1_hw, args.array = args.config, f"{args.config.H}x{args.config.V}"
    cap = min(v1_hw.M_MAX, v1_hw.N_MAX)
    if args.size is None:
        args.size = min(800, cap)
    elif args.size > cap and not (args.json or args.ablation or args.report):
        ap.error(f"--size {args.size} exceeds the array's M_MAX/N_MAX ({cap}): pick a smaller "
                 f"--size or raise them, e.g. --config {args.array}:M_MAX=1024,N_MAX=1024")

    if args.json:
        print(json.dumps(bench_json(make_workload(args), args.scheme), indent=1))
        return 0
    if args.ablation:
        print(ablation_markdown(make_workload(args)))
        return 0
    if args.report:
        parts = [ablation_markdown(make_workload(args, array, skew))
                 for array, skew in (("32x32", 0.0), ("16x16", 0.0), ("8x8", 0.0),
                                     ("32x32", 0.5))]
        Path(args.report).write_text("\n".join(parts))
        return 0
    print_v1_table(args, v1_hw)
    print(f"\nv2 ({args.scheme}, dup budget {DUP_BUDGET:.0%}), back-to-back independent products")
    out = bench_json(make_workload(args), args.scheme)
    for name, r in out["modes"].items():
        print(f"{name:<11}{r['cycles']:>9}{r['compute_cycles']:>9}{r['utilization']:>8.1%}"
              f"  vs none {r['speedup_vs_none']:.3f}  vs v1 none {r['speedup_vs_v1_none']:.3f}"
              f"  dup {r['dup_fraction']:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
