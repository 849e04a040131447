"""Direct cocotb tests of the GRU layer in masr_top on the 4x2 and 8x8 builds
(tb/direct/gru_cocotb.py): random bidirectional layers against golden.gru_seq and
golden.gru.bigru_layer_q, the GRU error codes, and the frontdoor of the GRU memories.

Each configuration is built once (tb.common.simrun caches the build, shared with the engine tests and the
regression); every cocotb test runs in its own simulation with a fixed seed and its own test
directory (backdoor and dump files live in <test_dir>/bd).
"""
from __future__ import annotations

import shutil

import pytest

from tb.common import simrun
from tb.common.configs import CONFIGS, TOPLEVEL, build_top

MODULE = "tb.direct.gru_cocotb"
TESTS = ("test_gru_regs", "test_gru_layers", "test_gru_overlap", "test_gru_prefetch",
         "test_gru_wide_encoder", "test_gru_errors",
         "test_gru_frontdoor")
SEEDS = {"4x2": 4321, "8x8": 8765}


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def built(request):
    config = request.param
    _, build_dir = build_top(config)   # the same cached build the regression uses
    return config, build_dir


@pytest.mark.parametrize("testcase", TESTS)
def test_gru_direct(built, testcase):
    config, build_dir = built
    test_dir = simrun.BUILD_ROOT / "direct_gru" / config / testcase
    shutil.rmtree(test_dir, ignore_errors=True)
    bd_dir = test_dir / "bd"
    bd_dir.mkdir(parents=True)
    xml = simrun.run(simrun.fresh_runner("verilator"), build_dir, TOPLEVEL, MODULE,
                     seed=SEEDS[config], test_dir=test_dir, testcase=testcase,
                     plusargs=[f"+masr_bd_dir={bd_dir}"], extra_env={"MASR_CONFIG": config},
                     timeout=900, log_file=test_dir / "sim.log")
    assert simrun.results_passed(xml), f"{config} {testcase} failed, see {test_dir / 'sim.log'}"
