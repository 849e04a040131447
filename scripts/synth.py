#!/usr/bin/env python3
"""Hierarchical synthesis of MASR with Yosys: logic, flops, area and memory bits per configuration.

    python scripts/synth.py                       # 4x2, 8x8, 16x16, 32x32 + the 4x2 cross-check
    python scripts/synth.py --configs 4x2 --no-crosscheck
    python scripts/synth.py --module masr_fifo --param Width=8 --param Depth=4
    python scripts/synth.py --module foo --source path/foo.sv        # any module, any files

Every module is synthesized hierarchically (never flattened) to Yosys's simple gates; SRAMs and
register files stay macros, counted in bits per memory class. Configurations are sums of
per-module numbers x instance counts; `masr_top` 4x2 is also synthesized whole once to check that
sum. Fails, naming the module, on latches, multiple drivers, unmapped cells and RTL Yosys cannot
read. Results: the printed tables and out/synth/synth.json; per-unit results are cached in
build/synth/cache (keyed by the files read, the parameters and the Yosys script).
See docs/synthesis.md for the units of area and how the replica share is computed.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))           # scripts/
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))    # golden/, tb/

from golden.config import BRINGUP_4X2, REGRESSION_8X8, HwConfig  # noqa: E402
from synth_lib import SynthError, report  # noqa: E402
from synth_lib.design import SPLIT, TOP, Design, Totals  # noqa: E402
from synth_lib.yosys import ROOT, Unit, synthesize, yosys_exe  # noqa: E402
from tb.common.configs import verilog_params  # noqa: E402


def paper_point(lanes_per_side: int) -> HwConfig:
    """A square array with the 8x8 regression lane's capacities (R_MAX = P_MAX = 32 rows and
    columns per lane, SLOTS and WDEPTH alike), so M_MAX = N_MAX = 32 * side (1024 at 32x32)."""
    cap = REGRESSION_8X8.R_MAX * lanes_per_side
    return dataclasses.replace(REGRESSION_8X8, H=lanes_per_side, V=lanes_per_side,
                               M_MAX=cap, N_MAX=cap)


CONFIGS: dict[str, HwConfig] = {"4x2": BRINGUP_4X2, "8x8": REGRESSION_8X8,
                                "16x16": paper_point(16), "32x32": paper_point(32)}
CROSSCHECK_CONFIG = "4x2"


def parse_params(items: list[str]) -> dict[str, int]:
    out = {}
    for kv in items:
        name, _, value = kv.partition("=")
        try:
            out[name] = int(value, 0)
        except ValueError:
            raise SynthError(f"synth: bad parameter '{kv}' (want NAME=INTEGER)") from None
    return out


def run_module(args: argparse.Namespace) -> int:
    """One module (and its submodules) alone: the project RTL, or the given files."""
    params = parse_params(args.param)
    if args.source:
        sources = tuple(str(Path(s).resolve()) for s in args.source)
        unit = Unit(top=args.module, params=tuple(sorted(params.items())), sources=sources,
                    include_dirs=tuple(sorted({str(Path(s).parent) for s in sources})))
        design = Design(args.build, args.jobs, not args.no_cache, split=frozenset())
        design.results[unit] = synthesize(unit, args.build, not args.no_cache)
    else:
        design = Design(args.build, args.jobs, not args.no_cache, split=frozenset())
        unit = design.unit(args.module, params)
        design.synthesize([unit])
    totals = design.totals(unit)
    if not args.json_only:
        report.print_config(unit.label, totals)
    out = {"unit": unit.label, "wall_s": design.results[unit].wall_s,
           "cached": design.results[unit].cached, **report.summary(totals),
           "modules": report.module_rows(totals)}
    print(json.dumps(out) if args.json_only else f"  Yosys wall time {out['wall_s']} s")
    return 0


def run_configs(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    names = args.configs.split(",")
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise SynthError(f"synth: unknown configuration {unknown} (have {sorted(CONFIGS)})")
    params = {n: verilog_params(CONFIGS[n]) for n in names}
    split = Design(args.build, args.jobs, not args.no_cache, SPLIT)
    whole = Design(args.build, 1, not args.no_cache, frozenset())
    whole_root = whole.unit(TOP, verilog_params(CONFIGS[CROSSCHECK_CONFIG]))
    # The whole-top run starts alongside the units (one more Yosys process): it would otherwise
    # run alone on one core at the end.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as side:
        whole_run = side.submit(whole.synthesize, [whole_root]) if args.crosscheck else None
        totals = split.config_totals({n: CONFIGS[n] for n in names}, params, args.glue_max_lanes)
        if whole_run is not None:
            whole_run.result()

    whole_totals: Totals | None = None
    if args.crosscheck:
        whole_totals = whole.totals(whole_root)
        if CROSSCHECK_CONFIG not in totals:
            crossed = {CROSSCHECK_CONFIG: CONFIGS[CROSSCHECK_CONFIG]}
            totals |= split.config_totals(
                crossed, {CROSSCHECK_CONFIG: verilog_params(crossed[CROSSCHECK_CONFIG])},
                args.glue_max_lanes)

    result: dict = {"area_unit": report.AREA_UNIT, "configs": {}, "area_vs_lanes": []}
    for n in names:
        t = totals[n]
        report.print_config(f"{n}: {params[n]['H'] * params[n]['V']} lanes ("
                            + " ".join(f"{k}={v}" for k, v in params[n].items()) + ")", t)
        result["configs"][n] = {"params": params[n], "lanes": params[n]["H"] * params[n]["V"],
                                **report.summary(t), "modules": report.module_rows(t)}
        result["area_vs_lanes"].append(report.area_point(n, params[n], t))
    report.print_area_vs_lanes(result["area_vs_lanes"])

    if whole_totals is not None:
        cc = report.crosscheck(totals[CROSSCHECK_CONFIG], whole_totals)
        result["crosscheck"] = {"config": CROSSCHECK_CONFIG, **cc}
        print(f"\n== cross-check {CROSSCHECK_CONFIG}: per-module x instances vs whole masr_top "
              f"(hierarchical, one Yosys run): max relative difference "
              f"{100 * cc['max_abs_rel_diff']:.4f} %")
        for k in [*report.CROSSCHECK_FIELDS, "mem_total", "replica_bits"]:
            print(f"  {k:12} {cc[k]['per_module_x_instances']:>10} vs {cc[k]['whole_top']:>10}")
        for k, v in cc["whole_top_variants"].items():
            lo, hi = v["min_transistors"], v["max_transistors"]
            print(f"  {k.split('(')[0]} at different positions: {lo}..{hi} transistors "
                  f"({100 * (hi - lo) / lo:.2f} %: ABC's heuristics see different net names)")
        if not cc["whole_top_variants"]:
            print("  every lane / PE position variant synthesizes identically")

    runs = [{"unit": u.label, "wall_s": r.wall_s, "cached": r.cached}
            for d in ([split] + ([whole] if args.crosscheck else [])) for u, r in d.results.items()]
    result["units"] = runs
    result["yosys_wall_s_sum"] = round(sum(r["wall_s"] for r in runs if not r["cached"]), 1)
    result["wall_s"] = round(time.monotonic() - t0, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "synth.json").write_text(json.dumps(result, indent=1))
    slowest = sorted((r for r in runs if not r["cached"]), key=lambda r: -r["wall_s"])[:3]
    line = (f"\nsynth: {len(runs)} units ({sum(not r['cached'] for r in runs)} synthesized, "
            f"{sum(r['cached'] for r in runs)} cached); Yosys time {result['yosys_wall_s_sum']} s; "
            f"wall {result['wall_s']} s")
    if slowest:
        line += "; slowest: " + ", ".join(f"{r['unit'].split('(')[0]} {r['wall_s']} s"
                                          for r in slowest)
    print(line)
    print(f"synth: wrote {(args.out / 'synth.json').relative_to(ROOT)}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", default=",".join(CONFIGS),
                    help=f"comma-separated, of {', '.join(CONFIGS)} (default: all)")
    ap.add_argument("--no-crosscheck", dest="crosscheck", action="store_false",
                    help=f"skip synthesizing the whole {CROSSCHECK_CONFIG} top")
    ap.add_argument("--module", help="synthesize this module alone (with --param, --source)")
    ap.add_argument("--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--source", action="append", default=[],
                    help="with --module: read these files instead of the project RTL")
    ap.add_argument("--json-only", action="store_true", help="with --module: print JSON only")
    ap.add_argument("--glue-max-lanes", type=int, default=64,
                    help="synthesize masr_top / masr_array's own logic up to this many lanes, "
                         "extrapolate beyond (default 64; 1024 synthesizes all, slowly)")
    ap.add_argument("--jobs", type=int, default=2, help="parallel Yosys runs (default 2)")
    ap.add_argument("--no-cache", action="store_true", help="ignore build/synth/cache")
    ap.add_argument("--build", type=Path, default=ROOT / "build" / "synth")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "synth")
    args = ap.parse_args()
    try:
        yosys_exe()
        return run_module(args) if args.module else run_configs(args)
    except SynthError as e:
        print(e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
