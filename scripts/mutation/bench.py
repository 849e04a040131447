"""Benchmark: mutants per hour with the selector model vs one build per mutant, on the same
mutants, the same machine and the same number of parallel jobs (``mutate.py --bench N``).

Both sides start cold: the selector side builds its model once (into its own source directory,
so no cached build is reused) and classifies the N mutants with the batched runner (several
mutants per simulator process, the selector switched at run time); the other side builds one
model per mutant (the original RTL with that single mutant) and classifies it there, one
process per run.  Both make the same decisions (each mutant tries the runs that reach its line,
cheapest first, and stops at its first failure), and the result says whether every mutant got
the same classification on both sides.  The per-build side may be
capped in wall time (``--bench-cap-s``): the rate is then measured on the mutants that finished,
and the report says how many that were.
"""
from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mutation import activation, batch, model, schedule
from mutation.generate import Mutant, mutate_tree


def _cpu() -> float:
    """CPU seconds of every finished child process (builds, compilers, simulators): the work
    each side did, independent of what else the shared machine runs."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _build(config: str, sources: list[Path]) -> Path:
    from tb.common import simrun
    from tb.common.configs import CONFIGS, TOPLEVEL, verilog_params

    _, build_dir = simrun.build(TOPLEVEL, sources, verilog_params(CONFIGS[config]),
                                extra_args=list(model.MUTANT_VERILATOR_ARGS),
                                timeout=model.MUTANT_BUILD_TIMEOUT_S)
    return build_dir


def run_bench(config: str, sel: model.SelectorModel, line_map: activation.LineMap, n: int,
              jobs: int, out: Path, cap_s: float, whole_model: bool = False) -> dict:
    chosen = [m for m in sorted(sel.mutants, key=lambda m: m.key)
              if schedule.plan_runs(line_map, m, 1) is not None][:n]
    work = out / "bench-runs"
    stamp = time.strftime("%Y%m%d-%H%M%S")

    all_keys = frozenset(m.key for m in sel.mutants) | frozenset(m.key for m in sel.invalid)

    # Selector: one build, then simulations only.  ``whole_model``: the build holds every
    # mutant of the configuration (what `make mutate` builds, charged here to the N benchmarked
    # mutants alone); otherwise it holds exactly the N benchmarked mutants -- the cost of
    # classifying these N with the selector, as the other side pays for exactly these N.
    t0, c0 = time.monotonic(), _cpu()
    skip = frozenset(m.key for m in sel.invalid) if whole_model else \
        all_keys - {m.key for m in chosen}
    sources, in_model = mutate_tree(model.RTL, model.MUTANT_SRC_ROOT / f"bench-{stamp}-selector",
                                    skip)
    sel_build_dir = _build(config, sources)
    sel_build_s = time.monotonic() - t0
    by_key = {m.key: m for m in in_model}
    sel_chosen = [by_key[m.key] for m in chosen]      # ids of this model
    statuses: dict[str, str] = {}

    def run_batch(plans, batch_dir):
        return batch.run_batch(sel_build_dir, config, plans, batch_dir, schedule.run_timeout)

    batch.run_mutants_batched(sel_chosen, line_map, work / "sel", jobs, 1,
                              lambda m, rec: statuses.__setitem__(m.key, rec["status"]),
                              run_batch)
    sel_total_s = time.monotonic() - t0
    sel_cpu_s = _cpu() - c0

    # One build per mutant: the original RTL with just this mutant.
    t1, c1 = time.monotonic(), _cpu()
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
    one_cpu_s = _cpu() - c1
    sel_rate = 3600.0 * len(chosen) / sel_total_s
    one_rate = 3600.0 * len(done) / one_wall_s if done else 0.0
    result = {"config": config, "mutants": len(chosen), "jobs": jobs,
              "selector_model": "every mutant" if whole_model else "the benchmarked mutants",
              "selector": {"build_s": round(sel_build_s, 1), "total_s": round(sel_total_s, 1),
                           "mutants_per_hour": round(sel_rate, 1), "cpu_s": round(sel_cpu_s, 1),
                           "mutants_per_cpu_hour": round(3600.0 * len(chosen) / sel_cpu_s, 1)},
              "one_build_per_mutant": {"measured": len(done), "wall_s": round(one_wall_s, 1),
                                       "mutants_per_hour": round(one_rate, 1),
                                       "cpu_s": round(one_cpu_s, 1),
                                       "mutants_per_cpu_hour": round(3600.0 * len(done) / one_cpu_s, 1)
                                       if one_cpu_s else 0.0,
                                       "mean_build_s": round(sum(d["build_s"] for d in done)
                                                             / max(len(done), 1), 1),
                                       "runs": done},
              "speedup": round(sel_rate / one_rate, 1) if one_rate else None,
              "speedup_cpu": round((len(done) and one_cpu_s / len(done)) / (sel_cpu_s / len(chosen)), 1)
              if done else None,
              "same_classification": all(d["same_status"] for d in done)}
    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench-{config}.json").write_text(json.dumps(result, indent=1))
    return result
