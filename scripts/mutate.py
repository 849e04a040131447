#!/usr/bin/env python3
"""`make mutate`: testbench qualification by RTL mutation (docs/mutation.md).

For each configuration: generate every mutant of rtl/ into one Verilator model behind the
run-time selector +masr_mut=K (0 = the original design), check that selector 0 reproduces the
nightly's counters, then classify mutants -- each runs the nightly runs that reach its line,
cheapest first, until the first failure.  Results accumulate in
out/mutate/<config>/results.jsonl (resumable; ``--budget N`` runs N more mutants), and
out/mutate/mutation.md lists totals per module and operator and every survivor with its rerun
command.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for _p in (str(REPO), str(REPO / "scripts")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from mutation import activation, model, schedule, summary  # noqa: E402
from mutation.generate import Mutant  # noqa: E402
from mutation.store import MutationStore  # noqa: E402

OUT = REPO / "out" / "mutate"
NIGHTLY_LATEST = REPO / "out" / "nightly" / "latest"
# Summary fields that are allowed to differ between two runs of the same design and seed:
# wall time, and coverage percentages (they depend on how many bins the testbench version
# defines; the bin hit counts themselves are compared).
VOLATILE_SUMMARY_KEYS = ("wall_s", "coverage")


def baseline_check(config: str, build_dir: Path, line_map: activation.LineMap, nightly: Path,
                   work: Path, probe: int | None = None) -> float:
    """Selector 0 must be the original design: the cheapest nightly run, rerun on the selector
    model with the selector at 0, gives the same summary (counters, coverage bins) as in the
    nightly.  With ``probe`` (the batched runner) the same process then runs mutant ``probe``
    and selector 0 once more: switching back at run time must give the original design again
    (every counter identical; the coverage bins are cumulative within a process, so those are
    compared only on the first run)."""
    from mutation import batch

    run = line_map.all_runs()[0]
    run_dir = work / "baseline" / f"{run.test}-seed{run.seed}"
    shutil.rmtree(run_dir, ignore_errors=True)
    theirs = json.loads((nightly / "runs" / config / run.test / f"seed{run.seed}" /
                         "summary.json").read_text())
    t0 = time.monotonic()
    if probe is None:
        result = schedule.simulate(build_dir, config, run, 0, run_dir,
                                   schedule.run_timeout(run, 4.0))
        if result.status != "PASS":
            raise SystemExit(f"mutate: selector 0 fails {run.test} seed {run.seed}: {result.message}")
        summaries = [(run_dir / "summary.json", True)]
    else:
        plans = batch.run_batch(build_dir, config,
                                [batch.Plan(0, [run]), batch.Plan(probe, [run]), batch.Plan(0, [run])],
                                run_dir, lambda r: schedule.run_timeout(r, 4.0))
        for index in (0, 2):
            if plans[index].results[-1].status != "PASS":
                raise SystemExit(f"mutate: selector 0 (plan {index} of the batch) fails {run.test} "
                                 f"seed {run.seed}: {plans[index].results[-1].message}")
        found = {int(p.name.split("-")[1][1:]): p for p in run_dir.glob("attempt*/summary-p*-m0.json")}
        summaries = [(found[0], True), (found[2], False)]
    seconds = time.monotonic() - t0
    for path, with_bins in summaries:
        ours = json.loads(path.read_text())
        other = dict(theirs)
        for key in VOLATILE_SUMMARY_KEYS + (() if with_bins else ("coverage_bins",)):
            ours.pop(key, None)
            other.pop(key, None)
        diff = summary_diff(ours, other)
        if diff:
            raise SystemExit(f"mutate: selector 0 differs from the nightly on {run.test} seed "
                             f"{run.seed} ({path}): {diff[:5]}")
    load_scale = seconds / max(run.seconds, 0.1)
    how = ("" if probe is None else
           f"; in one process, selector 0, mutant #{probe}, selector 0 again: same counters")
    print(f"mutate {config}: selector 0 == nightly on {run.test} seed {run.seed} "
          f"(every counter the nightly's summary has is identical{how}); {seconds:.1f} s "
          f"vs {run.seconds:.1f} s in the nightly: timeouts scaled x{max(load_scale, 1.0):.1f}")
    return load_scale


def summary_diff(ours, theirs, path: str = "") -> list[str]:
    """Paths whose values differ.  A field only one side has is skipped: the nightly may come
    from a testbench that wrote fewer fields; every counter both have must agree."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return [d for k in sorted(set(ours) & set(theirs), key=str)
                for d in summary_diff(ours[k], theirs[k], f"{path}.{k}")]
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [d for i, (a, b) in enumerate(zip(ours, theirs))
                for d in summary_diff(a, b, f"{path}[{i}]")]
    return [] if ours == theirs else [f"{path}: {ours!r} != {theirs!r}"]


def mutant_record(m: Mutant, config: str, rtl: str, rec: dict) -> dict:
    return {**m.to_dict(), "config": config, "rtl": rtl,
            "rerun": schedule.rerun_command(config, m), **rec}


def select(mutants: list[Mutant], args) -> list[Mutant]:
    chosen = mutants
    if args.ids:
        wanted = {int(x) for x in args.ids.split(",")}
        chosen = [m for m in chosen if m.id in wanted]
    if args.keys:
        wanted_keys = set(args.keys.split(","))
        chosen = [m for m in chosen if m.key in wanted_keys]
    if args.modules:
        chosen = [m for m in chosen if m.module in args.modules.split(",")]
    if args.operators:
        chosen = [m for m in chosen if m.operator in args.operators.split(",")]
    return sorted(chosen, key=lambda m: m.key)      # a stable, module-mixed order for slices


def killers_elsewhere(config: str, rtl: str, out: Path) -> dict[str, list[str]]:
    """mutant key -> the tests that killed it on the other configurations (same RTL)."""
    found: dict[str, list[str]] = {}
    for path in sorted(out.glob("*/results.jsonl")):
        if path.parent.name == config:
            continue
        for rec in MutationStore(path).finished(rtl).values():
            test = rec.get("killed_by", {}).get("test")
            if test and test not in found.setdefault(rec["key"], []):
                found[rec["key"]].append(test)
    return found


def open_keys(store: MutationStore, rtl: str, waivers: dict) -> list[str]:
    """Mutants that count against the testbench now: survived or not activated, no waiver."""
    return sorted(key for key, rec in store.finished(rtl).items()
                  if summary.final_status(rec, waivers) in ("survived", "not_activated"))


def run_config(config: str, args) -> None:
    from tb.common.configs import CONFIGS, verilog_params

    rtl = model.rtl_digest()
    store = MutationStore(Path(args.out) / config / "results.jsonl")
    work = Path(args.out) / config / "runs"
    sel = model.generate_valid(verilog_params(CONFIGS[config]))
    waivers = summary.load_waivers()
    if args.rerun_open:
        args.rerun = ",".join(open_keys(store, rtl, waivers))
        if not args.rerun:
            print(f"mutate {config}: no open survivor or not-activated mutant to rerun")
            return
    done = {} if args.rerun else {key: rec for key, rec in store.finished(rtl).items()
                                  if summary.still_valid(rec, waivers)}
    for m in sel.invalid:
        if m.key not in done:
            store.record(mutant_record(m, config, rtl, {"status": "invalid", "runs_tried": 0,
                                                        "seconds": 0.0}))
    line_map = activation.load_line_map(Path(args.nightly), config)
    if args.all_runs:
        # Every run, cheapest first, whatever the coverage says: for a survivor after the
        # testbench changed (the nightly's coverage predates the new stimulus).
        line_map = activation.LineMap(line_map.runs)
    if args.rerun:
        args.keys = args.rerun
    pending = [m for m in select(sel.mutants, args) if m.key not in done]
    inactive = [m for m in pending if schedule.plan_runs(line_map, m, args.seeds_per_test) is None]
    for m in inactive:       # free: no simulation can reach them
        store.record(mutant_record(m, config, rtl, {"status": "not_activated", "runs_tried": 0,
                                                    "seconds": 0.0}))
    active = [m for m in pending if m not in inactive]
    if args.skip_waived:
        # A waiver for this configuration already calls these equivalent; simulating one costs
        # every run that reaches its line (a survivor never stops early).
        waived = [m for m in active if m.key in waivers and waivers[m.key].applies(config)]
        for m in waived:
            store.record(mutant_record(m, config, rtl, {"status": "waived", "runs_tried": 0,
                                                        "seconds": 0.0}))
        active = [m for m in active if m not in waived]
        print(f"mutate {config}: {len(waived)} waived mutants recorded without simulation")
    todo = active[:args.budget] if args.budget is not None else active
    print(f"mutate {config}: {len(sel.mutants)} mutants ({len(sel.invalid)} invalid), "
          f"{len(done)} classified before, {len(inactive)} not activated, "
          f"{len(todo)} to simulate now")
    if not todo:
        return
    killers = killers_elsewhere(config, rtl, Path(args.out))
    t0 = time.monotonic()
    _, build_dir = model.build(config, sel, args.cxx_opt)
    print(f"mutate {config}: selector model ready in {time.monotonic() - t0:.0f} s: {build_dir}")
    batched = args.runner == "batch"
    load_scale = baseline_check(config, build_dir, line_map, Path(args.nightly), work,
                                probe=todo[0].id if batched else None)
    start, count = time.monotonic(), [0]
    tb_bugs: list[str] = []

    def on_result(m: Mutant, rec: dict) -> None:
        count[0] += 1
        bug = summary.testbench_bug(rec)
        if bug:     # not a verdict: the mutant stays unclassified and the next run retries it
            tb_bugs.append(m.key)
            print(f"  [{count[0]}/{len(todo)}] #{m.id} {m.key}: NOT classified, the testbench "
                  f"itself failed ({bug[:160]}); fix it and run again", flush=True)
            return
        store.record(mutant_record(m, config, rtl, rec))
        who = rec.get("killed_by", {})
        print(f"  [{count[0]}/{len(todo)}] #{m.id} {m.key} {m.file}:{m.line} {m.operator}: "
              f"{rec['status']}" + (f" by {who['test']} seed {who['seed']}" if who else "")
              + f" ({rec['runs_tried']} runs, {rec['seconds']:.0f} s)", flush=True)

    if batched:
        from mutation import batch

        def run_batch(plans, batch_dir):
            return batch.run_batch(build_dir, config, plans, batch_dir,
                                   lambda run: schedule.run_timeout(run, load_scale))

        batch.run_mutants_batched(
            todo, line_map, work, args.jobs, args.seeds_per_test, on_result, run_batch,
            passed_before={} if args.rerun else store.passed_runs(rtl),
            on_progress=lambda m, run: store.record_passed_run(m.key, rtl, run.test, run.seed),
            max_batch=args.batch or batch.MAX_BATCH, killers=killers)
    else:
        schedule.run_mutants(todo, config, build_dir, line_map, work, args.jobs,
                             args.seeds_per_test, on_result, load_scale, killers)
    if tb_bugs:
        print(f"mutate {config}: {len(tb_bugs)} mutants left unclassified because the testbench "
              f"failed on its own: {','.join(tb_bugs)}")
    hours = (time.monotonic() - start) / 3600.0
    print(f"mutate {config}: {len(todo)} mutants in {hours * 3600:.0f} s = "
          f"{len(todo) / hours:.0f} mutants/hour with {args.jobs} jobs")


def write_report(args, configs: list[str]) -> Path:
    rtl = model.rtl_digest()
    waivers = summary.load_waivers()
    per_config, generated = {}, {}
    for config in configs:
        store = MutationStore(Path(args.out) / config / "results.jsonl")
        from tb.common.configs import CONFIGS, verilog_params
        sel = model.generate_valid(verilog_params(CONFIGS[config]))
        # Only today's mutants: a record of a mutant the generator no longer makes (e.g. logic
        # it now recognises as checker-only) stays in the file but is not counted.
        keys = {m.key for m in sel.mutants} | {m.key for m in sel.invalid}
        per_config[config] = [r for r in store.finished(rtl).values()
                              if r["key"] in keys and summary.still_valid(r, waivers)]
        generated[config] = len(sel.mutants) + len(sel.invalid)
    text = summary.markdown(per_config, waivers, generated)
    out = Path(args.out) / "mutation.md"
    out.write_text(text + "\n")
    (Path(args.out) / "summary.json").write_text(json.dumps(
        {"rtl": rtl, "generated": generated, "rows": summary.snapshot(per_config, waivers)},
        indent=1))
    return out


def bench(args) -> int:
    from mutation.bench import run_bench
    from tb.common.configs import CONFIGS, verilog_params

    config = args.configs[0]
    sel = model.generate_valid(verilog_params(CONFIGS[config]))
    line_map = activation.load_line_map(Path(args.nightly), config)
    res = run_bench(config, sel, line_map, args.bench, args.jobs, Path(args.out), args.bench_cap_s,
                    whole_model=args.bench_whole_model)
    one = res["one_build_per_mutant"]
    print(f"bench {config}, {res['mutants']} mutants, {res['jobs']} jobs, selector model with "
          f"{res['selector_model']}:\n"
          f"  selector model: build {res['selector']['build_s']} s, total "
          f"{res['selector']['total_s']} s -> {res['selector']['mutants_per_hour']} mutants/hour\n"
          f"  one build per mutant: {one['measured']} of {res['mutants']} in {one['wall_s']} s "
          f"(mean build {one['mean_build_s']} s) -> {one['mutants_per_hour']} mutants/hour\n"
          f"  ratio {res['speedup']}x (wall); CPU: selector {res['selector']['cpu_s']} s "
          f"({res['selector']['mutants_per_cpu_hour']} mutants/CPU-hour) vs one build per mutant "
          f"{one['cpu_s']} s ({one['mutants_per_cpu_hour']} mutants/CPU-hour): ratio "
          f"{res['speedup_cpu']}x; same classification: {res['same_classification']}")
    return 0


def check_waivers(rekey_from: str | None) -> int:
    """Stale waivers (their key matches no mutant of rtl/), optionally carried to moved lines."""
    from mutation import waivers as wv
    keys = set(summary.load_waivers())
    now = wv.mutants_of(REPO / "rtl")
    stale = wv.stale_waivers(keys, now)
    if rekey_from:
        old = wv.mutants_at(rekey_from)
        mapping = wv.moved_keys(stale, old, now) | wv.shifted_keys(keys - set(stale), old, now)
        n = wv.rekey_file(summary.WAIVERS, mapping)
        print(f"mutate: {n} waivers carried to their statement's new line (re-read their "
              f"reasons): {', '.join(f'{a} -> {b.key} ({b.file}:{b.line})' for a, b in mapping.items())}")
        stale = wv.stale_waivers(set(summary.load_waivers()), now)
    for key in stale:
        print(f"mutate: waiver {key} matches no mutant of today's rtl/ (statement changed or "
              f"removed): re-derive it or delete it")
    print(f"mutate: {len(keys)} waivers, {len(stale)} stale")
    return 1 if stale else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--configs", nargs="+", default=["4x2"])
    ap.add_argument("--config", dest="configs", action="store", type=lambda s: [s])
    ap.add_argument("--nightly", default=str(NIGHTLY_LATEST),
                    help="nightly with line coverage (coverage.dat per run)")
    ap.add_argument("--budget", type=int, default=None,
                    help="simulate at most N more mutants per configuration (MUTANTS=N)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--runner", choices=("batch", "process"), default="batch",
                    help="batch: many mutants per simulator process (default); process: one "
                         "process per mutant and run")
    ap.add_argument("--batch", type=int, default=None,
                    help="at most N mutants per process (default scripts/mutation/batch.py "
                         "MAX_BATCH)")
    ap.add_argument("--seeds-per-test", type=int, default=1)
    ap.add_argument("--ids", help="comma-separated mutant ids")
    ap.add_argument("--keys", help="comma-separated mutant keys")
    ap.add_argument("--modules", help="comma-separated modules")
    ap.add_argument("--operators", help="comma-separated operators")
    ap.add_argument("--rerun", metavar="KEY[,KEY]",
                    help="rerun mutants (by key), ignoring their earlier results")
    ap.add_argument("--rerun-open", action="store_true",
                    help="rerun every survived or not-activated mutant without a waiver (after "
                         "the testbench changed)")
    ap.add_argument("--skip-waived", action="store_true",
                    help="record mutants that a waiver for this configuration calls equivalent "
                         "without simulating them")
    ap.add_argument("--cxx-opt", metavar="FLAG",
                    help="C++ optimisation of the selector model, e.g. --cxx-opt=-O0 (default: "
                         f"-Os, {model.MUTANT_LOW_OPT} from {model.MUTANT_LOW_OPT_LANES} lanes)")
    ap.add_argument("--all-runs", action="store_true",
                    help="every mutant tries every run of the nightly (cheapest first), not "
                         "only the runs whose coverage reaches its line")
    ap.add_argument("--report-only", action="store_true")
    ap.add_argument("--bench", type=int, metavar="N",
                    help="benchmark: N mutants, selector model vs one build per mutant")
    ap.add_argument("--bench-whole-model", action="store_true",
                    help="benchmark: the selector model holds every mutant (default: the N)")
    ap.add_argument("--bench-cap-s", type=float, default=1800.0,
                    help="wall-time cap of the one-build-per-mutant side")
    ap.add_argument("--check-waivers", action="store_true",
                    help="list waivers that match no mutant of today's rtl/ (exit 1 if any)")
    ap.add_argument("--rekey-waivers", metavar="REV",
                    help="carry stale waivers whose statement only moved since git REV")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    if args.check_waivers or args.rekey_waivers:
        return check_waivers(args.rekey_waivers)
    if args.bench:
        return bench(args)
    if not args.report_only:
        for config in args.configs:
            run_config(config, args)
    # The report covers every configuration with results, not only the ones run now.
    from tb.common.configs import CONFIGS
    ran = [c for c in CONFIGS if (Path(args.out) / c / "results.jsonl").exists()]
    print(f"mutate: report {write_report(args, sorted(set(ran) | set(args.configs)))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
