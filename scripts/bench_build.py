#!/usr/bin/env python3
"""Build-cost benchmark: one cold build of masr_top for a configuration, in a fresh directory.

Prints wall time, CPU seconds of the build's processes (user + system) and the peak RSS of the
largest one, with the load average before and after (the machine is shared: docs/scaling.md
reads wall time next to the load).  With ``--speed N`` it then times N products of the plain
cocotb loop on the model it just built (clock cycles per wall second), so a faster build is
never read without the simulation speed it buys.  Appends one JSON line per build to --log;
``--table`` prints every logged build side by side (the table in docs/scaling.md).

    .venv/bin/python scripts/bench_build.py --config 16x16 --fresh --speed 3
    .venv/bin/python scripts/bench_build.py --config 16x16 --build flat --fresh --speed 3
    .venv/bin/python scripts/bench_build.py --config 32x32 --threads 2 --fresh
    .venv/bin/python scripts/bench_build.py --table
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tb.common import simrun  # noqa: E402
from tb.common.configs import build_top, cxx_opt, hier_build, resolve  # noqa: E402

BUILDS = ("auto", "hier", "flat")


def measure_build(config: str, extra_args: tuple[str, ...], root: Path,
                  hier: bool | None = None, cxx: str | None = None) -> dict:
    """Build into ``root`` (never the shared cache unless asked) and return the costs."""
    simrun.BUILD_ROOT = root
    root.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    t0 = time.monotonic()
    _, build_dir = build_top(config, extra_args=extra_args, hier=hier, cxx=cxx)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    hw = resolve(config)
    return {"config": config, "extra_args": list(extra_args),
            "build": "hier" if (hier_build(hw) if hier is None else hier) else "flat",
            "cxx_opt": cxx or cxx_opt(hw) or "-Os",
            "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "peak_rss_mb": round(after.ru_maxrss / 1024),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "cores": os.cpu_count(), "cpp_mb": round(_cpp_bytes(build_dir) / 1e6, 1),
            "build_dir": str(build_dir), "when": time.strftime("%Y-%m-%d %H:%M:%S")}


def _cpp_bytes(build_dir: Path) -> int:
    return sum(p.stat().st_size for p in build_dir.rglob("*.cpp"))


def measure_speed(config: str, build_dir: Path, products: int, out: Path) -> dict:
    """Clock cycles per wall second of ``products`` timed products (M = M_MAX, N = N_MAX,
    vertical stealing) in the plain cocotb loop (bench_sim.py's ``cocotb`` way)."""
    sys.path.insert(0, str(REPO / "scripts"))
    import bench_sim

    out.mkdir(parents=True, exist_ok=True)
    layer, _ = bench_sim.make_layer(config, out, seed=2026)
    load = os.getloadavg()[0]
    r = bench_sim.run_cocotb(config, build_dir, "bench_bare_cocotb", layer, products, out)
    return {"speed_products": products, "speed_clock_cycles": r["clock_cycles"],
            "speed_seconds": round(r["seconds"], 2),
            "speed_cyc_per_s": round(r["clock_cycles"] / r["seconds"]),
            "speed_load": round(load, 2)}


def table(rows: list[dict]) -> str:
    """Markdown table of logged builds, one row each, grouped by configuration."""
    head = ("| configuration | build | threads | wall | CPU (s) | peak RSS | C++ | load avg "
            "| sim clock cyc/s (load) | when |\n|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in sorted(rows, key=lambda r: (resolve(r["config"]).n_lanes, r["config"],
                                         r.get("when", ""))):
        threads = (r["extra_args"][r["extra_args"].index("--threads") + 1]
                   if "--threads" in r.get("extra_args", []) else "1")
        wall = f"{int(r['wall_s'] // 60)} min {r['wall_s'] % 60:.0f} s"
        speed = (f"{r['speed_cyc_per_s']:,} ({r['speed_load']})" if "speed_cyc_per_s" in r
                 else "—")
        cpp = f"{r['cpp_mb']} MB" if "cpp_mb" in r else "—"
        lines.append(f"| {r['config']} | {r.get('build', 'flat')}, {r.get('cxx_opt', '?')} "
                     f"| {threads} | {wall} | {r['cpu_s']:.0f} | {r['peak_rss_mb']} MB | {cpp} "
                     f"| {r['load_before']} -> {r['load_after']} | {speed} | {r.get('when', '')} |")
    return "\n".join(lines)


def _config_arg(spec: str) -> str:
    sys.path.insert(0, str(REPO / "scripts"))
    import regress
    return regress.config_arg(spec)


def cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=_config_arg, default="8x8")
    ap.add_argument("--build", choices=BUILDS, default="auto",
                    help="hier: lane and PE as hierarchical blocks (tb/common/hier.py); flat: "
                         "unrolled into the top; auto: the configuration's default")
    ap.add_argument("--threads", type=int, default=1, help="Verilator --threads (default 1)")
    ap.add_argument("--cxx-opt", default=None,
                    help="OPT_FAST of the model's make (default: tb.common.configs.cxx_opt)")
    ap.add_argument("--speed", type=int, default=0, metavar="N",
                    help="then time N products on the new model (0: no speed figure)")
    ap.add_argument("--fresh", action="store_true",
                    help="build in a temporary directory (default: into the shared build cache, "
                         "so the regression reuses it; refused if that build already exists)")
    ap.add_argument("--table", action="store_true",
                    help="print the logged builds side by side (markdown) and exit")
    ap.add_argument("--log", default=str(REPO / "out" / "bench_build.jsonl"))
    args = ap.parse_args(argv)
    log = Path(args.log)
    if args.table:
        rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] \
            if log.exists() else []
        print(table(rows))
        return 0
    simrun.setup_verilator_env()
    extra = ("--threads", str(args.threads)) if args.threads > 1 else ()
    hier = None if args.build == "auto" else args.build == "hier"
    root = Path(tempfile.mkdtemp(prefix="bench-", dir=simrun.BUILD_ROOT)) if args.fresh \
        else simrun.BUILD_ROOT
    if not args.fresh and any(root.glob(f"verilator/masr_top-*H{resolve(args.config).H}-*/.built")):
        print(f"a {args.config} build may already be cached under {root}: use --fresh to measure "
              f"a cold build", file=sys.stderr)
    row = measure_build(args.config, extra, root, hier, args.cxx_opt)
    if args.speed:
        row.update(measure_speed(args.config, Path(row["build_dir"]), args.speed,
                                 root / "speed"))
    print(f"{row['config']} {row['build']}{' threads=' + str(args.threads) if extra else ''}: "
          f"wall {row['wall_s']:.0f} s, CPU {row['cpu_s']:.0f} s, peak RSS {row['peak_rss_mb']} MB, "
          f"{row['cpp_mb']} MB of C++ (load {row['load_before']} -> {row['load_after']} on "
          f"{row['cores']} cores)"
          + (f"; {row['speed_cyc_per_s']} clock cycles/s over {args.speed} products "
             f"(load {row['speed_load']})" if args.speed else ""))
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    if args.fresh:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
