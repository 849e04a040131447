#!/usr/bin/env python3
"""`make nightly`: constrained-random runs of thousands of seeds, fanned out with Dask.

Every random test of the regression list runs SEEDS seeds on every one of its configurations, on
a coverage build (line coverage by default, toggle on request).  The runs go to Dask: a
LocalCluster on this machine's cores by default, or an existing cluster (``--scheduler
tcp://host:port``, e.g. one started by dask-jobqueue on SLURM/LSF, see docs/signoff.md).

Nothing is lost when something dies:
  * the plan (every job with its seed) is written to ``plan.json`` before anything runs;
  * each job is recorded as ``started`` in the append-only results store (``results.jsonl``)
    before it is handed to Dask, and as ``finished`` (status, duration, failure signature,
    paths of its logs and coverage) as soon as it ends -- one atomic, fsync'ed line each;
  * each worker also leaves ``outcome.json`` in the run directory, so a run that finished while
    the nightly itself was dying is recorded on resume without running it again;
  * a hung simulation is killed by the watchdog (TIMEOUT), a crashed or killed simulator or a
    lost Dask worker is CRASH: all are failures, and the rest goes on;
  * ``--resume DIR`` (``make nightly RESUME=DIR``) reruns only what has no ``finished`` record.

The simulation itself is scripts/regress.py's ``run_job`` (the code behind ``make sim``).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"
for _p in (str(REPO), str(SCRIPTS)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

DEFAULT_FLOW = "tb.regression"
COVERAGE_MODES = ("none", "line", "toggle")
# Watchdog budgets in tb/regression.py are for plain builds; coverage makes a run slower
# (docs/signoff.md has the measurements).  Overridable with --timeout-scale.
TIMEOUT_SCALE = {"none": 1.0, "line": 1.5, "toggle": 8.0}
FINAL_STATUSES = ("PASS", "FAIL", "TIMEOUT", "CRASH")
STORE_NAME = "results.jsonl"
PLAN_NAME = "plan.json"


# ----------------------------------------------------------------------------------------------
# results store: append-only JSON lines, one atomic fsync'ed write per record
# ----------------------------------------------------------------------------------------------

def job_key(test: str, config: str, seed: int) -> str:
    return f"{test}|{config}|{seed}"


class ResultsStore:
    """Append-only JSON-lines store of run records.

    Each record is written with a single ``os.write`` on an ``O_APPEND`` descriptor followed by
    ``fsync``: a record is either entirely in the file or not at all (a torn last line from a
    power cut is skipped by the reader and the next append starts on a fresh line).
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._checked_tail = False

    def _torn_tail(self, fd: int) -> bool:
        """Does the file end inside a line (a writer died mid-record)?  Checked once per store:
        afterwards every record this process writes ends with a newline."""
        if self._checked_tail:
            return False
        self._checked_tail = True
        size = os.fstat(fd).st_size
        if not size:
            return False
        with open(self.path, "rb") as fh:
            fh.seek(size - 1)
            return fh.read(1) != b"\n"

    def append(self, record: dict) -> None:
        record = {"time": _dt.datetime.now().isoformat(timespec="seconds"), **record}
        data = (json.dumps(record, sort_keys=True) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if self._torn_tail(fd):
                data = b"\n" + data            # start after the torn line
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        out = []
        for line in self.path.read_text(errors="replace").splitlines():
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue                                   # torn line from a crash
        return out

    def latest(self) -> dict[str, dict]:
        """key -> the last record of each job (a 'finished' record wins over 'started')."""
        last: dict[str, dict] = {}
        for rec in self.records():
            key = job_key(rec["test"], rec["config"], rec["seed"])
            if rec.get("event") == "finished" or key not in last or last[key].get("event") != "finished":
                last[key] = rec
        return last

    def finished(self) -> dict[str, dict]:
        return {k: r for k, r in self.latest().items() if r.get("event") == "finished"}


# ----------------------------------------------------------------------------------------------
# flows: what to build and run (the project's regression by default, a toy one in the tests)
# ----------------------------------------------------------------------------------------------

@dataclass
class Flow:
    name: str
    regression: list
    test_module: str
    builder: object            # callable(config, coverage_mode) -> build_dir
    template: str | None = None  # the configuration whose entries run on an unnamed one

    @classmethod
    def load(cls, name: str) -> "Flow":
        try:
            mod = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            raise SystemExit(f"nightly: cannot import the regression list {name!r}: {exc}")
        builder = getattr(mod, "build", None) or project_build
        # NIGHTLY: entries only the nightly runs (paper-scale arrays), never `make sim`.
        regression = list(mod.REGRESSION) + list(getattr(mod, "NIGHTLY", []))
        return cls(name, regression, mod.TEST_MODULE, builder,
                   getattr(mod, "TEMPLATE_CONFIG", None))


def project_build(config: str, coverage: str) -> Path:
    """Build one RTL configuration of the project for a coverage mode (scripts/regress.py)."""
    import regress
    toggle = ("--coverage-toggle",) if coverage == "toggle" else ()
    _, build_dir = regress.build_config(config, coverage=coverage in ("line", "toggle"),
                                        extra_args=toggle)
    return build_dir


def is_random(entry) -> bool:
    """A test is random unless it says otherwise or lists exactly one seed (a directed test)."""
    flag = getattr(entry, "random", None)
    return bool(flag) if flag is not None else len(list(entry.seeds)) != 1


def plan_jobs(flow: Flow, out: Path, seeds: int, seed_base: int, tests, configs,
              timeout_scale: float) -> list[dict]:
    from tb.regression import entries_for

    jobs = []
    entries = [e for e in flow.regression if not getattr(e, "on_request", False)]
    if configs:   # a configuration no entry names runs the template's entries
        entries = [e for config in configs
                   for e in entries_for(config, flow.regression, flow.template or "")]
    for entry in entries:
        if tests and entry.test not in tests:
            continue
        seed_list = [seed_base + i for i in range(seeds)] if is_random(entry) else list(entry.seeds)
        for config in entry.configs:
            for seed in seed_list:
                run_dir = out / "runs" / config / entry.test / f"seed{seed}"
                jobs.append({"test": entry.test, "config": config, "seed": int(seed),
                             "timeout_s": float(entry.timeout_s) * timeout_scale,
                             "run_dir": str(run_dir.relative_to(out)),
                             # an entry may name its own cocotb test module
                             "test_module": getattr(entry, "module", None) or flow.test_module})
    return jobs


# ----------------------------------------------------------------------------------------------
# the task a Dask worker runs
# ----------------------------------------------------------------------------------------------

def signature(status: str, message: str) -> str:
    import regress
    return f"{status}: {regress.failure_signature(message)}"


def _write_json_atomic(path: Path, obj) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True))
    os.replace(tmp, path)


def run_one(spec: dict) -> dict:
    """Run one simulation on a worker; never raises.  Returns the 'finished' record fields."""
    for p in (spec["repo"], os.path.join(spec["repo"], "scripts")):
        if p not in sys.path:
            sys.path.insert(0, p)
    import regress
    from tb.common import simrun

    simrun.setup_verilator_env()
    # cocotb's runner turns a failing test into SystemExit when PYTEST_CURRENT_TEST is set (a
    # nightly started from pytest): the nightly classifies results itself from results.xml.
    os.environ.pop("PYTEST_CURRENT_TEST", None)
    out = Path(spec["out"])
    run_dir = out / spec["run_dir"]
    job = regress.Job(spec["test"], spec["config"], spec["seed"], spec["timeout_s"], run_dir)
    t0 = time.monotonic()
    try:
        o = regress.run_job(job, Path(spec["build_dir"]), spec["test_module"])
        status, seconds, message = o.status, o.seconds, o.message
    except BaseException as exc:  # run_job never raises; belt and braces for the store
        status, seconds, message = "CRASH", time.monotonic() - t0, f"{type(exc).__name__}: {exc}"

    def rel(name: str):
        p = run_dir / name
        return str(p.relative_to(out)) if p.exists() else None

    rec = {"test": job.test, "config": job.config, "seed": job.seed, "status": status,
           "duration": round(seconds, 3),
           "signature": "" if status == "PASS" else signature(status, message),
           "message": message[:4000], "run_dir": spec["run_dir"], "log": rel("sim.log"),
           "coverage_xml": rel("coverage.xml"), "coverage_dat": rel("coverage.dat"),
           "summary": rel("summary.json"), "rerun": regress.rerun_command(job),
           "worker": platform.node()}
    try:
        _write_json_atomic(run_dir / "outcome.json", rec)
    except OSError:
        pass
    return rec


# ----------------------------------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------------------------------

def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                              capture_output=True, timeout=10).stdout.strip()
    except Exception:
        return ""


def default_seed_base() -> int:
    """A fresh seed range each night (day number * 100000): reproducible from the date."""
    days = (_dt.date.today() - _dt.date(2024, 1, 1)).days
    return (days * 100_000) % ((1 << 31) - 100_000) + 1


def make_plan(args) -> tuple[Path, dict]:
    flow = Flow.load(args.flow)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = Path(args.out).resolve() if args.out else (REPO / "out" / "nightly" / stamp)
    if (out / PLAN_NAME).exists():
        raise SystemExit(f"nightly: {out} already holds a nightly; resume it with --resume {out}")
    seed_base = args.seed_base if args.seed_base is not None else default_seed_base()
    scale = args.timeout_scale if args.timeout_scale is not None else TIMEOUT_SCALE[args.coverage]
    jobs = plan_jobs(flow, out, args.seeds, seed_base, args.tests, args.configs, scale)
    if not jobs:
        raise SystemExit("nightly: no job matches the selection")
    plan = {"created": _dt.datetime.now().isoformat(timespec="seconds"), "flow": args.flow,
            "test_module": flow.test_module, "coverage": args.coverage, "seeds": args.seeds,
            "seed_base": seed_base, "timeout_scale": scale, "git_commit": _git_commit(),
            "host": platform.node(), "jobs": jobs}
    out.mkdir(parents=True, exist_ok=True)
    _write_json_atomic(out / PLAN_NAME, plan)
    _point_latest(out)
    return out, plan


def _point_latest(out: Path) -> None:
    latest = out.parent / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(out.name)
    except OSError:
        pass


def load_plan(resume: str) -> tuple[Path, dict]:
    out = Path(resume)
    if not out.is_absolute():
        cand = REPO / "out" / "nightly" / resume
        out = cand if cand.exists() and not out.exists() else out.resolve()
    out = out.resolve()
    if not (out / PLAN_NAME).exists():
        raise SystemExit(f"nightly: nothing to resume in {out} (no {PLAN_NAME})")
    return out, json.loads((out / PLAN_NAME).read_text())


class _redirect_fds:
    """Send this process' stdout/stderr (file descriptors, so child processes too) to a file."""

    def __init__(self, path: Path):
        self.path = path

    def __enter__(self):
        sys.stdout.flush()
        sys.stderr.flush()
        self.fh = open(self.path, "w")
        self.saved = [os.dup(1), os.dup(2)]
        os.dup2(self.fh.fileno(), 1)
        os.dup2(self.fh.fileno(), 2)
        return self

    def __exit__(self, *exc):
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(self.saved[0], 1)
        os.dup2(self.saved[1], 2)
        for fd in self.saved:
            os.close(fd)
        self.fh.close()
        return False


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _make_client(args):
    """A Dask client: an existing scheduler, or a LocalCluster of one single-threaded worker per core."""
    from dask.distributed import Client, LocalCluster

    if args.scheduler:
        return Client(args.scheduler), None
    # Worker processes must import scripts/regress.py and the tb package.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(REPO), str(SCRIPTS)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, host="127.0.0.1")
    return Client(cluster), cluster


def run_nightly(out: Path, plan: dict, args) -> int:
    from tqdm import tqdm

    from tb.common import simrun

    simrun.setup_verilator_env()
    store = ResultsStore(out / STORE_NAME)
    finished = store.finished()
    latest = store.latest()
    pending = []
    recovered = 0
    for job in plan["jobs"]:
        key = job_key(job["test"], job["config"], job["seed"])
        if key in finished:
            continue
        run_dir = out / job["run_dir"]
        if key in latest and (run_dir / "outcome.json").exists():
            # finished on a worker while the nightly itself died: record it, do not rerun
            try:
                rec = json.loads((run_dir / "outcome.json").read_text())
                store.append({"event": "finished", **rec, "recovered": True})
                recovered += 1
                continue
            except (OSError, json.JSONDecodeError):
                pass
        if run_dir.exists():
            shutil.rmtree(run_dir, ignore_errors=True)  # a half-run from an interrupted nightly
        pending.append(job)
    total = len(plan["jobs"])
    done_before = total - len(pending)
    print(f"nightly: {out}\n  {total} runs planned, {done_before} already recorded"
          f"{f' ({recovered} recovered from run directories)' if recovered else ''}, "
          f"{len(pending)} to run; coverage={plan['coverage']}", flush=True)
    if not pending:
        return _finish(out, store, plan)

    flow = Flow.load(plan["flow"])
    builds: dict[str, str] = {}
    for config in sorted({j["config"] for j in pending}):
        t0 = time.monotonic()
        log = out / f"build-{config}-{plan['coverage']}.log"
        try:
            with _redirect_fds(log):
                builds[config] = str(flow.builder(config, plan["coverage"]))
        except Exception as exc:   # out of time or memory: that configuration only, one bucket
            import regress
            message = f"{regress.build_failure_message(config, exc)} (log: {log.name})"
            print(f"nightly: {message}\n" + _tail(log), file=sys.stderr)
            for job in (j for j in pending if j["config"] == config):
                store.append({"event": "finished", "test": job["test"], "config": config,
                              "seed": job["seed"], "status": "CRASH", "duration": 0.0,
                              "signature": signature("CRASH", message), "message": message,
                              "run_dir": job["run_dir"], "log": None, "coverage_xml": None,
                              "coverage_dat": None, "summary": None, "rerun": "",
                              "worker": platform.node()})
            continue
        print(f"  build {config} ({plan['coverage']} coverage): {time.monotonic() - t0:.1f} s "
              f"(log: {log.name})", flush=True)
    pending = [j for j in pending if j["config"] in builds]

    client, cluster = _make_client(args)
    interrupted = False
    counts = Counter()

    def _on_signal(signum, _frame):
        raise KeyboardInterrupt

    old_term = signal.signal(signal.SIGTERM, _on_signal)
    try:
        from dask.distributed import as_completed

        futures = {}
        for job in pending:
            spec = {**job, "repo": str(REPO), "out": str(out), "build_dir": builds[job["config"]],
                    "test_module": job.get("test_module") or plan["test_module"]}
            store.append({"event": "started", "test": job["test"], "config": job["config"],
                          "seed": job["seed"], "run_dir": job["run_dir"]})
            fut = client.submit(run_one, spec, pure=False,
                                key=f"run-{job['test']}-{job['config']}-{job['seed']}-{os.urandom(4).hex()}")
            futures[fut] = job
        bar = tqdm(total=total, initial=done_before, unit="run", dynamic_ncols=True,
                   desc="nightly", file=sys.stderr, mininterval=0.5)
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                rec = fut.result()
            except Exception as exc:  # the worker died (KilledWorker) or Dask failed
                rec = {"test": job["test"], "config": job["config"], "seed": job["seed"],
                       "status": "CRASH", "duration": 0.0,
                       "signature": f"CRASH: {type(exc).__name__}",
                       "message": f"{type(exc).__name__}: {exc}", "run_dir": job["run_dir"],
                       "log": None, "coverage_xml": None, "coverage_dat": None, "summary": None,
                       "rerun": None}
            store.append({"event": "finished", **rec})
            counts["pass" if rec["status"] == "PASS" else "fail"] += 1
            bar.set_postfix(passed=counts["pass"], failed=counts["fail"], refresh=False)
            bar.update(1)
            if rec["status"] != "PASS":
                bar.write(f"  [{rec['status']}] {rec['test']} {rec['config']} seed={rec['seed']}: "
                          f"{rec['signature']}")
        bar.close()
    except KeyboardInterrupt:
        interrupted = True
    finally:
        signal.signal(signal.SIGTERM, old_term)
        try:
            client.close(timeout=10)
            if cluster is not None:
                cluster.close(timeout=10)
        except Exception:
            pass
    if interrupted:
        print(f"\nnightly interrupted: every finished run is recorded in {out / STORE_NAME}.\n"
              f"Resume with:  make nightly RESUME={out}", file=sys.stderr)
        return 130
    return _finish(out, store, plan)


def failure_buckets(records: list[dict]) -> list[dict]:
    """Failures grouped by normalized signature: seeds, and one rerun command (with FST waves)."""
    buckets: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        if r.get("status") != "PASS":
            buckets[r.get("signature") or r.get("status", "?")].append(r)
    out = []
    for sig, recs in sorted(buckets.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        recs = sorted(recs, key=lambda r: (r["test"], r["config"], r["seed"]))
        first = next((r for r in recs if r.get("rerun")), recs[0])
        out.append({"signature": sig, "count": len(recs),
                    "tests": sorted({r["test"] for r in recs}),
                    "runs": [{"test": r["test"], "config": r["config"], "seed": r["seed"],
                              "status": r["status"], "log": r.get("log")} for r in recs],
                    "rerun": first.get("rerun")})
    return out


def _finish(out: Path, store: ResultsStore, plan: dict) -> int:
    recs = [r for r in store.finished().values()]
    by = defaultdict(lambda: [0, 0])
    for r in recs:
        by[(r["test"], r["config"])][0 if r["status"] == "PASS" else 1] += 1
    print("\n" + "=" * 72)
    print(f"{'test':<28}{'config':<8}{'runs':>7}{'pass':>7}{'fail':>7}{'rate':>9}")
    for (test, config), (p, f) in sorted(by.items()):
        print(f"{test:<28}{config:<8}{p + f:>7}{p:>7}{f:>7}{100.0 * p / (p + f):>8.1f}%")
    npass = sum(v[0] for v in by.values())
    print(f"{'TOTAL':<36}{len(recs):>7}{npass:>7}{len(recs) - npass:>7}")
    buckets = failure_buckets(recs)
    if buckets:
        print(f"\n{len(buckets)} failure bucket(s):")
        for b in buckets:
            seeds = ", ".join(f"{r['test']}/{r['config']}/{r['seed']}" for r in b["runs"][:8])
            more = f" (+{b['count'] - 8} more)" if b["count"] > 8 else ""
            print(f"  {b['count']:>4} x {b['signature']}\n       runs: {seeds}{more}")
            if b["rerun"]:
                print(f"       rerun with waves: {b['rerun']}")
    missing = len(plan["jobs"]) - len(recs)
    if missing:
        print(f"\n{missing} planned run(s) have no result: make nightly RESUME={out}")
    print("=" * 72)
    print(f"results: {out / STORE_NAME}\nreport:  make report NIGHTLY={out}")
    return 0 if not buckets and not missing else 1


def measure_cost(args) -> int:
    """Time the same runs on none/line/toggle builds, one at a time, modes interleaved per round
    (so background load hits every mode alike); report the best of the rounds."""
    from tb.common import simrun

    simrun.setup_verilator_env()
    flow = Flow.load(args.flow)
    out = Path(args.out).resolve() if args.out else REPO / "out" / "coverage-cost"
    seed_base = args.seed_base if args.seed_base is not None else 1
    jobs = plan_jobs(flow, out, 1, seed_base, args.tests, args.configs, 1.0)
    out.mkdir(parents=True, exist_ok=True)
    builds, build_s = {}, {}
    for mode in COVERAGE_MODES:
        for config in sorted({j["config"] for j in jobs}):
            t0 = time.monotonic()
            with _redirect_fds(out / f"build-{config}-{mode}.log"):
                builds[(config, mode)] = str(flow.builder(config, mode))
            build_s[(config, mode)] = time.monotonic() - t0
    times: dict[tuple, list[float]] = defaultdict(list)
    sizes: dict[tuple, int] = {}
    for rnd in range(args.rounds):
        for job in jobs:
            for mode in COVERAGE_MODES:
                spec = {**job, "repo": str(REPO), "out": str(out),
                        "test_module": job.get("test_module") or flow.test_module,
                        "run_dir": f"{mode}/r{rnd}/{job['run_dir']}", "timeout_s": job["timeout_s"] * 10,
                        "build_dir": builds[(job["config"], mode)]}
                rec = run_one(spec)
                key = (job["test"], job["config"], mode)
                times[key].append(rec["duration"])
                dat = out / spec["run_dir"] / "coverage.dat"
                sizes[key] = dat.stat().st_size if dat.exists() else 0
                print(f"  round {rnd} {job['test']} {job['config']} {mode}: {rec['status']} "
                      f"{rec['duration']:.2f} s", flush=True)
    rows = []
    print(f"\n{'test':<22}{'config':<8}{'mode':<8}{'best [s]':>10}{'x none':>8}{'build [s]':>11}{'coverage.dat':>14}")
    for (test, config, mode), ts in sorted(times.items(), key=lambda kv: (kv[0][0], kv[0][1], COVERAGE_MODES.index(kv[0][2]))):
        base = min(times[(test, config, "none")])
        row = {"test": test, "config": config, "mode": mode, "best_s": min(ts), "all_s": ts,
               "ratio": min(ts) / base if base else None, "build_s": build_s[(config, mode)],
               "coverage_dat_bytes": sizes[(test, config, mode)]}
        rows.append(row)
        print(f"{test:<22}{config:<8}{mode:<8}{row['best_s']:>10.2f}{row['ratio']:>8.2f}"
              f"{row['build_s']:>11.1f}{row['coverage_dat_bytes']:>14,}")
    _write_json_atomic(out / "coverage-cost.json", rows)
    print(f"\n{out / 'coverage-cost.json'}")
    return 0


def config_arg(spec: str) -> str:
    import regress
    return regress.config_arg(spec)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20, help="seeds per random test (default 20)")
    ap.add_argument("--tests", nargs="*", help="only these tests")
    ap.add_argument("--configs", nargs="*", type=config_arg,
                    help="only these configurations: a name or HxV[:PARAM=VALUE,...]")
    ap.add_argument("--coverage", choices=COVERAGE_MODES, default="line",
                    help="code coverage of the build (default line; toggle costs more)")
    ap.add_argument("--seed-base", type=int, help="first seed (default: derived from the date)")
    ap.add_argument("--timeout-scale", type=float,
                    help="watchdog = the test's timeout_s x this (default per coverage mode)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                    help="LocalCluster workers (default: one per core)")
    ap.add_argument("--scheduler", help="address of an existing Dask scheduler, tcp://host:port")
    ap.add_argument("--resume", metavar="DIR", help="resume the nightly in DIR")
    ap.add_argument("--out", help="nightly directory (default out/nightly/<date-time>)")
    ap.add_argument("--flow", default=DEFAULT_FLOW,
                    help="module with REGRESSION, TEST_MODULE (and optionally build())")
    ap.add_argument("--measure-cost", action="store_true",
                    help="time the selected tests (first seed) on none/line/toggle builds")
    ap.add_argument("--rounds", type=int, default=3, help="with --measure-cost")
    args = ap.parse_args(argv)
    if args.measure_cost:
        return measure_cost(args)
    if args.resume:
        out, plan = load_plan(args.resume)
    else:
        out, plan = make_plan(args)
    return run_nightly(out, plan, args)


if __name__ == "__main__":
    sys.exit(main())
