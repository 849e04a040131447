"""Configurations as data (tb/common/configs.py), their plumbing into scripts/regress.py and
scripts/nightly.py, and the monitors' X/Z check (tb/common/bfm.py)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import regress  # noqa: E402

from golden.config import BRINGUP_4X2, REGRESSION_8X8, LayerConfig, StealMode  # noqa: E402
from golden.errors import SpecError  # noqa: E402
from tb.common import configs  # noqa: E402
from tb.common.bfm import UnknownValueError, known_int, read_hex_words  # noqa: E402
from tb.regression import ICARUS, PAPER_SCALE, REGRESSION, entries_for  # noqa: E402


def test_named_configurations_keep_the_regression_arrays():
    assert configs.resolve("4x2") == BRINGUP_4X2
    assert configs.resolve("8x8") == REGRESSION_8X8


@pytest.mark.parametrize("name, lanes, cap", [("16x16", 256, 512), ("32x32", 1024, 1024)])
def test_paper_scale_arrays_are_named(name, lanes, cap):
    hw = configs.resolve(name)
    assert (hw.n_lanes, hw.M_MAX, hw.N_MAX) == (lanes, cap, cap)


def test_32x32_holds_the_papers_800x800_matrix_with_stealing():
    hw = configs.resolve("32x32")
    for mode in StealMode:
        LayerConfig(800, 800, mode, rep_rows=3).check_fits(hw)   # ~10% of 25 rows per lane


def test_adhoc_size_derives_capacities_and_takes_overrides():
    hw = configs.resolve("2x4")
    assert (hw.M_MAX, hw.N_MAX, hw.SLOTS) == (64, 128, 64)
    over = configs.resolve("16x16:SLOTS=96, wdepth=2048")
    assert (over.SLOTS, over.WDEPTH, over.M_MAX) == (96, 2048, 512)
    assert configs.canonical(" 16x16 : wdepth=2048,SLOTS=96") == "16x16:SLOTS=96,WDEPTH=2048"


def test_every_array_compiles_hot_code_at_O1():
    for spec in ("4x2", "8x8", "16x16", "8x16", "4x2@icarus"):
        assert configs.cxx_opt(configs.resolve(spec)) == "-O1", spec


def test_derived_rule_reproduces_the_hand_picked_8x8_sizes():
    derived = configs.derived_config(8, 8)
    assert (derived.M_MAX, derived.N_MAX, derived.WDEPTH) == (256, 256, 1024)


@pytest.mark.parametrize("spec, reason", [
    ("3x4", "power of two"),
    ("256x2", "CAPS[15:8]"),
    ("16x16:M_MAX=70000", "CAPS2[31:16]"),
    ("16x16:FOO=1", "'FOO' is not one of"),
    ("16x16:SLOTS", "PARAM=INTEGER"),
    ("16x16:H=8", "'H' is not one of"),
    ("big", "not a name"),
    ("4x2@modelsim", "simulator 'modelsim'"),
])
def test_invalid_configurations_are_refused_with_the_reason(spec, reason):
    with pytest.raises(SpecError, match=r"configuration .*" + __import__("re").escape(reason)):
        configs.resolve(spec)


def test_simulator_suffix_selects_icarus_and_stays_in_the_name():
    assert configs.split_simulator("4x2@icarus") == ("4x2", "icarus")
    assert configs.split_simulator("8x8") == ("8x8", "verilator")
    assert configs.resolve("4x2@icarus") == BRINGUP_4X2
    assert configs.canonical("4x2@ICARUS") == "4x2@icarus"


def test_cli_refuses_a_bad_configuration_before_any_build():
    with pytest.raises(argparse.ArgumentTypeError, match="power of two"):
        regress.config_arg("6x6")
    with pytest.raises(SystemExit):
        regress.main(["--configs", "6x6"])


def test_current_config_resolves_adhoc_names(monkeypatch):
    monkeypatch.setenv(configs.ENV_CONFIG, "16x16:SLOTS=80")
    name, hw = configs.current_config()
    assert name == "16x16:SLOTS=80" and hw.SLOTS == 80


def test_an_unnamed_configuration_runs_the_8x8_entries(tmp_path):
    _, jobs = regress.plan_jobs(tmp_path, None, ["4x4"], None)
    template = {(e.test, s) for e in REGRESSION if "8x8" in e.configs for s in e.seeds}
    assert {(j.test, j.seed) for j in jobs} == template
    assert {j.config for j in jobs} == {"4x4"}
    _, named = regress.plan_jobs(tmp_path, ["SmokeTest"], ["4x2", "4x4"], None)
    assert sorted(j.config for j in named) == ["4x2", "4x4"]


def test_a_paper_scale_array_asked_for_by_name_runs_its_nightly_list(tmp_path):
    _, jobs = regress.plan_jobs(tmp_path, None, ["32x32"], None)
    assert {(j.test, j.config) for j in jobs} == \
        {(e.test, "32x32") for e in PAPER_SCALE if "32x32" in e.configs}
    _, default = regress.plan_jobs(tmp_path, None, None, None)
    assert not {"16x16", "32x32"} & {j.config for j in default}    # make sim stays small


def test_entries_for_narrows_to_one_configuration():
    [smoke] = [e for e in entries_for("4x2") if e.test == "SmokeTest"]
    assert smoke.configs == ("4x2",)


def test_icarus_plan_runs_the_four_state_list(tmp_path):
    _, jobs = regress.plan_jobs(tmp_path, None, None, None, "icarus")
    assert {(j.test, j.config) for j in jobs} == {(e.test, e.configs[0]) for e in ICARUS}
    assert {"SmokeTest", "RandomTest", "GruSmokeTest"} <= {j.test for j in jobs}
    _, adhoc = regress.plan_jobs(tmp_path, ["SmokeTest"], ["2x2"], None, "icarus")
    assert [j.config for j in adhoc] == ["2x2@icarus"]


def test_build_failure_names_the_configuration_and_the_limit():
    from tb.common import simrun
    timeout = regress.build_failure_message("32x32", simrun.SimTimeout("killed after 1 s"))
    assert "32x32" in timeout and "out of time" in timeout
    assert f"{configs.build_timeout('32x32'):.0f} s" in timeout
    oom = regress.build_failure_message("16x16", simrun.BuildOutOfMemory("x"))
    assert "16x16" in oom and f"{simrun.BUILD_MEM_LIMIT_GB} GB" in oom
    assert regress.failure_signature(oom) == regress.failure_signature(
        regress.build_failure_message("32x32", simrun.BuildOutOfMemory("y")))


def test_dump_with_x_or_z_digits_fails(tmp_path):
    dump = tmp_path / "y.dump.hex"
    dump.write_text("0001 // 0x00000000\n00x2 // 0x00000001\nzzzz // 0x00000002\n")
    with pytest.raises(UnknownValueError, match=r"y.dump.hex: 2 of 3 words .* first word 1"):
        read_hex_words(dump)
    dump.write_text("0001 // 0x00000000\nfffe // 0x00000001\n")   # the 0x of comments is fine
    assert read_hex_words(dump).tolist() == [1, 0xFFFE]


class _Signal:
    def __init__(self, value):
        self.value = value


def test_bus_value_with_x_fails_and_a_known_one_reads():
    from cocotb.types import LogicArray
    with pytest.raises(UnknownValueError, match="reg_rdata_o holds X/Z"):
        known_int(_Signal(LogicArray("01X0")), "reg_rdata_o")
    with pytest.raises(UnknownValueError):
        known_int(_Signal(LogicArray("Z000")), "mem_rdata_o")
    assert known_int(_Signal(LogicArray("0110")), "reg_rdata_o") == 6


def test_a_failed_build_fails_only_its_configuration_and_the_rest_runs(tmp_path, monkeypatch,
                                                                      capsys):
    import xml.etree.ElementTree as ET
    from tb.common import simrun

    def build(config, **_):
        if config == "16x16":
            raise simrun.SimTimeout("killed after 1 s: make")
        return None, tmp_path / "build-4x2"

    ran = []

    def run_job(job, build_dir, module, waves=False):
        ran.append(job.config)
        return regress.Outcome(job, "PASS", 0.1)

    monkeypatch.setattr(regress, "build_config", build)
    monkeypatch.setattr(regress, "run_job", run_job)
    args = argparse.Namespace(out=str(tmp_path / "out"), tests=["RandomTest"],
                              configs=["4x2", "16x16"], seeds=1, jobs=1, sim="verilator")
    assert regress.run_regression(args) == 1
    assert set(ran) == {"4x2"}
    cases = ET.parse(tmp_path / "out" / "junit.xml").getroot().findall("testcase")
    failed = [c.find("failure").get("message") for c in cases if c.find("failure") is not None]
    assert failed and all("BUILD: build of <n>x<n> failed: out of time" in m for m in failed)
    assert "build of 16x16 failed: out of time" in capsys.readouterr().err


def test_the_default_nightly_runs_32x32_smoke_and_paper_workload(tmp_path):
    import nightly
    flow = nightly.Flow.load("tb.regression")
    default = nightly.plan_jobs(flow, tmp_path, 1, 1000, None, None, 1.0)
    assert {"4x2", "8x8", "16x16", "32x32", "4x2@icarus"} <= {j["config"] for j in default}
    assert {(j["test"], j["config"]) for j in default if j["config"] == "32x32"} == {
        ("SmokeTest", "32x32"), ("PaperWorkloadTest", "32x32")}
    asked = nightly.plan_jobs(flow, tmp_path, 1, 1000, None, ["32x32"], 1.0)
    assert {(j["test"], j["config"]) for j in asked} == {("SmokeTest", "32x32"),
                                                         ("PaperWorkloadTest", "32x32")}


# ---- hierarchical builds (tb/common/hier.py) ----------------------------------------------------

def test_only_arrays_above_256_lanes_build_lane_and_pe_as_hierarchical_blocks():
    assert not configs.hier_build(configs.resolve("4x2"))
    assert not configs.hier_build(configs.resolve("8x8"))
    assert configs.hier_build(configs.resolve("16x16"))       # 87 s instead of 346 s
    assert configs.hier_build(configs.resolve("32x32"))
    assert configs.hier_build(configs.resolve("16x32"))


@pytest.mark.parametrize("packed", [True, False])
def test_generated_wrappers_match_the_array_and_lint_clean(tmp_path, packed):
    """The wrappers carry the parameters the array gives its lanes and PEs (elaborated by slang,
    not re-derived), and the MASR_HIER top lints -Wall clean with them: a port width that
    disagreed with the array's wiring would be a WIDTH warning here."""
    import os
    import subprocess

    from tb.common import hier, simrun

    hw = configs.resolve("8x4:SLOTS=40")
    path = hier.generate(simrun.rtl_sources(), simrun.RTL, configs.TOPLEVEL,
                         configs.verilog_params(hw), tmp_path, packed=packed)
    text = path.read_text()
    assert "module masr_lane_hier (" in text and "module masr_pe_hier (" in text
    assert ".SLOTS(40)" in text and ".R_MAX(32)" in text and ".KW_MAX(2)" in text
    assert ("module masr_lane_core (" in text) == packed   # the block behind two packed buses
    simrun.setup_verilator_env()
    params = [f"-G{k}={v}" for k, v in configs.verilog_params(hw).items() if k != "T_MAX"]
    res = subprocess.run(
        ["verilator", "--lint-only", "-Wall", f"-I{simrun.RTL}", str(simrun.RTL / "lint.vlt"),
         *map(str, simrun.rtl_sources()), str(path), "+define+MASR_HIER",
         "--top-module", configs.TOPLEVEL, *params,
         # masr_array hands WDEPTH and QDEPTH only to masr_lane, which the wrapper now fixes
         "-Wno-UNUSEDPARAM"],
        capture_output=True, text=True, env=os.environ)
    assert res.returncode == 0, res.stderr


def test_edge_inputs_stay_separate_ports_of_the_hierarchical_block():
    from tb.common import hier, simrun

    assert {"clk_i", "rst_ni", "bd_load_i"} <= hier.edge_inputs(simrun.rtl_sources())


def test_a_build_step_out_of_time_stays_a_timeout(tmp_path):
    """SimTimeout is a RuntimeError; the build must not rewrap it as a plain error, or the
    regression's bucket says "RuntimeError: killed after ..." instead of "out of time"."""
    from tb.common import simrun

    class SlowRunner:
        limit_memory = False

        def build(self, **kwargs):
            raise simrun.SimTimeout("killed after 792 s: make -j 2 -f Vtop.mk")

    with pytest.raises(simrun.SimTimeout):
        simrun._build_locked(SlowRunner(), tmp_path / "b", "masr_top", [], {}, "icarus", False,
                             False, False, (), True, ())
    assert "out of time" in regress.build_failure_message("8x8", simrun.SimTimeout("x"))
