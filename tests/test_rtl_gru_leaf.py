"""Leaf RTL tests of the GRU datapath: masr_sigmoid, masr_tanh (exhaustive), masr_gru_cell and
masr_act_encoder (cocotb, against the golden model), plus lint and Icarus compile checks.

Same scheme as tests/test_rtl_leaf.py: every simulation is a job (one build configuration + one
cocotb run with a fixed seed); the jobs of all selected tests go to a 2-thread pool when the
module starts (builds and simulations are subprocesses), longest first, and each test waits for
its own job.

Seeds: MASR_LEAF_SEED (default 1) seeds every run (cocotb.RANDOM_SEED, numpy via
tb.leaf.common.rng); a failing run reproduces from (job, seed):
  MASR_LEAF_SEED=<seed> python -m pytest tests/test_rtl_gru_leaf.py -k <job>
Logs and results of each run: build/leaf_runs/gru/<job>/.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from tb.common import simrun
from tb.leaf.jobs import (HAVE_IVERILOG, Job, JobPool, icarus_compile_output,
                          verilator_lint_output)

RTL = simrun.RTL
TB_LEAF = simrun.REPO / "tb" / "leaf"
RUNS = simrun.BUILD_ROOT / "leaf_runs" / "gru"

# tb/leaf/gru_leaf_tb.sv: masr_sigmoid + masr_tanh on one input, and masr_gru_cell with its own
# port names, so the function sweep and the cell tests share one build.
LEAF_TB = "gru_leaf_tb"
CELL = "masr_gru_cell"
ENC = "masr_act_encoder"


def sources(top: str) -> list[Path]:
    if top == LEAF_TB:
        return [*sources(CELL), TB_LEAF / "gru_leaf_tb.sv"]
    if top == CELL:
        return simrun.rtl_sources("masr_sigmoid", "masr_tanh", CELL)
    return simrun.rtl_sources(top)


# Lint parameter sets (the encoder's geometry corners: V = 1, P_MAX < B, N_MAX = 2^k - 1, ...).
LINT_SETS: dict[str, list[dict[str, object]]] = {
    "masr_sigmoid": [{}],
    "masr_tanh": [{}],
    CELL: [{}],
    ENC: [{"V": 2, "B": 16, "N_MAX": 64}, {"V": 8, "B": 16, "N_MAX": 256},
          {"V": 8, "B": 8, "N_MAX": 100}, {"V": 1, "B": 8, "N_MAX": 20},
          {"V": 4, "B": 32, "N_MAX": 5}, {"V": 16, "B": 2, "N_MAX": 3},
          {"V": 2, "B": 8, "N_MAX": 255}, {"V": 1, "B": 16, "N_MAX": 1},
          {"V": 8, "B": 16, "N_MAX": 256, "WIDE": 1}, {"V": 16, "B": 2, "N_MAX": 3, "WIDE": 1},
          {"V": 1, "B": 8, "N_MAX": 20, "WIDE": 1}, {"V": 4, "B": 32, "N_MAX": 5, "WIDE": 1}],
}




def _enc(V: int, B: int, N_MAX: int, vectors: int,
         wide: int = 0) -> tuple[dict[str, object], dict[str, str]]:
    """Parameters and environment of an encoder build; wide = 1: word mode built (WIDE_ENC),
    every test then runs element-mode and word-mode vectors."""
    return ({"V": V, "B": B, "N_MAX": N_MAX, "WIDE": wide},
            {"MASR_ENC_V": str(V), "MASR_ENC_B": str(B), "MASR_ENC_NMAX": str(N_MAX),
             "MASR_ENC_VECTORS": str(vectors), "MASR_ENC_WIDE": str(wide)})


FN = "tb.leaf.gru_fn_cocotb"
CELLM = "tb.leaf.gru_cell_cocotb"
ENCM = "tb.leaf.gru_enc_cocotb"
ENC_BRINGUP = _enc(2, 16, 64, 150)       # bring-up preset: 4x2, B = 16, N_MAX = 64
ENC_REGR = _enc(8, 16, 256, 60, wide=1)  # regression preset: 8x8, B = 16, N_MAX = 256
ENC_ODD = _enc(8, 8, 100, 150, wide=1)   # P_MAX = 13: partitions not a multiple of B
ENC_WIDE_I = _enc(4, 32, 40, 60, wide=1)  # P_MAX = 10 < B (one partial word per partition)
ENC_V1_I = _enc(1, 8, 20, 60, wide=1)    # a single column: vertical mode has no neighbours

# Submission order: distinct Verilator builds first (longest first), then runs reusing a build,
# then the Icarus jobs (compiling takes a second; Icarus is 4-state, so X problems show up there).
# Two Verilator builds only: a build costs 15-100 s on a busy 2-core machine, a run seconds.
JOBS = [
    Job("fn_v_0", LEAF_TB, {}, FN, env={"MASR_GRU_FN_SLICE": "0/2"}),
    Job("enc_v_8x16", ENC, ENC_REGR[0], ENCM, env=ENC_REGR[1]),
    Job("cell_v", LEAF_TB, {}, CELLM, env={"MASR_GRU_CELL_N": "6000"}),
    Job("fn_v_1", LEAF_TB, {}, FN, env={"MASR_GRU_FN_SLICE": "1/2"}),
    Job("fn_i", LEAF_TB, {}, FN, sim="icarus", env={"MASR_GRU_FN_SLICE": "0/4"}),
    Job("enc_i_2x16", ENC, ENC_BRINGUP[0], ENCM, sim="icarus", env=ENC_BRINGUP[1]),
    Job("enc_i_8x8", ENC, ENC_ODD[0], ENCM, sim="icarus", env=ENC_ODD[1]),
    Job("cell_i", LEAF_TB, {}, CELLM, sim="icarus", env={"MASR_GRU_CELL_N": "1500"}),
    Job("enc_i_4x32", ENC, ENC_WIDE_I[0], ENCM, sim="icarus", env=ENC_WIDE_I[1]),
    Job("enc_i_1x8", ENC, ENC_V1_I[0], ENCM, sim="icarus", env=ENC_V1_I[1]),
    Job("enc_assert_v", ENC, ENC_REGR[0], ENCM, testcase="valid_while_idle_must_fire",
        expect_assert="ValidOnlyStreaming_A", env={**ENC_REGR[1], "MASR_EXPECT_ASSERT": "1"}),
    Job("enc_assert_i", ENC, ENC_BRINGUP[0], ENCM, sim="icarus",
        testcase="valid_while_idle_must_fire", expect_assert="ValidOnlyStreaming_A",
        env={**ENC_BRINGUP[1], "MASR_EXPECT_ASSERT": "1"}),
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
    """Every file of ours compiles with Icarus 11 -g2012, warning-free, for every parameter set."""
    for params in LINT_SETS[top]:
        rc, out = icarus_compile_output(top, sources(top), params)
        assert rc == 0 and not out, f"{top} {params}:\n{out}"
