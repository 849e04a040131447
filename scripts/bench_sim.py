#!/usr/bin/env python3
"""Simulation-speed benchmark: the same layer, the same number of products, four ways.

  pyuvm     the full pyuvm environment (driver, monitor, golden scoreboard, coverage)
  cocotb    a plain cocotb loop over the BFM (no UVM, no golden model)
  pyuvm+pfr the full environment on a build with the runner's default --public-flat-rw
  bare      a C++ Verilator harness (no cocotb, no VPI, no Python)

All four use the same Verilator options (-O3, --x-assign/--x-initial fast, assertions on) and
load the layer once (untimed).  Throughput = DUT busy cycles (PERF_CYCLES summed) per wall
second of the timed products; ratios are against the bare harness, measured in this one run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from golden.config import LayerConfig, StealMode  # noqa: E402
from golden.encode import encode_matvec, random_sparse_layer  # noqa: E402
from tb.common import simrun  # noqa: E402
from tb.common.configs import ENV_CONFIG, TOPLEVEL, build_top, resolve, verilog_params  # noqa: E402

WAYS = ("pyuvm", "cocotb", "pyuvm+pfr", "bare")


def make_layer(config: str, out: Path, seed: int) -> tuple[Path, LayerConfig]:
    hw = resolve(config)
    rng = np.random.default_rng(seed)
    M, N = hw.M_MAX, hw.N_MAX
    W, x, bias = random_sparse_layer(rng, M, N, 0.3, 0.7, skew=0.2)
    layer = LayerConfig(M=M, N=N, mode=StealMode.VERTICAL, rep_rows=2, shift=6)
    encode_matvec(W, x, bias, hw, layer)           # fails early if it does not fit
    path = out / "layer.npz"
    np.savez(path, W=W, x=x, bias=bias, M=M, N=N, mode=int(layer.mode), rep_rows=2, shift=6)
    return path, layer


def run_cocotb(config: str, build_dir: Path, testcase: str, layer: Path, reps: int, out: Path) -> dict:
    test_dir = out / testcase
    runner = simrun.fresh_runner("verilator", timeout=1800)
    xml = simrun.run(runner, build_dir, TOPLEVEL, "tb.matvec.bench_tests", seed=1, test_dir=test_dir,
                     testcase=testcase, plusargs=[f"+masr_bd_dir={test_dir / 'bd'}"],
                     extra_env={ENV_CONFIG: config, "MASR_BENCH_LAYER": str(layer),
                                "MASR_BENCH_REPS": str(reps)},
                     log_file=test_dir / "sim.log")
    if not simrun.results_passed(xml):
        raise RuntimeError(f"{testcase} failed, see {test_dir / 'sim.log'}")
    return json.loads((test_dir / "bench.json").read_text())


def build_bare(config: str, out: Path, threads_args: tuple[str, ...] = ()) -> Path:
    """The C++ harness, with the same Verilator options as the cocotb builds."""
    simrun.setup_verilator_env()
    mdir = out / "bare_build"
    params = [f"-G{k}={v}" for k, v in verilog_params(resolve(config)).items()]
    cmd = ["verilator", "--cc", "--exe", "--build", "-j", "2", "-Mdir", str(mdir),
           "--top-module", TOPLEVEL, "-Wno-fatal", "--assert", "-O3", "--x-assign", "fast",
           "--x-initial", "fast", f"-I{simrun.RTL}", *params, *threads_args, "-o", "bare",
           str(REPO / "scripts" / "bench" / "bare_main.cpp"), *map(str, simrun.rtl_sources())]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    return mdir / "bare"


def run_bare(exe: Path, config: str, layer_path: Path, layer: LayerConfig, reps: int, out: Path) -> dict:
    d = np.load(layer_path)
    hw = resolve(config)
    bd = out / "bare_bd"
    encode_matvec(d["W"], d["x"], d["bias"], hw, layer).write_hex(bd)
    res = subprocess.run([str(exe), f"+masr_bd_dir={bd}", str(layer.M), str(layer.N),
                          str(int(layer.mode)), str(layer.rep_rows), str(layer.shift),
                          str(reps)], check=True, capture_output=True, text=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def _config_arg(spec: str) -> str:
    sys.path.insert(0, str(REPO / "scripts"))
    import regress
    return regress.config_arg(spec)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=_config_arg, default="8x8",
                    help="a name (4x2 8x8 16x16 32x32) or HxV[:PARAM=VALUE,...]")
    ap.add_argument("--ways", nargs="+", choices=WAYS, default=list(WAYS),
                    help="which of the four ways (each is its own build at large sizes)")
    ap.add_argument("--cxx-opt",
                    help="OPT_FAST of the model's make, e.g. -O0/-O1/-Os or a make expression "
                         "(default: tb.common.configs.cxx_opt)")
    ap.add_argument("--build", choices=("auto", "hier", "flat"), default="auto",
                    help="hier: lane and PE as hierarchical blocks (tb/common/hier.py); flat: "
                         "unrolled; auto: the configuration's default (configs.hier_build)")
    ap.add_argument("--threads", type=int, default=1,
                    help="Verilator --threads of the builds (docs/scaling.md: keep the faster)")
    # 100: fewer and the one-time costs inside the timed loop (cocotb-coverage inspects each
    # cover point on its first sample) weigh in; 8x8 measured 0.50 at 40, 0.57 at 100.
    ap.add_argument("--reps", type=int, default=100, help="timed products per way")
    ap.add_argument("--out", default=str(REPO / "out" / "bench_sim"))
    args = ap.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    layer_path, layer = make_layer(args.config, out, seed=2026)
    threads = ("--threads", str(args.threads)) if args.threads > 1 else ()
    hier = None if args.build == "auto" else args.build == "hier"
    t0 = time.monotonic()
    results = {}
    if {"pyuvm", "cocotb"} & set(args.ways):
        _, lean = build_top(args.config, extra_args=threads, cxx=args.cxx_opt, hier=hier)
    if "pyuvm+pfr" in args.ways:
        _, pfr = build_top(args.config, public_flat_rw=True, extra_args=threads, cxx=args.cxx_opt,
                           hier=hier)
    if "bare" in args.ways:
        exe = build_bare(args.config, out, threads)
    print(f"builds ready in {time.monotonic() - t0:.0f} s", flush=True)
    if "pyuvm" in args.ways:
        results["pyuvm"] = run_cocotb(args.config, lean, "BenchPyuvmTest", layer_path, args.reps, out)
    if "cocotb" in args.ways:
        results["cocotb"] = run_cocotb(args.config, lean, "bench_bare_cocotb", layer_path, args.reps, out)
    if "pyuvm+pfr" in args.ways:
        results["pyuvm+pfr"] = run_cocotb(args.config, pfr, "BenchPyuvmTest", layer_path, args.reps,
                                          out / "pfr")
    if "bare" in args.ways:
        results["bare"] = run_bare(exe, args.config, layer_path, layer, args.reps, out)
    base = results.get("bare") or next(iter(results.values()))
    base_rate = base["busy_cycles"] / base["seconds"]
    print(f"\n{args.config}: M={layer.M} N={layer.N} mode={layer.mode.name}, {args.reps} timed "
          f"products, threads={args.threads}, C++ {args.cxx_opt or 'default'}, build {args.build}")
    print(f"{'way':<11}{'busy cycles':>12}{'wall s':>9}{'busy cyc/s':>12}{'clock cyc/s':>13}"
          f"{'vs ' + ('bare' if 'bare' in results else next(iter(results))):>12}")
    for name, r in results.items():
        rate = r["busy_cycles"] / r["seconds"]
        print(f"{name:<11}{r['busy_cycles']:>12}{r['seconds']:>9.2f}{rate:>12.0f}"
              f"{r['clock_cycles'] / r['seconds']:>13.0f}{rate / base_rate:>12.2f}")
    if {"pyuvm", "cocotb"} <= set(results):
        # The environment's Python per product (monitor, scoreboard, coverage) against what the
        # monitor reads: y (M_MAX words) and every lane's statistics (8 words per lane).
        hw = resolve(args.config)
        extra_ms = 1e3 * (results["pyuvm"]["seconds"] - results["cocotb"]["seconds"]) / args.reps
        words = hw.M_MAX + 8 * hw.n_lanes
        print(f"\npyuvm - cocotb per product: {extra_ms:.2f} ms; dump {words} words "
              f"({1e3 * extra_ms / words:.2f} us per dump word)")
        results["python_per_product"] = {"extra_ms": extra_ms, "dump_words": words}
    if {"pyuvm", "bare", "pyuvm+pfr"} <= set(results):
        pyuvm_rate = results["pyuvm"]["busy_cycles"] / results["pyuvm"]["seconds"]
        pfr_rate = results["pyuvm+pfr"]["busy_cycles"] / results["pyuvm+pfr"]["seconds"]
        print(f"\npyuvm / bare = {pyuvm_rate / base_rate:.2f} (goal >= 0.5); "
              f"lean / --public-flat-rw build = {pyuvm_rate / pfr_rate:.2f}")
    (out / "bench.json").write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
