"""Direct cocotb tests of masr_top on the 4x2 and 8x8 builds (tb/direct/engine_cocotb.py).

Each configuration is built once (tb.common.simrun caches the build); every cocotb test runs in its own
simulation with a fixed seed and its own test directory (backdoor files live in <test_dir>/bd).
"""
from __future__ import annotations

import shutil

import pytest

from tb.common import simrun
from tb.common.configs import CONFIGS, TOPLEVEL, build_top

MODULE = "tb.direct.engine_cocotb"
TESTS = ("test_caps_and_reset", "test_random_backdoor", "test_null_skip", "test_scan",
         "test_frontdoor", "test_errors", "test_split", "test_split_utilization")
SEEDS = {"4x2": 1234, "8x8": 5678}


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def built(request):
    config = request.param
    _, build_dir = build_top(config)   # the same cached build the regression uses
    return config, build_dir


@pytest.mark.parametrize("testcase", TESTS)
def test_engine_direct(built, testcase):
    config, build_dir = built
    test_dir = simrun.BUILD_ROOT / "direct" / config / testcase
    shutil.rmtree(test_dir, ignore_errors=True)
    bd_dir = test_dir / "bd"
    bd_dir.mkdir(parents=True)
    xml = simrun.run(simrun.fresh_runner("verilator"), build_dir, TOPLEVEL, MODULE,
                     seed=SEEDS[config], test_dir=test_dir, testcase=testcase,
                     plusargs=[f"+masr_bd_dir={bd_dir}"], extra_env={"MASR_CONFIG": config},
                     timeout=900, log_file=test_dir / "sim.log")
    assert simrun.results_passed(xml), f"{config} {testcase} failed, see {test_dir / 'sim.log'}"
