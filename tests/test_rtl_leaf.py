"""Leaf RTL tests: lint, Icarus compile, assertion macros, and cocotb simulations of the MASR
primitives (masr_prefix_addr, masr_steal_arb, masr_fifo, masr_sram) against Python references.

Every simulation is a "job" (one build configuration + one cocotb run with a fixed seed). To fit
the 2-minute budget on 2 cores without pytest-xdist, the jobs of all selected tests are submitted
to a 2-thread pool when the module starts (builds and simulations are subprocesses), longest
first; each test then waits for its own job. Under xdist every test just runs its own job.

Seeds: MASR_LEAF_SEED (default 1) seeds every run; a failing run reproduces from (job, seed):
  MASR_LEAF_SEED=<seed> python -m pytest tests/test_rtl_leaf.py -k <job>
Logs and results of each run: build/leaf_runs/prim/<job>/.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tb import simrun

RTL = simrun.RTL
RUNS = simrun.BUILD_ROOT / "leaf_runs" / "prim"
SEED = int(os.environ.get("MASR_LEAF_SEED", "1"))
INC = [f"-I{RTL}"]
HAVE_IVERILOG = shutil.which("iverilog") is not None and shutil.which("vvp") is not None

# Modules owned by this test file, with the parameter sets to lint.
LINT_SETS: dict[str, list[dict[str, object]]] = {
    "masr_popcount": [{"Width": w} for w in (1, 2, 8, 16, 32)],
    "masr_sram": [{"Width": 12, "Depth": 20, "NumRd": 2, "BdName": '"mem_t"'},
                  {"Width": 8, "Depth": 64, "NumRd": 1},
                  {"Width": 16, "Depth": 1, "NumRd": 3, "BdName": '"x"'}],
    "masr_fifo": [{"Width": 32, "Depth": d} for d in (1, 2, 5, 8)],
    "masr_prefix_addr": [{"B": 8, "KW": 1}, {"B": 8, "KW": 4}, {"B": 16, "KW": 8},
                         {"B": 32, "KW": 4, "WAddrW": 17}, {"B": 2, "KW": 3}],
    "masr_steal_arb": [{"RowW": r} for r in (1, 3, 6, 9)],
}
DEPS = {"masr_prefix_addr": ["masr_popcount", "masr_prefix_addr"]}


def sources(top: str) -> list[Path]:
    return simrun.rtl_sources(*DEPS.get(top, [top]))


# ------------------------------------------------------------------------------------------------
# Simulation jobs
# ------------------------------------------------------------------------------------------------
@dataclass
class Job:
    name: str
    top: str
    params: dict[str, object]
    test_module: str
    sim: str = "verilator"
    env: dict[str, str] = field(default_factory=dict)
    testcase: str | None = None
    bd_dir: bool = False          # give the run a backdoor directory (+masr_bd_dir)
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


PA = "tb.leaf.prefix_addr_cocotb"
ARB = "tb.leaf.steal_arb_cocotb"
FIFO = "tb.leaf.fifo_cocotb"
SRAM = "tb.leaf.sram_cocotb"
PA8 = {"B": 8, "KW": 4, "WAddrW": 16, "AAddrW": 10}
PA16 = {"B": 16, "KW": 4, "WAddrW": 16, "AAddrW": 10}
PA32 = {"B": 32, "KW": 4, "WAddrW": 17, "AAddrW": 10}
SRAM_P = {"Width": 12, "Depth": 20, "NumRd": 2}


def _pa_env(p: dict[str, object], rows: int, **extra: str) -> dict[str, str]:
    return {"MASR_PA_KW": str(p["KW"]), "MASR_PA_WADDRW": str(p["WAddrW"]),
            "MASR_PA_AADDRW": str(p["AAddrW"]), "MASR_PA_ROWS": str(rows), **extra}


def _sram_env(name: str) -> dict[str, str]:
    return {"MASR_SRAM_DEPTH": str(SRAM_P["Depth"]), "MASR_SRAM_BDNAME": name}


# In submission order: one job per distinct build first (longest first), then the jobs that
# reuse a build, then the cheap Icarus jobs.
JOBS = [
    Job("pa_b8_exh0", "masr_prefix_addr", PA8, PA, testcase="exhaustive_single_word",
        env=_pa_env(PA8, 0, MASR_PA_EXHAUSTIVE="1", MASR_PA_EXH_SLICE="0/2")),
    Job("pa_b16", "masr_prefix_addr", PA16, PA, env=_pa_env(PA16, 1500)),
    Job("pa_b32", "masr_prefix_addr", PA32, PA, env=_pa_env(PA32, 1000)),
    Job("arb_v", "masr_steal_arb", {"RowW": 6}, ARB, env={"MASR_ARB_PRODUCTS": "300"}),
    Job("fifo_v", "masr_fifo", {"Width": 16, "Depth": 5}, FIFO, env={"MASR_FIFO_DEPTH": "5"}),
    Job("sram_v", "masr_sram", SRAM_P, SRAM, bd_dir=True,
        str_params={"BdName": "mem_t"}, env=_sram_env("mem_t")),
    Job("sram_nobd_v", "masr_sram", SRAM_P, SRAM, bd_dir=True,
        str_params={"BdName": ""}, testcase="backdoor", env=_sram_env("")),
    Job("pa_b8_exh1", "masr_prefix_addr", PA8, PA, testcase="exhaustive_single_word",
        env=_pa_env(PA8, 0, MASR_PA_EXHAUSTIVE="1", MASR_PA_EXH_SLICE="1/2")),
    Job("pa_b8", "masr_prefix_addr", PA8, PA, env=_pa_env(PA8, 1500)),
    Job("fifo_assert_v", "masr_fifo", {"Width": 16, "Depth": 5}, FIFO,
        testcase="push_when_full_must_fire", expect_assert="NoPushWhenFull_A",
        env={"MASR_FIFO_DEPTH": "5", "MASR_EXPECT_ASSERT": "1"}),
    Job("arb_i", "masr_steal_arb", {"RowW": 3}, ARB, sim="icarus",
        env={"MASR_ARB_PRODUCTS": "150"}),
    Job("pa_b16_i", "masr_prefix_addr", PA16, PA, sim="icarus", env=_pa_env(PA16, 200)),
    Job("fifo_i", "masr_fifo", {"Width": 16, "Depth": 8}, FIFO, sim="icarus",
        env={"MASR_FIFO_DEPTH": "8", "MASR_FIFO_CYCLES": "2000"}),
    Job("sram_i", "masr_sram", SRAM_P, SRAM, sim="icarus", bd_dir=True,
        str_params={"BdName": "mem_t"}, env=_sram_env("mem_t")),
    Job("sram_nobd_i", "masr_sram", SRAM_P, SRAM, sim="icarus", bd_dir=True,
        str_params={"BdName": ""}, testcase="backdoor", env=_sram_env("")),
    Job("fifo_assert_i", "masr_fifo", {"Width": 16, "Depth": 8}, FIFO, sim="icarus",
        testcase="push_when_full_must_fire", expect_assert="NoPushWhenFull_A",
        env={"MASR_FIFO_DEPTH": "8", "MASR_EXPECT_ASSERT": "1"}),
]
JOB_BY_NAME = {j.name: j for j in JOBS}


@dataclass
class Outcome:
    passed: bool
    error: str | None
    log: str
    seconds: float


def run_job(job: Job) -> Outcome:
    t0 = time.monotonic()
    if job.sim == "icarus" and not HAVE_IVERILOG:
        return Outcome(False, "skip: iverilog/vvp not installed", "", 0.0)
    runner, build_dir = simrun.build(job.top, sources(job.top), job.params, simulator=job.sim,
                                     extra_args=job.extra_args())
    test_dir = RUNS / job.name
    if test_dir.exists():
        shutil.rmtree(test_dir)
    test_dir.mkdir(parents=True)
    log_file = test_dir / "sim.log"
    env = dict(job.env)
    plusargs = []
    if job.bd_dir:
        bd = test_dir / "bd"
        bd.mkdir()
        env["MASR_BD_DIR"] = str(bd)
        plusargs.append(f"+masr_bd_dir={bd}")
    error = None
    passed = False
    try:
        xml = simrun.run(runner, build_dir, job.top, job.test_module, seed=SEED, test_dir=test_dir,
                         testcase=job.testcase, plusargs=plusargs, extra_env=env,
                         timeout=job.timeout, log_file=log_file)
        passed = simrun.results_passed(xml)
    except (Exception, SystemExit) as exc:  # non-zero sim exit (cocotb raises SystemExit), timeout
        error = f"{type(exc).__name__}: {exc}"
    log = log_file.read_text(errors="replace") if log_file.exists() else ""
    return Outcome(passed, error, log, time.monotonic() - t0)


_POOL: ThreadPoolExecutor | None = None
_FUTURES: dict[str, Future] = {}


def submit(name: str) -> Future:
    global _POOL
    if _POOL is None:
        _POOL = ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1)))
    if name not in _FUTURES:
        _FUTURES[name] = _POOL.submit(run_job, JOB_BY_NAME[name])
    return _FUTURES[name]


@pytest.fixture(scope="module", autouse=True)
def _presubmit(request):
    """Start every selected simulation job now, in JOBS order, on the 2-thread pool."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        selected = {item.callspec.params["job"] for item in request.session.items
                    if item.module is request.module and hasattr(item, "callspec")
                    and "job" in item.callspec.params}
        for job in JOBS:
            if job.name in selected:
                submit(job.name)
    yield
    if _POOL is not None:
        _POOL.shutdown(wait=True, cancel_futures=True)


@pytest.mark.parametrize("job", [j.name for j in JOBS])
def test_sim(job: str) -> None:
    j = JOB_BY_NAME[job]
    out = submit(job).result()
    if out.error and out.error.startswith("skip:"):
        pytest.skip(out.error)
    tail = "\n".join(out.log.splitlines()[-40:])
    print(f"{job}: {out.seconds:.1f} s")
    if j.expect_assert:
        # Negative test: the assertion must have fired and stopped the simulation as a failure.
        assert not out.passed, f"{job}: simulation passed although {j.expect_assert} must fire\n{tail}"
        assert "ASSERT FAILED" in out.log and j.expect_assert in out.log, \
            f"{job}: failed, but not by {j.expect_assert}\n{tail}"
        assert "still running" not in out.log, f"{job}: the assertion did not stop the run\n{tail}"
        return
    assert out.error is None and out.passed, f"{job} (seed {SEED}): {out.error}\n{tail}"


# ------------------------------------------------------------------------------------------------
# Static checks
# ------------------------------------------------------------------------------------------------
def _verilator() -> str:
    simrun.setup_verilator_env()
    return str(Path(os.environ["VERILATOR_ROOT"]) / "bin" / "verilator")


@pytest.mark.parametrize("top", list(LINT_SETS))
def test_lint(top: str) -> None:
    """verilator --lint-only -Wall is clean (with rtl/lint.vlt) for every parameter set."""
    for params in LINT_SETS[top]:
        cmd = [_verilator(), "--lint-only", "-Wall", "--quiet-stats", f"-I{RTL}",
               str(RTL / "lint.vlt"), *map(str, sources(top)), "--top-module", top,
               *[f"-G{k}={v}" for k, v in params.items()]]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        out = (res.stdout + res.stderr).strip()
        assert res.returncode == 0 and not out, f"{top} {params}:\n{out}"


@pytest.mark.skipif(not HAVE_IVERILOG, reason="iverilog not installed")
@pytest.mark.parametrize("top", list(LINT_SETS))
def test_icarus_compile(top: str) -> None:
    """Every file of ours compiles with Icarus 11 -g2012, warning-free."""
    res = subprocess.run(["iverilog", "-g2012", f"-I{RTL}", "-o", os.devnull, "-s", top,
                          *map(str, sources(top))], capture_output=True, text=True, timeout=60)
    out = (res.stdout + res.stderr).strip()
    assert res.returncode == 0 and not out, out


# Assertion macros: each one, made to fail on purpose, must stop an Icarus simulation with a
# non-zero exit and a message naming it; the passing twin must run to the end. (Verilator's
# expansion is exercised by the lint and by fifo_assert_v above.)
_MACRO_CASES = {
    "ASSERT": ("`ASSERT(M_A, cnt_q != 4'd3)", "`ASSERT(M_A, cnt_q != 4'd15)"),
    "ASSERT_NEVER": ("`ASSERT_NEVER(M_A, cnt_q == 4'd3)", "`ASSERT_NEVER(M_A, cnt_q == 4'd15)"),
    "ASSERT_IMPL": ("`ASSERT_IMPL(M_A, cnt_q == 4'd3, cnt_q == 4'd4)",
                    "`ASSERT_IMPL(M_A, cnt_q == 4'd3, cnt_q != 4'd4)"),
    "ASSERT_NEXT": ("`ASSERT_NEXT(M_A, cnt_q == 4'd3, cnt_q == 4'd3)",
                    "`ASSERT_NEXT(M_A, cnt_q == 4'd3, cnt_q == 4'd4)"),
    "ASSERT_KNOWN": ("`ASSERT_KNOWN(M_A, x_q)", "`ASSERT_KNOWN(M_A, cnt_q)"),
    "ASSERT_INIT": ("`ASSERT_INIT(M_A, W == 5)", "`ASSERT_INIT(M_A, W == 4)"),
    "ASSERT_clk_rst": ("`ASSERT(M_A, cnt_q != 4'd3, clk_i, !rst_ni)",
                       "`ASSERT(M_A, cnt_q != 4'd3, clk_i, 1'b1)"),
}
_MACRO_TB = """
`include "masr_assert.svh"
module macro_tb;
  localparam int W = 4;
  logic clk_i = 1'b0, rst_ni = 1'b0;
  logic [3:0] cnt_q = 4'd0;
  logic [3:0] x_q;
  always #5 clk_i = ~clk_i;
  always @(posedge clk_i) cnt_q <= cnt_q + 4'd1;
  initial begin
    #12 rst_ni = 1'b1;
    #100 $display("REACHED_END");
    $finish;
  end
  {macro}
endmodule
"""


@pytest.mark.skipif(not HAVE_IVERILOG, reason="iverilog not installed")
@pytest.mark.parametrize("macro", list(_MACRO_CASES))
def test_assert_macros_icarus(macro: str, tmp_path: Path) -> None:
    for case, text in zip(("fail", "pass"), _MACRO_CASES[macro]):
        src = tmp_path / f"{case}.sv"
        src.write_text(_MACRO_TB.replace("{macro}", text))
        vvp = tmp_path / f"{case}.vvp"
        res = subprocess.run(["iverilog", "-g2012", f"-I{RTL}", "-o", str(vvp), str(src)],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stdout + res.stderr
        res = subprocess.run(["vvp", "-n", str(vvp)], capture_output=True, text=True, timeout=60)
        out = res.stdout + res.stderr
        if case == "fail":
            assert res.returncode != 0 and "M_A" in out and "REACHED_END" not in out, out
        else:
            assert res.returncode == 0 and "REACHED_END" in out and "FAILED" not in out, out


@pytest.mark.parametrize("macro", list(_MACRO_CASES))
def test_assert_macros_verilator_lint(macro: str, tmp_path: Path) -> None:
    """The Verilator (SVA) expansion of every macro parses and elaborates (both variants)."""
    for case, text in zip(("fail", "pass"), _MACRO_CASES[macro]):
        src = tmp_path / f"{case}.sv"
        src.write_text(_MACRO_TB.replace("{macro}", text))
        res = subprocess.run([_verilator(), "--lint-only", "--timing", "-Wno-fatal", "-Wno-lint",
                              "--quiet-stats", f"-I{RTL}", str(src), "--top-module", "macro_tb"],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0 and "%Error" not in res.stderr, res.stdout + res.stderr
