"""Benchmark: mutants per hour with the selector model vs one build per mutant, on the same
mutants, the same machine and the same number of parallel jobs (``mutate.py --bench N``).

Both sides start cold: the selector side builds its model once (into its own source directory,
so no cached build is reused) and classifies the N mutants; the other side builds one model per
mutant (the original RTL with that single mutant) and classifies it there.  Both use the same
scheduler (reaching tests, cheapest first, stop at the first failure).  The per-build side may be
capped in wall time (``--bench-cap-s``): the rate is then measured on the mutants that finished,
and the report says how many that were.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mutation import activation, model, schedule
from mutation.generate import Mutant, mutate_tree


def _build(config: str, sources: list[Path]) -> Path:
    from tb.common import simrun
    from tb.common.configs import CONFIGS, TOPLEVEL, verilog_params

    _, build_dir = simrun.build(TOPLEVEL, sources, verilog_params(CONFIGS[config]),
                                extra_args=list(model.MUTANT_VERILATOR_ARGS),
                                timeout=model.MUTANT_BUILD_TIMEOUT_S)
    return build_dir


def run_bench(config: str, sel: model.SelectorModel, line_map: activation.LineMap, n: int,
              jobs: int, out: Path, cap_s: float) -> dict:
    chosen = [m for m in sorted(sel.mutants, key=lambda m: m.key)
              if schedule.plan_runs(line_map, m, 1) is not None][:n]
    work = out / "bench-runs"
    stamp = time.strftime("%Y%m%d-%H%M%S")

    # Selector: one build of every mutant, then simulations only.
    t0 = time.monotonic()
    sources, _ = mutate_tree(model.RTL, model.MUTANT_SRC_ROOT / f"bench-{stamp}-selector",
                             frozenset(m.key for m in sel.invalid))
    sel_build_dir = _build(config, sources)
    sel_build_s = time.monotonic() - t0
    statuses: dict[str, str] = {}

    def classify_selector(m: Mutant) -> None:
        runs = schedule.plan_runs(line_map, m, 1) or []
        statuses[m.key] = schedule.classify(m, config, sel_build_dir, runs, work / "sel")["status"]

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(classify_selector, chosen))
    sel_total_s = time.monotonic() - t0

    # One build per mutant: the original RTL with just this mutant.
    all_keys = frozenset(m.key for m in sel.mutants) | frozenset(m.key for m in sel.invalid)
    t1 = time.monotonic()
    done: list[dict] = []

    def one_build(m: Mutant) -> None:
        if time.monotonic() - t1 > cap_s:
            return
        tb = time.monotonic()
        src_dir = model.MUTANT_SRC_ROOT / f"bench-{stamp}-one-{m.key}"
        sources, single = mutate_tree(model.RTL, src_dir, all_keys - {m.key})
        build_dir = _build(config, sources)
        build_s = time.monotonic() - tb
        runs = schedule.plan_runs(line_map, single[0], 1) or []
        rec = schedule.classify(single[0], config, build_dir, runs, work / "one")
        done.append({"key": m.key, "build_s": round(build_s, 1),
                     "total_s": round(time.monotonic() - tb, 1), "status": rec["status"],
                     "same_status": rec["status"] == statuses[m.key]})

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one_build, chosen))
    one_wall_s = time.monotonic() - t1
    sel_rate = 3600.0 * len(chosen) / sel_total_s
    one_rate = 3600.0 * len(done) / one_wall_s if done else 0.0
    result = {"config": config, "mutants": len(chosen), "jobs": jobs,
              "selector": {"build_s": round(sel_build_s, 1), "total_s": round(sel_total_s, 1),
                           "mutants_per_hour": round(sel_rate, 1)},
              "one_build_per_mutant": {"measured": len(done), "wall_s": round(one_wall_s, 1),
                                       "mutants_per_hour": round(one_rate, 1),
                                       "mean_build_s": round(sum(d["build_s"] for d in done)
                                                             / max(len(done), 1), 1),
                                       "runs": done},
              "speedup": round(sel_rate / one_rate, 1) if one_rate else None,
              "same_classification": all(d["same_status"] for d in done)}
    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench-{config}.json").write_text(json.dumps(result, indent=1))
    return result
