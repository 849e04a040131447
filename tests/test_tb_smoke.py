"""The pyuvm testbench against the real DUT: SmokeTest and ErrorTest on the 4x2 bring-up build.

Builds masr_top once (tb.common.simrun caches the build) and runs each test in its own directory with
the backdoor plusarg pointing into it.  The full matrix (every test, both configurations, many
seeds) is scripts/regress.py's job, driven by tb/regression.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tb.common import simrun
from tb.common.configs import TOPLEVEL, build_top
from tb.regression import TEST_MODULE

CONFIG = "4x2"
pytestmark = pytest.mark.xdist_group("tb_sim_4x2")


@pytest.fixture(scope="module")
def build():
    return build_top(CONFIG)


@pytest.mark.parametrize("test", ["SmokeTest", "ErrorTest"])
def test_tb_on_dut(build, test, tmp_path):
    runner, build_dir = build
    test_dir = tmp_path / f"{test}_{CONFIG}_1"
    xml = simrun.run(runner, build_dir, TOPLEVEL, TEST_MODULE, seed=1, test_dir=test_dir,
                     testcase=test, plusargs=[f"+masr_bd_dir={test_dir}/bd"],
                     extra_env={"MASR_CONFIG": CONFIG}, timeout=300,
                     log_file=test_dir / "sim.log")
    summary = test_dir / "summary.json"
    detail = json.loads(summary.read_text())["errors"][:5] if summary.exists() else "no summary"
    assert simrun.results_passed(Path(xml)), f"{test} failed, see {test_dir}/sim.log: {detail}"
    data = json.loads(summary.read_text())
    assert data["passed"] and data["n_products"] > 0 and data["config"] == CONFIG
    assert (test_dir / "coverage.xml").exists()


def test_bfm_drives_full_cycles_after_idle(build, tmp_path):
    runner, build_dir = build
    test_dir = tmp_path / "bfm_timing"
    xml = simrun.run(runner, build_dir, TOPLEVEL, "tb.direct.bfm_cocotb", seed=1,
                     test_dir=test_dir, plusargs=[f"+masr_bd_dir={test_dir}/bd"],
                     extra_env={"MASR_CONFIG": CONFIG}, timeout=300,
                     log_file=test_dir / "sim.log")
    assert simrun.results_passed(Path(xml)), f"see {test_dir}/sim.log"
