#!/usr/bin/env python3
"""`make sim`: the default regression.

Builds every RTL configuration once, runs every regression test over its seeds in parallel
(one simulation per core, each in its own directory), and prints a summary table, functional
coverage per covergroup and a one-line rerun command (with FST waves) for each failure.
Writes JUnit XML.  A hung simulation is killed by a watchdog and recorded as failed; a crash
is recorded as failed; the regression always goes on.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import sys
import time
import traceback
import xml.etree.ElementTree as ET
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tb.common import simrun  # noqa: E402
from golden.errors import SpecError  # noqa: E402
from tb.common.configs import ENV_CONFIG, TOPLEVEL, build_timeout, build_top, canonical, split_simulator  # noqa: E402


@dataclass
class Job:
    test: str
    config: str
    seed: int
    timeout_s: float
    run_dir: Path
    module: str = ""       # cocotb test module; "" = the regression list's TEST_MODULE


@dataclass
class Outcome:
    job: Job
    status: str            # PASS, FAIL, TIMEOUT, CRASH
    seconds: float
    message: str = ""
    coverage_xml: Path | None = None
    extra: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "PASS"


def config_arg(spec: str) -> str:
    """argparse type: a configuration the RTL can be built for, refused with the reason before
    any build (tb.common.configs.resolve)."""
    try:
        return canonical(spec)
    except SpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_config(config: str, *, waves: bool = False, coverage: bool = False,
                 extra_args: tuple[str, ...] = ()):
    return build_top(config, waves=waves, coverage=coverage, extra_args=extra_args)


def build_failure_message(config: str, exc: BaseException) -> str:
    """One line naming the configuration and the limit it hit (the bucket of all its runs)."""
    if isinstance(exc, simrun.SimTimeout):
        cause = f"out of time (limit {build_timeout(config):.0f} s wall per build step)"
    elif isinstance(exc, simrun.BuildOutOfMemory):
        cause = f"out of memory (limit {simrun.BUILD_MEM_LIMIT_GB} GB per compiler process)"
    else:
        cause = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return f"build of {config} failed: {cause}"


def rerun_command(job: Job) -> str:
    return (f"python scripts/regress.py --rerun {job.test} --config {job.config} "
            f"--seed {job.seed} --waves")


def failure_message(results_xml: Path) -> str:
    """First failure text of a cocotb results file, or '' if every testcase passed."""
    root = ET.parse(results_xml).getroot()
    cases = list(root.iter("testcase"))
    if not cases:
        return "no testcase ran (test name not found in the test module?)"
    for case in cases:
        for tag in ("failure", "error"):
            node = case.find(tag)
            if node is not None:
                text = (node.get("message") or "") + "\n" + (node.text or "")
                return text.strip() or tag
    return ""


def run_job(job: Job, build_dir: Path, test_module: str, waves: bool = False) -> Outcome:
    """One simulation; never raises: every failure mode becomes an Outcome."""
    job.run_dir.mkdir(parents=True, exist_ok=True)
    (job.run_dir / "job.json").write_text(json.dumps(
        {"test": job.test, "config": job.config, "seed": job.seed, "rerun": rerun_command(job)}))
    log = job.run_dir / "sim.log"
    start = time.monotonic()
    runner = simrun.fresh_runner(split_simulator(job.config)[1], job.timeout_s)
    try:
        xml = simrun.run(runner, build_dir, TOPLEVEL, test_module, seed=job.seed,
                         test_dir=job.run_dir, testcase=job.test, log_file=log, waves=waves,
                         extra_env={ENV_CONFIG: job.config},
                         plusargs=[f"+masr_bd_dir={job.run_dir / 'bd'}"])
        message = failure_message(Path(xml))
        status = "FAIL" if message else "PASS"
    except simrun.SimTimeout as exc:
        status, message = "TIMEOUT", f"watchdog: {exc}"
    except (Exception, SystemExit) as exc:  # simulator crash (the runner raises SystemExit
        # when no results file was written) or harness error: record it and go on
        status = "CRASH"
        message = f"{_first_error_line(log)}\n{type(exc).__name__}: {exc}\n{_log_tail(log)}"
    cov = job.run_dir / "coverage.xml"
    return Outcome(job, status, time.monotonic() - start, message.strip(),
                   cov if cov.exists() else None)


_ERROR_LINE = re.compile(r"Assertion failed|%Error|%Fatal|\bERROR\b|Error:|Traceback", re.I)


def _first_error_line(log: Path) -> str:
    """The line that names the cause (an RTL assertion, a simulator error), for bucketing."""
    if log.exists():
        for line in log.read_text(errors="replace").splitlines():
            if _ERROR_LINE.search(line):
                return line.strip()
    return "simulator exited without results"


def _log_tail(log: Path, lines: int = 15) -> str:
    if not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


_SUMMARY_HEADER = re.compile(r"\d+ scoreboard/testbench errors")
_PATH = re.compile(r"(?:[A-Za-z]:)?(?:/[\w.+\-\[\]*]+){2,}")


def failure_signature(message: str) -> str:
    """Normalize a failure message so that equal bugs with different numbers or paths bucket together."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    # The testbench's summary header ("N scoreboard/testbench errors ...") says nothing about
    # the bug: bucket by the first actual mismatch under it.
    if len(lines) > 1 and _SUMMARY_HEADER.search(lines[0]):
        lines = lines[1:]
    first = _PATH.sub("<path>", lines[0] if lines else "unknown failure")
    first = re.sub(r"0x[0-9a-fA-F]+", "<hex>", first)
    first = re.sub(r"\d+", "<n>", first)
    return first[:160]


def merge_functional_coverage(xmls: list[Path]) -> dict[str, dict[str, dict[str, int]]]:
    """covergroup -> coverpoint -> bin -> hits, summed over runs (bins are the same in every run)."""
    merged: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for xml in xmls:
        try:
            root = ET.parse(xml).getroot()
        except ET.ParseError:
            continue
        for point in root.iter():
            if "at_least" not in point.attrib:
                continue
            name = point.get("abs_name", "")
            group = name.rsplit(".", 1)[0] if "." in name else name
            bins = merged[group][name]
            for b in point:
                label = b.get("bin", b.tag)
                bins[label] = bins.get(label, 0) + int(b.get("hits", "0"))
    return merged


def coverage_rows(merged) -> list[tuple[str, int, int, list[str]]]:
    rows = []
    for group in sorted(merged):
        total = covered = 0
        missing: list[str] = []
        for point, bins in sorted(merged[group].items()):
            for label, hits in bins.items():
                total += 1
                if hits > 0:
                    covered += 1
                else:
                    missing.append(f"{point.rsplit('.', 1)[-1]}={label}")
        rows.append((group, covered, total, missing))
    return rows


def write_junit(outcomes: list[Outcome], path: Path) -> None:
    suite = ET.Element("testsuite", name="masr-sim", tests=str(len(outcomes)),
                       failures=str(sum(not o.passed for o in outcomes)))
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", classname=f"{o.job.config}.{o.job.test}",
                             name=f"seed{o.job.seed}", time=f"{o.seconds:.2f}")
        if not o.passed:
            fail = ET.SubElement(case, "failure", message=f"{o.status}: {failure_signature(o.message)}")
            fail.text = f"{o.message}\nrerun: {rerun_command(o.job)}"
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suite).write(path, xml_declaration=True, encoding="utf-8")


def print_summary(outcomes: list[Outcome], merged_cov, wall: float) -> None:
    by_key: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        by_key[(o.job.test, o.job.config)].append(o)
    print("\n" + "=" * 78)
    print(f"{'test':<24}{'config':<8}{'seeds':>6}{'pass':>6}{'fail':>6}{'time[s]':>10}")
    print("-" * 78)
    for (test, config), outs in sorted(by_key.items()):
        npass = sum(o.passed for o in outs)
        print(f"{test:<24}{config:<8}{len(outs):>6}{npass:>6}{len(outs) - npass:>6}"
              f"{sum(o.seconds for o in outs):>10.1f}")
    total_pass = sum(o.passed for o in outcomes)
    print("-" * 78)
    print(f"{'TOTAL':<32}{len(outcomes):>6}{total_pass:>6}{len(outcomes) - total_pass:>6}{wall:>10.1f} (wall)")
    if merged_cov:
        print("\nFunctional coverage per covergroup (merged over all runs)")
        print(f"{'covergroup':<48}{'bins':>12}{'%':>8}")
        for group, covered, total, missing in coverage_rows(merged_cov):
            pct = 100.0 * covered / total if total else 100.0
            print(f"{group:<48}{f'{covered}/{total}':>12}{pct:>8.1f}")
            if missing:
                shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
                print(f"    uncovered: {shown}")
    failures = [o for o in outcomes if not o.passed]
    if failures:
        print(f"\n{len(failures)} FAILED run(s):")
        for o in failures:
            print(f"  [{o.status}] {o.job.test} {o.job.config} seed={o.job.seed}: "
                  f"{failure_signature(o.message)}")
            print(f"      log: {o.job.run_dir / 'sim.log'}")
            print(f"      rerun with waves: {rerun_command(o.job)}")
    print("=" * 78)


def plan_jobs(out: Path, tests: list[str] | None, configs: list[str] | None,
              seed_count: int | None, simulator: str = "verilator"):
    """Jobs of the regression list; ``configs`` selects configurations (named or ``HxV``), and a
    configuration no entry names runs the template entries (tb.regression.entries_for).
    ``simulator="icarus"`` plans the 4-state list (tb.regression.ICARUS) instead."""
    from tb.regression import (ICARUS, ICARUS_TEMPLATE, PAPER_SCALE, REGRESSION, TEST_MODULE,
                               entries_for)

    base, template = (ICARUS, ICARUS_TEMPLATE) if simulator == "icarus" else (REGRESSION, "8x8")
    if configs:
        # Asked for by name, a paper-scale array runs its nightly list (make sim CONFIGS=16x16).
        named = base + PAPER_SCALE if simulator != "icarus" else base
        suffix = "@icarus" if simulator == "icarus" else ""
        entries = [e for config in configs
                   for e in entries_for(canonical(config + suffix), named, template)]
    else:
        entries = base
    jobs: list[Job] = []
    for entry in entries:
        if tests and entry.test not in tests:
            continue
        seeds = list(entry.seeds)
        if seed_count is not None:
            seeds = [seeds[0] + i for i in range(seed_count)] if seeds else list(range(1, seed_count + 1))
        for config in entry.configs:
            for seed in seeds:
                jobs.append(Job(entry.test, config, seed, entry.timeout_s,
                                out / config / entry.test / f"seed{seed}",
                                getattr(entry, "module", "") or TEST_MODULE))
    return TEST_MODULE, jobs


def run_regression(args) -> int:
    out = Path(args.out).resolve()
    test_module, jobs = plan_jobs(out, args.tests, args.configs, args.seeds, args.sim)
    if not jobs:
        print("regress: no job matches the selection", file=sys.stderr)
        return 2
    wall0 = time.monotonic()
    builds: dict[str, Path] = {}
    outcomes: list[Outcome] = []
    for config in sorted({j.config for j in jobs}):
        t0 = time.monotonic()
        try:
            _, builds[config] = build_config(config)
        except Exception as exc:   # out of time or memory, a compiler error: that config only
            message = build_failure_message(config, exc)
            print(message, file=sys.stderr, flush=True)
            outcomes += [Outcome(j, "BUILD", 0.0, message) for j in jobs if j.config == config]
            continue
        print(f"build {config}: {time.monotonic() - t0:.1f} s -> {builds[config]}", flush=True)
    runnable = [j for j in jobs if j.config in builds]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_job, j, builds[j.config], j.module or test_module): j
                   for j in runnable}
        for n, fut in enumerate(as_completed(futures), 1):
            o = fut.result()
            outcomes.append(o)
            npass = sum(x.passed for x in outcomes)
            print(f"[{n}/{len(runnable)}] {o.status:<7} {o.job.test} {o.job.config} seed={o.job.seed} "
                  f"({o.seconds:.1f} s)  pass={npass} fail={n - npass}", flush=True)
    merged = merge_functional_coverage([o.coverage_xml for o in outcomes if o.coverage_xml])
    print_summary(outcomes, merged, time.monotonic() - wall0)
    write_junit(outcomes, out / "junit.xml")
    (out / "coverage_summary.json").write_text(json.dumps(
        [{"covergroup": g, "covered": c, "total": t, "uncovered": m}
         for g, c, t, m in coverage_rows(merged)], indent=1))
    print(f"JUnit: {out / 'junit.xml'}")
    return 0 if all(o.passed for o in outcomes) else 1


def rerun(args) -> int:
    """Reproduce one run from (test, config, seed), optionally with FST waves."""
    from tb.regression import REGRESSION, TEST_MODULE

    entry = next((e for e in REGRESSION if e.test == args.rerun), None)
    timeout = entry.timeout_s if entry is not None else 600.0
    module = (getattr(entry, "module", "") if entry is not None else "") or TEST_MODULE
    _, build_dir = build_config(args.config, waves=args.waves)
    run_dir = Path(args.out).resolve() / "rerun" / args.config / args.rerun / f"seed{args.seed}"
    job = Job(args.rerun, args.config, args.seed, timeout, run_dir, module)
    o = run_job(job, build_dir, module, waves=args.waves)
    print(f"{o.status}: {args.rerun} {args.config} seed={args.seed} ({o.seconds:.1f} s)")
    if o.message:
        print(o.message)
    print(f"log: {run_dir / 'sim.log'}")
    if args.waves:
        print(f"waves: {run_dir / 'dump.fst'}")
    return 0 if o.passed else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--tests", nargs="*", help="only these tests")
    ap.add_argument("--configs", nargs="*", type=config_arg,
                    help="only these configurations: a name (4x2 8x8 16x16 32x32) or "
                         "HxV[:PARAM=VALUE,...]")
    ap.add_argument("--seeds", type=int, help="override the number of seeds per test")
    ap.add_argument("--sim", choices=("verilator", "icarus"), default="verilator",
                    help="icarus: the 4-state list (tb.regression.ICARUS) on Icarus")
    ap.add_argument("--out", default=str(REPO / "out" / "sim"))
    ap.add_argument("--rerun", metavar="TEST", help="rerun one test (with --config, --seed)")
    ap.add_argument("--config", type=config_arg, default="4x2")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--waves", action="store_true", help="with --rerun: record FST waves")
    args = ap.parse_args(argv)
    simrun.setup_verilator_env()
    try:
        return rerun(args) if args.rerun else run_regression(args)
    except Exception:
        traceback.print_exc()
        return 3


if __name__ == "__main__":
    sys.exit(main())
