"""Several mutants in one simulator process (docs/mutation.md, scripts/mutation/batch.py).

The selector model (scripts/mutation/generate.py) reads the mutant number from
``masr_top.masr_mut_rt`` on every evaluation, so the testbench can switch mutants at run time.
This cocotb module runs a list of *plans* from the job file ``$MASR_MUT_JOB`` (JSON): each plan
is one mutant and the regression runs it tries, in order, until the first one that fails::

    {"plans": [{"plan": 0, "mutant": 12, "runs": [{"test": "FrontdoorTest", "module": "tb.matvec.tests",
                                        "seed": 107000002}, ...]}, ...],
     "timeout_s": [[60.0, ...], ...],          # wall-clock budget per plan and run
     "progress": "/path/progress.jsonl",
     "assertions_continue": true}              # the process runs with +verilator+error+limit

Every (plan, run) is one cocotb test, registered in order; the runs of a plan after its first
failure return at once without running.  Per run: clear every backdoor-loadable memory (a
backdoor load with no files present clears the arrays, as at time 0), set the selector, seed
exactly as a plain run of that test and seed would be seeded (cocotb's per-test seed of
``<module>.<test>`` from the run's seed, and the seed environment the base test reads), and run
the pyuvm test (``uvm_root().run_test``: it clears pyuvm's singletons, ConfigDB and factory
overrides; the test itself resets the DUT).  cocotb ends every task a test started (clock,
monitors, the irq watcher) when the test ends, so nothing of one run's testbench survives into
the next.

A run ends at the scoreboard's first mismatch (a plain run would go on to its end and fail
there): the verdict is the same, and a killing run costs the simulation up to its first error.

Progress is one fsync'ed JSON line per event (``start``, ``end`` with PASS/FAIL, ``timeout``), so
the supervisor can tell which (plan, run) was in flight when the process died.  A wall-clock
watchdog thread ends the process (exit code 3) when the run in flight exceeds its budget: a hung
mutant is killed by timeout and the supervisor restarts the batch after it.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import os
import random
import threading
import time
import traceback
from pathlib import Path

import cocotb
from cocotb.triggers import Timer

ENV_JOB = "MASR_MUT_JOB"
WATCHDOG_EXIT = 3


def test_seed(regression_seed: int, module: str, test: str) -> int:
    """The seed cocotb gives test ``module.test`` in a plain run (cocotb/regression.py)."""
    return regression_seed + int(hashlib.sha1(f"{module}.{test}".encode()).hexdigest(), 16)


class Progress:
    """Append-only progress file, one fsync'ed line per event."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.lock = threading.Lock()

    def write(self, **rec) -> None:
        line = json.dumps({**rec, "time": time.time()}) + "\n"
        with self.lock, open(self.path, "a") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())


class SimLog:
    """The simulator's own output (fd 1: the run's sim.log).  With ``+verilator+error+limit``
    raised, an assertion that fires prints its ``%Error: ... Assertion failed`` line and the
    simulation goes on instead of ending at ``$stop``; the run is judged failed from that line
    (the same verdict the stop gives a plain run), and the process can take the next mutant."""

    MARK = "Assertion failed"

    def __init__(self) -> None:
        import ctypes

        self.libc = ctypes.CDLL(None)
        self.path = Path("/proc/self/fd/1")

    def offset(self) -> int:
        self.flush()
        try:
            return os.fstat(1).st_size
        except OSError:
            return 0

    def flush(self) -> None:
        import sys

        sys.stdout.flush()
        self.libc.fflush(None)          # the model's printf output (C stdio buffer)

    def errors_since(self, offset: int) -> list[str]:
        self.flush()
        try:
            with open(self.path, "rb") as fh:
                fh.seek(offset)
                text = fh.read().decode(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if "%Error" in line and self.MARK in line]


    async def watch(self, offset: int, every_ns: int = 20_000) -> None:
        """Fail the test (a task that raises ends it) once an assertion message appears."""
        while True:
            await Timer(every_ns, "ns")
            fired = self.errors_since(offset)
            if fired:
                raise AssertionError("\n".join(fired[:5]))


async def first_scoreboard_error_ends_run(seen: list[str], every_ns: int = 20_000) -> None:
    """Fail the run at the scoreboard's first mismatch (a task that raises ends the test), and
    put that mismatch in ``seen`` for the run's verdict.

    A plain run records every mismatch and fails at its end; once one is recorded the verdict
    is already FAIL, so a mutant's run need not simulate the rest of its layers."""
    from pyuvm import uvm_root

    while True:
        await Timer(every_ns, "ns")
        test = uvm_root().uvm_test_top      # run_test makes a new root: look it up each time
        errors = getattr(getattr(getattr(test, "env", None), "scoreboard", None), "errors", None)
        if errors:
            seen.append(f"scoreboard mismatch (the run stops at the first): {errors[0]}")
            raise AssertionError(seen[-1])


class Watchdog:
    """Ends the process when the run in flight takes longer than its wall-clock budget."""

    def __init__(self, progress: Progress, simlog: SimLog | None = None):
        self.progress = progress
        self.simlog = simlog
        self.log_offset = 0
        self.current: tuple[int, int, float] | None = None
        self.since = 0.0
        self.lock = threading.Lock()
        threading.Thread(target=self._watch, daemon=True).start()

    def arm(self, plan: int, run: int, budget_s: float) -> None:
        with self.lock:
            self.current, self.since = (plan, run, budget_s), time.monotonic()

    def disarm(self) -> None:
        with self.lock:
            self.current = None

    def _watch(self) -> None:
        while True:
            time.sleep(0.5)
            with self.lock:
                cur = self.current
                late = cur is not None and time.monotonic() - self.since > cur[2]
            if late and cur is not None:
                fired = self.simlog.errors_since(self.log_offset) if self.simlog else []
                if fired:      # an assertion failed before the hang: that is the verdict
                    self.progress.write(event="end", plan=cur[0], run=cur[1], status="FAIL",
                                        message="\n".join(fired[:5]), seconds=cur[2])
                else:
                    self.progress.write(event="timeout", plan=cur[0], run=cur[1],
                                        timeout_s=cur[2])
                os._exit(WATCHDOG_EXIT)


class Batch:
    def __init__(self, job: dict):
        self.job = job
        self.progress = Progress(Path(job["progress"]))
        self.simlog = SimLog() if job.get("assertions_continue") else None
        self.watchdog = Watchdog(self.progress, self.simlog)
        self.failed: set[int] = set()        # plans decided: a run failed

    def make_test(self, pos: int, r: int):
        plan = self.job["plans"][pos]
        p = int(plan.get("plan", pos))       # the supervisor's number of this plan
        mutant = int(plan["mutant"])
        spec = plan["runs"][r]
        budget = float(self.job["timeout_s"][pos][r])
        batch = self

        async def run_one(dut) -> None:
            if p in batch.failed:
                return                      # the mutant is killed: its later runs are not run
            from pyuvm import uvm_root

            test_cls = getattr(importlib.import_module(spec["module"]), spec["test"])
            seed = int(spec["seed"])
            bd_dir = Path(cocotb.plusargs.get("masr_bd_dir") or Path.cwd() / "bd")
            batch.progress.write(event="start", plan=p, run=r, mutant=mutant)
            log_offset = batch.simlog.offset() if batch.simlog else 0
            batch.watchdog.log_offset = log_offset
            batch.watchdog.arm(p, r, budget)
            t0 = time.monotonic()
            status, message = "FAIL", "aborted (a testbench task failed or the test was cancelled)"
            mismatch: list[str] = []
            try:
                # Memories as at time 0: a backdoor load with no files clears the arrays.
                bd_dir.mkdir(parents=True, exist_ok=True)
                for f in bd_dir.iterdir():
                    if f.is_file():
                        f.unlink()
                dut.bd_load_i.value = 0
                await Timer(1, "ns")
                dut.bd_load_i.value = 1
                await Timer(1, "ns")
                dut.bd_load_i.value = 0
                dut.masr_mut_rt.value = mutant
                await Timer(1, "ns")
                # The seeding of a plain run of this test and seed (tb/common/base_test.py).
                if batch.simlog:        # an assertion ends the run soon after it fires
                    cocotb.start_soon(batch.simlog.watch(log_offset))
                cocotb.start_soon(first_scoreboard_error_ends_run(mismatch))
                os.environ["COCOTB_RANDOM_SEED"] = os.environ["MASR_SEED"] = str(seed)
                tseed = test_seed(seed, spec["module"], spec["test"])
                cocotb.RANDOM_SEED = tseed
                random.seed(tseed)
                await uvm_root().run_test(test_cls)
                status, message = "PASS", ""
            except Exception as exc:          # the regression's verdict: this run fails
                message = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"[-4000:]
                raise
            finally:
                batch.watchdog.disarm()
                fired = batch.simlog.errors_since(log_offset) if batch.simlog else []
                if fired:
                    status, message = "FAIL", "\n".join(fired[:5]) + "\n" + message
                elif mismatch:
                    status, message = "FAIL", mismatch[0]
                if status != "PASS":
                    batch.failed.add(p)
                batch.progress.write(event="end", plan=p, run=r, mutant=mutant, status=status,
                                     message=message, seconds=round(time.monotonic() - t0, 3))
                keep = Path("summary.json")
                if keep.exists():
                    keep.rename(f"summary-p{p}-r{r}-m{mutant}.json")

        name = f"p{p}_r{r}_mutant{mutant}_{spec['test']}_seed{spec['seed']}"
        run_one.__name__ = run_one.__qualname__ = name
        return cocotb.test(name=name)(run_one)


def _register() -> None:
    path = os.environ.get(ENV_JOB)
    if not path:
        return
    batch = Batch(json.loads(Path(path).read_text()))
    for p, plan in enumerate(batch.job["plans"]):
        for r in range(len(plan["runs"])):
            test = batch.make_test(p, r)
            globals()[test.name] = test


_register()
