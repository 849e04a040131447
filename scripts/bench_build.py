#!/usr/bin/env python3
"""Build-cost benchmark: one cold build of masr_top for a configuration, in a fresh directory.

Prints wall time, CPU seconds of the build's processes (user + system) and the peak RSS of the
largest one, with the load average before and after (the machine is shared: docs/scaling.md
reads wall time next to the load).  Appends one JSON line per build to --log.

    .venv/bin/python scripts/bench_build.py --config 16x16
    .venv/bin/python scripts/bench_build.py --config 16x16 --threads 2
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
from tb.common.configs import build_top, resolve  # noqa: E402


def measure_build(config: str, extra_args: tuple[str, ...], root: Path) -> dict:
    """Build into ``root`` (never the shared cache) and return the costs."""
    simrun.BUILD_ROOT = root
    root.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load_before = os.getloadavg()[0]
    t0 = time.monotonic()
    _, build_dir = build_top(config, extra_args=extra_args)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"config": config, "extra_args": list(extra_args), "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "peak_rss_mb": round(after.ru_maxrss / 1024),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "cores": os.cpu_count(), "build_dir": str(build_dir),
            "when": time.strftime("%Y-%m-%d %H:%M:%S")}


def _config_arg(spec: str) -> str:
    sys.path.insert(0, str(REPO / "scripts"))
    import regress
    return regress.config_arg(spec)


def cli(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", type=_config_arg, default="8x8")
    ap.add_argument("--threads", type=int, default=1, help="Verilator --threads (default 1)")
    ap.add_argument("--fresh", action="store_true",
                    help="build in a temporary directory (default: into the shared build cache, "
                         "so the regression reuses it; refused if that build already exists)")
    ap.add_argument("--log", default=str(REPO / "out" / "bench_build.jsonl"))
    args = ap.parse_args(argv)
    simrun.setup_verilator_env()
    extra = ("--threads", str(args.threads)) if args.threads > 1 else ()
    root = Path(tempfile.mkdtemp(prefix="bench-", dir=simrun.BUILD_ROOT)) if args.fresh \
        else simrun.BUILD_ROOT
    if not args.fresh and any(root.glob(f"verilator/masr_top-*H{resolve(args.config).H}-*/.built")):
        print(f"a {args.config} build may already be cached under {root}: use --fresh to measure "
              f"a cold build", file=sys.stderr)
    row = measure_build(args.config, extra, root)
    print(f"{row['config']}{' threads=' + str(args.threads) if extra else ''}: "
          f"wall {row['wall_s']:.0f} s, CPU {row['cpu_s']:.0f} s, peak RSS {row['peak_rss_mb']} MB "
          f"(load {row['load_before']} -> {row['load_after']} on {row['cores']} cores)")
    log = Path(args.log)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as fh:
        fh.write(json.dumps(row) + "\n")
    if args.fresh:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(cli())
