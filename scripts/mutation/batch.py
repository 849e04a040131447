"""Several mutants per simulator process: the batch supervisor and the batched scheduler.

A regression run in its own process pays a process start (Python, cocotb, pyuvm, the golden
model's predictor worker, model init) that is most of a 4x2 run.  The selector is a variable the
testbench writes at run time (``masr_top.masr_mut_rt``), so one process
(``tb/mutation_batch.py``) runs a batch of mutants, each with its whole plan: the runs that reach
its line, cheapest first, until the first failure -- the same decisions as
``schedule.classify``, without a process per run.

``run_batch``: when the process dies (a crash, an assertion that stops the simulator, its
watchdog on a hung run, or the outer wall-clock limit), only the mutant whose run was in flight
is decided by that death (killed, or killed by timeout, as a one-process run would be); every
other mutant continues in a new process from the run it had reached.  No run is lost or run
twice.
"""
from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from mutation.activation import LineMap, NightlyRun
from mutation.generate import Mutant
from mutation.schedule import RunResult, plan_runs

BATCH_MODULE = "tb.mutation_batch"
# Mutants per process: a larger batch saves process starts; a smaller one keeps every job busy
# to the end and bounds what an interrupted `make mutate` redoes.  A simulator crash costs only
# the mutant in flight either way.
MAX_BATCH = 12
# An assertion that fires does not end the process ($stop is ignored below this many errors):
# tb/mutation_batch.py fails the run from the assertion's message and goes on with the next
# mutant, instead of a process restart per assertion kill.
ERROR_LIMIT = 1_000_000
# A process that dies twice before its first run starts is a harness failure, not a mutant's.
MAX_EMPTY_ATTEMPTS = 2


class HarnessError(RuntimeError):
    """The batch process could not start a run at all (not a verdict on any mutant)."""


@dataclass
class Plan:
    """One mutant (or selector 0) and the runs it tries, in order."""
    mutant: int
    runs: list[NightlyRun]
    results: list[RunResult] = field(default_factory=list)   # one per run tried, in order

    @property
    def decided(self) -> bool:
        return bool(self.results) and self.results[-1].status != "PASS" or \
            len(self.results) == len(self.runs)


def parse_progress(lines: list[str]) -> tuple[dict[tuple[int, int], dict],
                                               tuple[int, int] | None, bool]:
    """Progress lines -> ((plan, run) -> end record, (plan, run) in flight or None, watchdog
    fired).  A torn last line (the process died while writing it) is ignored."""
    ended: dict[tuple[int, int], dict] = {}
    started: list[tuple[int, int]] = []
    timed_out = False
    for line in lines:
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        key = (int(rec.get("plan", -1)), int(rec.get("run", -1)))
        if rec.get("event") == "start":
            started.append(key)
        elif rec.get("event") == "end":
            ended[key] = rec
        elif rec.get("event") == "timeout":
            timed_out = True
    in_flight = next((k for k in reversed(started) if k not in ended), None)
    return ended, in_flight, timed_out


def apply_attempt(plans: list[Plan], offsets: list[int], ended: dict, in_flight, timed_out: bool,
                  process_timed_out: bool, crash_message: str) -> int:
    """Fold one process attempt into the plans.  ``offsets[p]``: how many runs of plan p were
    done before this attempt (the attempt's run r of plan p is ``plans[p].runs[offsets[p] + r]``).
    Returns how many runs this attempt decided."""
    n = 0
    for (p, r), rec in sorted(ended.items()):
        plan = plans[p]
        if plan.decided or offsets[p] + r != len(plan.results):
            continue          # defensive: a run reported out of order is not trusted
        plan.results.append(RunResult(rec["status"], rec.get("message", ""),
                                      float(rec.get("seconds", 0.0))))
        n += 1
    if in_flight is not None:
        p, r = in_flight
        plan = plans[p]
        if not plan.decided and offsets[p] + r == len(plan.results):
            if timed_out or process_timed_out:
                plan.results.append(RunResult("TIMEOUT", "the run exceeded its wall-clock "
                                              "budget (batch watchdog)", 0.0))
            else:
                plan.results.append(RunResult("CRASH", crash_message, 0.0))
            n += 1
    return n


def run_batch(build_dir: Path, config: str, plans: list[Plan], run_dir: Path,
              timeout_of: Callable[[NightlyRun], float],
              launch: Callable | None = None) -> list[Plan]:
    """Run every plan to its decision in as few processes as the mutants allow.

    ``launch(job_path, attempt_dir, outer_timeout_s) -> (process_timed_out, message)`` starts one
    process (injectable for tests)."""
    launch = launch or _launch_simulator(build_dir, config)
    run_dir = Path(run_dir).resolve()
    attempt, empty = 0, 0
    while True:
        todo = [p for p, plan in enumerate(plans) if not plan.decided]
        if not todo:
            return plans
        attempt += 1
        attempt_dir = run_dir / f"attempt{attempt}"
        attempt_dir.mkdir(parents=True, exist_ok=True)
        progress = attempt_dir / "progress.jsonl"
        progress.unlink(missing_ok=True)
        offsets = [len(plan.results) for plan in plans]
        job_plans, budgets = [], []
        for p in todo:
            rest = plans[p].runs[offsets[p]:]
            job_plans.append({"plan": p, "mutant": plans[p].mutant,
                              "runs": [{"test": r.test, "module": _module_of(r.test),
                                        "seed": r.seed} for r in rest]})
            budgets.append([timeout_of(r) for r in rest])
        job = {"plans": job_plans, "timeout_s": budgets, "progress": str(progress),
               "assertions_continue": True}
        job_path = attempt_dir / "job.json"
        job_path.write_text(json.dumps(job))
        # The outer limit only backs up the in-process watchdog.
        outer = sum(map(sum, budgets)) + 120.0
        process_timed_out, message = launch(job_path, attempt_dir, outer)
        lines = progress.read_text().splitlines() if progress.exists() else []
        ended, in_flight, timed_out = parse_progress(lines)
        n = apply_attempt(plans, offsets, ended, in_flight, timed_out, process_timed_out,
                          message or "simulator process died")
        if n == 0:
            empty += 1
            if empty >= MAX_EMPTY_ATTEMPTS:
                raise HarnessError(f"batch process never started a run ({message}); see "
                                   f"{attempt_dir}")


_MODULES: dict[str, str] = {}


def _module_of(test: str) -> str:
    if not _MODULES:
        from tb.regression import REGRESSION
        _MODULES.update({e.test: e.module for e in REGRESSION})
    return _MODULES[test]


def _launch_simulator(build_dir: Path, config: str) -> Callable:
    def launch(job_path: Path, attempt_dir: Path, outer_timeout_s: float) -> tuple[bool, str]:
        import regress
        from tb.common import simrun
        from tb.common.configs import ENV_CONFIG, TOPLEVEL
        from tb.mutation_batch import ENV_JOB

        runner = simrun.fresh_runner("verilator", outer_timeout_s)
        try:
            xml = simrun.run(runner, build_dir, TOPLEVEL, BATCH_MODULE, seed=0,
                             test_dir=attempt_dir, log_file=attempt_dir / "sim.log",
                             extra_env={ENV_CONFIG: config, ENV_JOB: str(job_path)},
                             plusargs=[f"+masr_bd_dir={attempt_dir / 'bd'}",
                                       f"+verilator+error+limit+{ERROR_LIMIT}"])
            return False, regress.failure_message(Path(xml)) or ""
        except simrun.SimTimeout as exc:
            return True, str(exc)
        except (Exception, SystemExit) as exc:     # the process died: judged from its progress
            return False, f"{type(exc).__name__}: {exc}"
    return launch


def verdict(plan: Plan, log: str = "") -> dict:
    """The results-store record of a decided plan (the same fields as schedule.classify)."""
    import regress

    seconds = round(sum(r.seconds for r in plan.results), 2)
    last = plan.results[-1] if plan.results else None
    if last is None or last.status == "PASS":
        return {"status": "survived", "runs_tried": len(plan.results), "seconds": seconds,
                "tests_tried": [f"{r.test}:{r.seed}" for r in plan.runs]}
    run = plan.runs[len(plan.results) - 1]
    status = "killed_timeout" if last.status == "TIMEOUT" else "killed"
    return {"status": status, "killed_by": {"test": run.test, "seed": run.seed,
                                            "run_status": last.status,
                                            "signature": regress.failure_signature(last.message),
                                            "log": log},
            "runs_tried": len(plan.results), "seconds": seconds}


def chunks(items: list, size: int, jobs: int) -> list[list]:
    """Batches of at most ``size``, at least ``jobs`` of them when there are enough items, in
    round-robin order (neighbours in the list -- similar mutants -- go to different batches)."""
    if not items:
        return []
    n = max(-(-len(items) // max(1, size)), min(max(1, jobs), len(items)))
    return [items[i::n] for i in range(n)]


def run_mutants_batched(mutants: list[Mutant], line_map: LineMap, work: Path, jobs: int,
                        seeds_per_test: int, on_result: Callable[[Mutant, dict], None],
                        run_batch_fn: Callable[[list[Plan], Path], list[Plan]],
                        passed_before: dict[str, set[tuple[str, int]]] | None = None,
                        on_progress: Callable[[Mutant, NightlyRun], None] | None = None,
                        max_batch: int = MAX_BATCH,
                        killers: Mapping[str, Sequence[str]] | None = None) -> None:
    """Classify every mutant, ``jobs`` batch processes at a time.

    ``passed_before`` (key -> {(test, seed)}) skips the runs a mutant passed in an interrupted
    earlier session; ``on_progress`` is told every run a mutant passes (recorded for that);
    ``killers`` (key -> tests) are tried first (``schedule.plan_runs``)."""
    passed_before = passed_before or {}
    killers = killers or {}
    by_id = {m.id: m for m in mutants}
    plans: list[Plan] = []
    for m in mutants:
        runs = plan_runs(line_map, m, seeds_per_test, killers.get(m.key, ()))
        if runs is None:
            on_result(m, {"status": "not_activated", "runs_tried": 0, "seconds": 0.0})
            continue
        done = passed_before.get(m.key, set())
        skipped = [r for r in runs if (r.test, r.seed) in done]
        plan = Plan(m.id, [r for r in runs if (r.test, r.seed) not in done])
        if not plan.runs:      # every run passed before the interruption
            on_result(m, {**verdict(Plan(m.id, runs, [RunResult("PASS", "", 0.0)] * len(runs))),
                          "resumed_runs": len(skipped)})
            continue
        plans.append(plan)

    # One directory per session and batch: a resumed session must not overwrite the logs
    # that earlier records point to.
    session = time.strftime("%Y%m%d-%H%M%S")

    def one(batch: list[Plan], n: int) -> tuple[list[Plan], Path]:
        batch_dir = work / f"{session}-batch{n:05d}"
        return run_batch_fn(batch, batch_dir), batch_dir

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, b, n) for n, b in enumerate(chunks(plans, max_batch, jobs))]
        for fut in as_completed(futures):
            batch, batch_dir = fut.result()
            clean = True
            for plan in batch:
                m = by_id[plan.mutant]
                for run, res in zip(plan.runs, plan.results):
                    if res.status == "PASS" and on_progress:
                        on_progress(m, run)
                rec = verdict(plan, str(batch_dir))
                clean = clean and rec["status"] == "survived"
                on_result(m, rec)
            if clean:       # a batch where every mutant survived leaves nothing worth keeping
                shutil.rmtree(batch_dir, ignore_errors=True)
