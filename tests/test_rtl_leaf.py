"""Leaf RTL tests: lint, Icarus compile, assertion macros, and cocotb simulations of the MASR
primitives (masr_prefix_addr, masr_steal_arb, masr_fifo, masr_sram, masr_perf_stats) against
Python references.

Every simulation is a "job" (one build configuration + one cocotb run with a fixed seed). To fit
the 2-minute budget on 2 cores without pytest-xdist, the jobs of all selected tests are submitted
to a 2-thread pool when the module starts (builds and simulations are subprocesses), longest
first; each test then waits for its own job. Under xdist every test just runs its own job.

Seeds: MASR_LEAF_SEED (default 1) seeds every run; a failing run reproduces from (job, seed):
  MASR_LEAF_SEED=<seed> python -m pytest tests/test_rtl_leaf.py -k <job>
Logs and results of each run: build/leaf_runs/prim/<job>/.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tb.common import simrun
from tb.leaf.jobs import (HAVE_IVERILOG, Job, JobPool, icarus_compile_output,
                          verilator_lint_output, verilator_path)

RTL = simrun.RTL
RUNS = simrun.BUILD_ROOT / "leaf_runs" / "prim"

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
    "masr_perf_stats": [{"NL": 1, "BANKS": 1}, {"NL": 8, "BANKS": 2}, {"NL": 64, "BANKS": 1},
                        {"NL": 1024, "BANKS": 2}],
}
DEPS = {"masr_prefix_addr": ["masr_popcount", "masr_prefix_addr"],
        "masr_perf_stats": ["masr_popcount", "masr_perf_stats"]}


def sources(top: str) -> list[Path]:
    return simrun.rtl_sources(*DEPS.get(top, [top]))


# ------------------------------------------------------------------------------------------------
# Simulation jobs
# ------------------------------------------------------------------------------------------------


PA = "tb.leaf.prefix_addr_cocotb"
ARB = "tb.leaf.steal_arb_cocotb"
FIFO = "tb.leaf.fifo_cocotb"
SRAM = "tb.leaf.sram_cocotb"
PS = "tb.leaf.perf_stats_cocotb"
PA8 = {"B": 8, "KW": 4, "WAddrW": 16, "AAddrW": 10}
PA16 = {"B": 16, "KW": 4, "WAddrW": 16, "AAddrW": 10}
PA32 = {"B": 32, "KW": 4, "WAddrW": 17, "AAddrW": 10}
PS_V = {"NL": 8, "BANKS": 2, "RetW": 4}
PS_I = {"NL": 3, "BANKS": 1, "RetW": 3}
SRAM_P = {"Width": 12, "Depth": 20, "NumRd": 2}


def _pa_env(p: dict[str, object], rows: int, **extra: str) -> dict[str, str]:
    return {"MASR_PA_KW": str(p["KW"]), "MASR_PA_WADDRW": str(p["WAddrW"]),
            "MASR_PA_AADDRW": str(p["AAddrW"]), "MASR_PA_ROWS": str(rows), **extra}


def _sram_env(name: str) -> dict[str, str]:
    return {"MASR_SRAM_DEPTH": str(SRAM_P["Depth"]), "MASR_SRAM_BDNAME": name}


def _ps_env(p: dict[str, object], cycles: int, long: int) -> dict[str, str]:
    return {"MASR_PS_NL": str(p["NL"]), "MASR_PS_BANKS": str(p["BANKS"]),
            "MASR_PS_CYCLES": str(cycles), "MASR_PS_LONG": str(long)}


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
    Job("perf_stats_v", "masr_perf_stats", PS_V, PS, env=_ps_env(PS_V, 3000, 8200)),
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
    Job("perf_stats_i", "masr_perf_stats", PS_I, PS, sim="icarus", env=_ps_env(PS_I, 2000, 1500)),
]




POOL = JobPool(JOBS, sources, RUNS)


@pytest.fixture(scope="module", autouse=True)
def _presubmit(request):
    """Start every selected simulation job now, in JOBS order, on the 2-thread pool."""
    POOL.presubmit(request)
    yield
    POOL.shutdown()


@pytest.mark.parametrize("job", [j.name for j in JOBS])
def test_sim(job: str) -> None:
    POOL.check(job)


# ------------------------------------------------------------------------------------------------
# Static checks
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("top", list(LINT_SETS))
def test_lint(top: str) -> None:
    """verilator --lint-only -Wall is clean (with rtl/lint.vlt) for every parameter set."""
    for params in LINT_SETS[top]:
        rc, out = verilator_lint_output(top, sources(top), params)
        assert rc == 0 and not out, f"{top} {params}:\n{out}"


@pytest.mark.skipif(not HAVE_IVERILOG, reason="iverilog not installed")
@pytest.mark.parametrize("top", list(LINT_SETS))
def test_icarus_compile(top: str) -> None:
    """Every file of ours compiles with Icarus 11 -g2012, warning-free."""
    rc, out = icarus_compile_output(top, sources(top), {})
    assert rc == 0 and not out, out


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
        res = subprocess.run([verilator_path(), "--lint-only", "--timing", "-Wno-fatal", "-Wno-lint",
                              "--quiet-stats", f"-I{RTL}", str(src), "--top-module", "macro_tb"],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0 and "%Error" not in res.stderr, res.stdout + res.stderr
