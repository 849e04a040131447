"""Running mutants against the selector model: a mutant costs simulations, never a build.

Each mutant tries the nightly runs that reach its line, cheapest first (one seed per test first),
and stops at the first failure.  The judge is the regression's own: a failing scoreboard,
an assertion that fires, the driver's watchdog, a simulator crash, or a run that exceeds
``TIMEOUT_FACTOR`` x its nightly duration (killed by timeout).
"""
from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from mutation.activation import LineMap, NightlyRun
from mutation.generate import PLUSARG, Mutant

TIMEOUT_FACTOR = 3.0
# A floor under the timeout: cocotb start-up alone is ~2 s and the machine is shared.  A hung
# DUT is caught earlier by the driver's done watchdog (a FAIL); the wall clock only guards
# against a simulator that stops advancing, so a generous floor loses nothing.
TIMEOUT_FLOOR_S = 60.0


def run_timeout(run: NightlyRun, load_scale: float = 1.0) -> float:
    """~3x the run's normal time: its nightly duration, scaled by how much slower this machine
    is now (measured by the baseline run), never below the floor."""
    return max(TIMEOUT_FACTOR * run.seconds * max(load_scale, 1.0), TIMEOUT_FLOOR_S)


@dataclass
class RunResult:
    status: str         # PASS, FAIL, TIMEOUT, CRASH
    message: str
    seconds: float


def test_modules() -> dict[str, str]:
    from tb.regression import REGRESSION
    return {e.test: e.module for e in REGRESSION}


def simulate(build_dir: Path, config: str, run: NightlyRun, mutant_id: int, run_dir: Path,
             timeout_s: float) -> RunResult:
    """One regression run of one mutant (never raises)."""
    import regress
    from tb.common import simrun
    from tb.common.configs import ENV_CONFIG, TOPLEVEL

    run_dir.mkdir(parents=True, exist_ok=True)
    log = run_dir / "sim.log"
    start = time.monotonic()
    runner = simrun.fresh_runner("verilator", timeout_s)
    try:
        xml = simrun.run(runner, build_dir, TOPLEVEL, test_modules()[run.test], seed=run.seed,
                         test_dir=run_dir, testcase=run.test, log_file=log,
                         extra_env={ENV_CONFIG: config},
                         plusargs=[f"+masr_bd_dir={run_dir / 'bd'}", f"+{PLUSARG}={mutant_id}"])
        message = regress.failure_message(Path(xml))
        status = "FAIL" if message else "PASS"
    except simrun.SimTimeout as exc:
        status, message = "TIMEOUT", str(exc)
    except (Exception, SystemExit) as exc:      # simulator died: the regression fails too
        status, message = "CRASH", f"{type(exc).__name__}: {exc}"
    return RunResult(status, message.strip(), time.monotonic() - start)


def plan_runs(line_map: LineMap, mutant: Mutant, seeds_per_test: int,
              first_tests: Sequence[str] = ()) -> list[NightlyRun] | None:
    """The runs a mutant tries, in order; None = its line is never reached (not activated).

    ``first_tests`` (the tests that killed the same mutant on another configuration) go first:
    a kill usually repeats, and otherwise the plan is the same runs in another order."""
    reaching = line_map.runs_for(mutant.file, mutant.lines)
    if reaching is None:
        reaching = line_map.all_runs()          # no coverage point: any run may reach it
    elif mutant.condition:
        # The line's point counts only runs that took the branch; a condition stuck at true
        # (or widened) acts in the runs that did not.  Those runs go after the ones that took it.
        taken = set(reaching)
        reaching += [run for run in line_map.all_runs() if run not in taken]
    elif not reaching:
        return None
    rounds: list[list[NightlyRun]] = [[] for _ in range(seeds_per_test)]
    seen: dict[str, int] = {}
    for run in reaching:                        # cheapest seed of every test first
        n = seen.get(run.test, 0)
        if n < seeds_per_test:
            rounds[n].append(run)
            seen[run.test] = n + 1
    ordered = [run for rnd in rounds for run in rnd]
    return sorted(ordered, key=lambda run: run.test not in first_tests)   # stable


def rerun_command(config: str, mutant: Mutant) -> str:
    return f".venv/bin/python scripts/mutate.py --config {config} --rerun {mutant.key}"


def classify(mutant: Mutant, config: str, build_dir: Path, runs: list[NightlyRun],
             work: Path, load_scale: float = 1.0) -> dict:
    """Run until the first failure; the record for the results store."""
    tried = 0
    start = time.monotonic()
    for run in runs:
        run_dir = work / f"m{mutant.id}" / f"{run.test}-seed{run.seed}"
        result = simulate(build_dir, config, run, mutant.id, run_dir, run_timeout(run, load_scale))
        tried += 1
        if result.status != "PASS":
            import regress
            status = "killed_timeout" if result.status == "TIMEOUT" else "killed"
            return {"status": status, "killed_by": {"test": run.test, "seed": run.seed,
                                                    "run_status": result.status,
                                                    "signature": regress.failure_signature(result.message),
                                                    "log": str(run_dir / "sim.log")},
                    "runs_tried": tried, "seconds": round(time.monotonic() - start, 2)}
        shutil.rmtree(run_dir, ignore_errors=True)   # passing runs leave nothing worth keeping
    return {"status": "survived", "runs_tried": tried,
            "seconds": round(time.monotonic() - start, 2),
            "tests_tried": [f"{r.test}:{r.seed}" for r in runs]}


def run_mutants(mutants: list[Mutant], config: str, build_dir: Path, line_map: LineMap,
                work: Path, jobs: int, seeds_per_test: int,
                on_result: Callable[[Mutant, dict], None], load_scale: float = 1.0,
                killers: Mapping[str, Sequence[str]] | None = None) -> None:
    """Classify every mutant, ``jobs`` simulations at a time; results reported as they come."""
    lock = threading.Lock()
    killers = killers or {}

    def one(mutant: Mutant) -> tuple[Mutant, dict]:
        runs = plan_runs(line_map, mutant, seeds_per_test, killers.get(mutant.key, ()))
        if runs is None:
            return mutant, {"status": "not_activated", "runs_tried": 0, "seconds": 0.0}
        return mutant, classify(mutant, config, build_dir, runs, work, load_scale)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [pool.submit(one, m) for m in mutants]
        for fut in as_completed(futures):
            mutant, rec = fut.result()
            with lock:
                on_result(mutant, rec)
