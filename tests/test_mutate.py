"""make mutate (scripts/mutation): generator rules, selector-0 safety, classification, store."""
from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

from mutation import activation, generate, model, schedule, summary  # noqa: E402
from mutation.store import MutationStore  # noqa: E402

TOY = """\
// toy: every construct the generator must handle or leave alone
`include "masr_assert.svh"
module toy #(parameter int W = 4) (
  input  logic         clk_i,
  input  logic         rst_ni,
  input  logic [W-1:0] a_i, b_i,
  output logic [W-1:0] y_o,
  output logic         hit_o
);
  logic [W-1:0] q;
  logic         en;
  assign en = a_i < b_i && rst_ni;   // en = a < b
  assign y_o = en ? q : (W+0)'(a_i + 1'b1);
  always_ff @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      q <= '0;
    end else if (en) begin
      q <= q - a_i;
    end
  end
  always_comb begin
    hit_o = 1'b0;
    case (q[1:0])
      2'd0:    hit_o = a_i >= b_i;
      default: hit_o = 1'b0;
    endcase
  end
  if (W > 2) begin : g_wide
    logic unused;
    assign unused = q[W-1];
  end
  `ASSERT(NoHitWhenEq, !(a_i == b_i && hit_o))
`ifndef SYNTHESIS
  always @(posedge clk_i) if (a_i < b_i) $display("lt");
`endif
endmodule
"""


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    path = tmp_path / "toy.sv"
    path.write_text(TOY)
    return path


def test_operator_set_is_documented():
    doc = (REPO / "docs" / "mutation.md").read_text()
    for op in generate.OPERATORS:
        assert f"`{op}`" in doc, op


def test_toy_sites_and_operators(toy: Path):
    text, mutants = generate.mutate_file(toy, 1)
    ops = Counter(m.operator for m in mutants)
    # en: rel, and_or, drop; y_o: arith, const, mux_swap, drop; q <= q - a_i: drop, arith;
    # if (!rst_ni) / if (en): cond x2 each; hit_o = a >= b: rel; constants 1'b1 (y_o),
    # '0 (reset of q, not dropped: a constant) and 1'b0 twice (hit_o).  `unused` is read by
    # nothing (checker-only): no mutant.
    assert ops == Counter({"rel_boundary": 2, "and_or": 1, "drop": 3, "arith": 2, "const": 4,
                           "mux_swap": 1, "cond_true": 2, "cond_false": 2})
    assert [m.id for m in mutants] == list(range(1, len(mutants) + 1))
    assert len({m.key for m in mutants}) == len(mutants)
    assert Counter(m.operator for m in mutants if m.condition) == \
        Counter({"cond_true": 2, "cond_false": 2})      # the two `if`s, nothing else


def test_never_inside_assertions_comments_or_simulation_only_code(toy: Path):
    text, mutants = generate.mutate_file(toy, 1)
    lines, original = text.splitlines(), TOY.splitlines()
    assert len(lines) == len(original)          # line numbers are kept
    untouched = [n for n, line in enumerate(original) if "ASSERT" in line or "$display" in line
                 or "`ifndef" in line or "if (W > 2)" in line or line.lstrip().startswith("//")]
    assert len(untouched) == 5
    for n in untouched:
        assert lines[n] == original[n]
    mutated_lines = {m.line for m in mutants}
    assert not mutated_lines & {n + 1 for n in untouched}
    # cast widths are parameter expressions, not logic
    assert not [m for m in mutants if "(W-0)'" in m.mutated or "(W+1)'" in m.mutated]


def test_checker_only_logic_is_not_mutated(tmp_path: Path):
    src = TOY.replace("  `ASSERT(NoHitWhenEq", "  logic chk_q;\n  always_ff @(posedge clk_i) "
                      "if (en) chk_q <= a_i != b_i;\n  `ASSERT(NoHitWhenEq")
    src = src.replace("!(a_i == b_i && hit_o)", "!(chk_q && hit_o)")
    path = tmp_path / "chk.sv"
    path.write_text(src)
    _, mutants = generate.mutate_file(path, 1)
    chk_line = next(n for n, line in enumerate(src.splitlines(), 1) if "chk_q <=" in line)
    assert not [m for m in mutants if m.line == chk_line]      # its flop and its condition
    assert [m for m in mutants if m.original.startswith("en = ")]     # en is design logic


def test_checker_only_is_transitive(tmp_path: Path):
    # lim_q feeds only a helper term (lim_ok) that feeds only an assertion: neither is design.
    src = TOY.replace("  `ASSERT(NoHitWhenEq", "  logic lim_q, lim_ok;\n  always_ff @(posedge clk_i) "
                      "lim_q <= a_i[0];\n  assign lim_ok = lim_q || b_i[0];\n  `ASSERT(NoHitWhenEq")
    src = src.replace("!(a_i == b_i && hit_o)", "!(lim_ok && hit_o)")
    path = tmp_path / "chain.sv"
    path.write_text(src)
    _, mutants = generate.mutate_file(path, 1)
    assert not [m for m in mutants if m.original.startswith(("lim_q", "lim_ok"))]
    # ... but a signal that also reaches the design is still mutated.
    path.write_text(src.replace("assign y_o = en ?", "assign y_o = lim_ok ?"))
    _, mutants = generate.mutate_file(path, 1)
    assert [m for m in mutants if m.original.startswith("lim_ok")]
    assert [m for m in mutants if m.original.startswith("lim_q")]


def test_rewrites_are_selector_guarded(toy: Path):
    text, mutants = generate.mutate_file(toy, 1)
    for m in mutants:
        assert re.search(rf"masr_mut_sel [!=]= {m.id}\b", text), m
    drop_q = next(m for m in mutants if m.operator == "drop" and "q - a_i" in m.original)
    assert f"begin if (masr_mut_sel != {drop_q.id}) q <=" in text
    # The selector is read at run time from the top's variable (written by the batch runner,
    # initialised from the plusarg), never copied once at time 0.
    assert "int masr_mut_sel; assign masr_mut_sel = masr_top.masr_mut_rt;" in text
    top, _ = generate.mutate_file(toy, 1, top="toy")
    assert ("int masr_mut_rt /*verilator public_flat_rw*/; initial if "
            "(!$value$plusargs(\"masr_mut=%d\", masr_mut_rt)) masr_mut_rt = 0; "
            "int masr_mut_sel; assign masr_mut_sel = masr_mut_rt;") in top


def test_continuous_drop_keeps_signedness():
    # A '0 in the chain would make a signed product unsigned even with selector 0.
    src = "module s(input logic signed [7:0] a, b, output logic signed [15:0] p);\n" \
          "  assign p = a * b;\nendmodule\n"
    path = Path(__file__).parent / "_signed_toy.sv"
    try:
        path.write_text(src)
        text, mutants = generate.mutate_file(path, 1)
    finally:
        path.unlink()
    drop = next(m for m in mutants if m.operator == "drop")
    assert f"(masr_mut_sel == {drop.id}) ? ((a * b) ^ (a * b))" in text
    assert "'0" not in text


def test_real_rtl_mutants_lint_clean_and_keep_lines():
    from tb.common.configs import CONFIGS, verilog_params

    sel = model.generate_valid(verilog_params(CONFIGS["4x2"]))
    assert len(sel.mutants) > 1000
    assert {m.module for m in sel.mutants} >= {"masr_top", "masr_lane", "masr_sram"}
    for src in sel.sources:
        orig = REPO / "rtl" / src.name
        assert len(src.read_text().splitlines()) == len(orig.read_text().splitlines()), src.name
    pkg = sel.sources[0]
    assert pkg.read_text() == (REPO / "rtl" / "masr_pkg.sv").read_text()


def test_invalid_mutants_are_dropped_not_fatal(toy: Path, monkeypatch):
    calls = []

    def fake_lint(sources, params, top):
        calls.append(1)
        return [("toy.sv", 13)] if len(calls) == 1 else []     # y_o's line fails once

    monkeypatch.setattr(model, "_lint_errors", fake_lint)
    monkeypatch.setattr(model, "MUTANT_SRC_ROOT", toy.parent / "gen")
    sel = model.generate_valid({}, "toy", rtl=toy.parent)
    assert sel.invalid and all(m.line == 13 for m in sel.invalid)
    assert all(m.line != 13 for m in sel.mutants)
    assert len(calls) == 2


def _map(touching: dict[int, list[int]], points: set[int]) -> activation.LineMap:
    runs = [activation.NightlyRun("Slow", 1, 9.0), activation.NightlyRun("Fast", 1, 1.0),
            activation.NightlyRun("Fast", 2, 2.0), activation.NightlyRun("Mid", 1, 5.0)]
    lm = activation.LineMap(runs, {("f.sv", n) for n in points})
    for line, idx in touching.items():
        lm.touched_by[("f.sv", line)] = set(idx)
    return lm


def _mutant(line: int) -> generate.Mutant:
    return generate.Mutant(1, "f.sv", "m", line, (line, line), "arith", "x", "a", "b")


def test_activation_order_and_not_activated():
    lm = _map({10: [0, 1, 2, 3]}, {10, 11})
    order = schedule.plan_runs(lm, _mutant(10), seeds_per_test=1)
    assert [(r.test, r.seed) for r in order] == [("Fast", 1), ("Mid", 1), ("Slow", 1)]
    two = schedule.plan_runs(lm, _mutant(10), seeds_per_test=2)
    assert [(r.test, r.seed) for r in two][-1] == ("Fast", 2)
    assert schedule.plan_runs(lm, _mutant(11), 1) is None            # has points, never hit
    assert len(schedule.plan_runs(lm, _mutant(12), 1)) == 3           # no point: every test


def test_a_kill_on_another_configuration_goes_first():
    lm = _map({10: [0, 1, 2, 3]}, {10, 11})
    order = schedule.plan_runs(lm, _mutant(10), 1, first_tests=("Slow", "Absent"))
    assert [(r.test, r.seed) for r in order] == [("Slow", 1), ("Fast", 1), ("Mid", 1)]
    assert schedule.plan_runs(lm, _mutant(11), 1, first_tests=("Slow",)) is None


def test_killers_and_open_keys_come_from_the_stores(tmp_path):
    import mutate
    for config, recs in {"4x2": [{"key": "a", "status": "killed", "killed_by": {"test": "T1"}},
                                 {"key": "b", "status": "survived"}],
                         "8x8": [{"key": "a", "status": "killed", "killed_by": {"test": "T2"}},
                                 {"key": "c", "status": "not_activated"},
                                 {"key": "w", "status": "survived"}]}.items():
        store = MutationStore(tmp_path / config / "results.jsonl")
        for rec in recs:
            store.record({"rtl": "R", "config": config, **rec})
        MutationStore(tmp_path / config / "results.jsonl").record(
            {"key": "old", "rtl": "OLD", "status": "killed", "killed_by": {"test": "T9"}})
    assert mutate.killers_elsewhere("16x16", "R", tmp_path) == {"a": ["T1", "T2"]}
    assert mutate.killers_elsewhere("8x8", "R", tmp_path) == {"a": ["T1"]}
    waivers = {"w": summary.Waiver("w", "why")}
    assert mutate.open_keys(MutationStore(tmp_path / "8x8" / "results.jsonl"), "R",
                            waivers) == ["c"]


def test_a_broken_testbench_is_not_a_kill():
    bug = {"status": "killed", "killed_by": {"signature": "product #<n> 'reset_keeps_memories': "
                                             "driver exception: NameError: name 'X' is not defined"}}
    assert summary.testbench_bug(bug)
    design = {"status": "killed", "killed_by": {"signature": "ERR_CODE expected <n> got <n>"}}
    assert summary.testbench_bug(design) is None
    assert summary.testbench_bug({"status": "survived"}) is None


def test_unsimulated_waived_mutant_counts_only_while_its_waiver_applies():
    w = {"s": summary.Waiver("s", "u + 1 == u - 1 on a 1-bit index", ("4x2",))}
    rec = {"key": "s", "status": "waived", "config": "4x2"}
    assert summary.final_status(rec, w) == "equivalent" and summary.still_valid(rec, w)
    other = {**rec, "config": "8x8"}
    assert not summary.still_valid(other, w) and not summary.still_valid(rec, {})
    assert summary.still_valid({"key": "s", "status": "survived", "config": "8x8"}, w)


def test_condition_mutant_tries_the_runs_that_skipped_its_branch():
    # Line coverage counts an `if` line only in runs that took the branch; `if (gru_req)` stuck
    # at true acts in the runs that did not.  Those come after the ones that took it.
    lm = _map({10: [3]}, {10, 11})
    cond = dataclasses.replace(_mutant(10), operator="cond_true", condition=True)
    assert [(r.test, r.seed) for r in schedule.plan_runs(lm, cond, 1)] == \
        [("Mid", 1), ("Fast", 1), ("Slow", 1)]
    never_taken = dataclasses.replace(_mutant(11), operator="cond_true", condition=True)
    assert len(schedule.plan_runs(lm, never_taken, 1)) == 3          # evaluated, never taken


@pytest.mark.parametrize("statuses,expect", [
    (["PASS", "FAIL"], "killed"), (["TIMEOUT"], "killed_timeout"), (["CRASH"], "killed"),
    (["PASS", "PASS", "PASS"], "survived")])
def test_classify_stops_at_first_failure(monkeypatch, tmp_path, statuses, expect):
    seen = []

    def fake_sim(build_dir, config, run, mid, run_dir, timeout_s):
        seen.append(run.test)
        return schedule.RunResult(statuses[len(seen) - 1], "boom" if len(seen) else "", 0.1)

    monkeypatch.setattr(schedule, "simulate", fake_sim)
    runs = [activation.NightlyRun(t, 1, 1.0) for t in ("A", "B", "C")][:len(statuses)]
    rec = schedule.classify(_mutant(3), "4x2", tmp_path, runs, tmp_path)
    assert rec["status"] == expect
    assert rec["runs_tried"] == len(statuses)
    if expect != "survived":
        assert rec["killed_by"]["test"] == runs[-1].test


def test_store_resumes_and_ignores_other_rtl(tmp_path):
    store = MutationStore(tmp_path / "r.jsonl")
    store.record({"key": "k1", "rtl": "A", "status": "killed"})
    store.record({"key": "k2", "rtl": "B", "status": "survived"})
    with open(store.path, "a") as fh:
        fh.write('{"key": "k3", "rtl": "A", "sta')           # torn by a crash
    store = MutationStore(tmp_path / "r.jsonl")              # the resumed run
    store.record({"key": "k1", "rtl": "A", "status": "survived"})
    again = MutationStore(tmp_path / "r.jsonl").finished("A")
    assert set(again) == {"k1"} and again["k1"]["status"] == "survived"


def test_kill_rate_and_waivers(tmp_path):
    waivers = tmp_path / "w.hjson"
    waivers.write_text('{equivalent: [{key: "s2", reason: "same function: x < 1 == x == 0"}]}')
    w = summary.load_waivers(waivers)
    recs = [{"key": "k", "status": "killed", "module": "a", "operator": "arith"},
            {"key": "s1", "status": "survived", "module": "a", "operator": "arith"},
            {"key": "s2", "status": "survived", "module": "b", "operator": "const"},
            {"key": "n", "status": "not_activated", "module": "b", "operator": "const"},
            {"key": "i", "status": "invalid", "module": "b", "operator": "const"}]
    total = summary.tables(recs, w)["total"]
    assert total["equivalent"] == 1
    assert summary.kill_rate(total) == (1, 3)       # equivalent and invalid do not count
    bad = tmp_path / "bad.hjson"
    bad.write_text('{equivalent: [{key: "s1", reason: ""}]}')
    with pytest.raises(SystemExit):
        summary.load_waivers(bad)
    twice = tmp_path / "twice.hjson"
    twice.write_text('{equivalent: [{key: "s1", reason: "reset value never read"}, '
                     '{key: "s1", configs: ["4x2"], reason: "one-bit index here"}]}')
    with pytest.raises(SystemExit, match="twice"):
        summary.load_waivers(twice)


def test_waivers_file_is_well_formed():
    w = summary.load_waivers()
    assert all(len(x.reason) > 20 for x in w.values())


def test_report_section_lists_totals_and_survivors():
    rec = {"key": "abc123", "status": "survived", "module": "masr_top", "operator": "const",
           "file": "masr_top.sv", "line": 7, "change": "`0` -> `1`", "original": "x = 0;",
           "mutated": "1", "rerun": "scripts/mutate.py --config 4x2 --rerun abc123"}
    killed = {**rec, "key": "k", "status": "killed"}
    html = summary.html_section(summary.snapshot({"4x2": [rec, killed]}, {}), {})
    assert "Mutation analysis" in html and "50.0%" in html
    assert "abc123" in html and "--rerun abc123" in html
    md = summary.markdown({"4x2": [rec, killed]}, {}, {"4x2": 2})
    assert "kill rate 1/2 = 50.0 %" in md and "masr_top.sv:7" in md
    assert "No mutation results" in summary.html_section(None, {})


# -- the batched runner (scripts/mutation/batch.py, tb/mutation_batch.py) -----------------------

from mutation import batch  # noqa: E402


class FakeProcess:
    """Stands in for the simulator process of tb/mutation_batch.py: reads the job file, runs
    the plans in order (a run's outcome from ``table[(mutant, test)]``, default PASS) and writes
    the same progress lines.  CRASH: the process dies after ``start`` (no ``end``); HANG: its
    watchdog writes ``timeout`` and the process ends."""

    def __init__(self, table: dict[tuple[int, str], str]):
        self.table = table
        self.executed: list[tuple[int, str]] = []     # every (mutant, test) that ran
        self.launches = 0

    def __call__(self, job_path: Path, attempt_dir: Path, outer: float):
        self.launches += 1
        job = json.loads(job_path.read_text())
        prog = Path(job["progress"])

        def write(**rec):
            with open(prog, "a") as fh:
                fh.write(json.dumps(rec) + "\n")

        for pos, plan in enumerate(job["plans"]):
            for r, run in enumerate(plan["runs"]):
                outcome = self.table.get((plan["mutant"], run["test"]), "PASS")
                write(event="start", plan=plan["plan"], run=r, mutant=plan["mutant"])
                self.executed.append((plan["mutant"], run["test"]))
                if outcome == "CRASH":
                    return False, "Verilog $stop"
                if outcome == "HANG":
                    write(event="timeout", plan=plan["plan"], run=r)
                    return False, "exit 3"
                write(event="end", plan=plan["plan"], run=r, status=outcome, message="m",
                      seconds=0.5)
                if outcome != "PASS":
                    break
        return False, ""


RUNS = [activation.NightlyRun(t, 1, s) for t, s in (("A", 1.0), ("B", 2.0), ("C", 3.0))]


@pytest.fixture(autouse=True)
def _toy_test_modules(monkeypatch):
    monkeypatch.setattr(batch, "_MODULES", {"A": "toy.tests", "B": "toy.tests", "C": "toy.tests"})


def test_batch_crash_loses_only_the_run_in_flight(tmp_path):
    # mutant 2 crashes the simulator in its run B (an assertion's $stop); mutant 4 hangs in C.
    proc = FakeProcess({(1, "B"): "FAIL", (2, "B"): "CRASH", (4, "C"): "HANG"})
    plans = [batch.Plan(m, list(RUNS)) for m in (1, 2, 3, 4, 5)]
    batch.run_batch(tmp_path, "4x2", plans, tmp_path / "b", lambda r: 60.0, launch=proc)
    verdicts = {p.mutant: batch.verdict(p) for p in plans}
    assert verdicts[1]["status"] == "killed" and verdicts[1]["killed_by"]["test"] == "B"
    assert verdicts[2]["status"] == "killed" and verdicts[2]["killed_by"]["run_status"] == "CRASH"
    assert verdicts[3]["status"] == "survived" and verdicts[3]["runs_tried"] == 3
    assert verdicts[4]["status"] == "killed_timeout" and verdicts[4]["killed_by"]["test"] == "C"
    assert verdicts[5]["status"] == "survived"
    # Three processes (start, after the crash, after the hang); no run ran twice, none was lost.
    assert proc.launches == 3
    assert len(proc.executed) == len(set(proc.executed))
    assert set(proc.executed) == {(1, "A"), (1, "B"), (2, "A"), (2, "B"), (3, "A"), (3, "B"),
                                  (3, "C"), (4, "A"), (4, "B"), (4, "C"), (5, "A"), (5, "B"),
                                  (5, "C")}


def test_batch_restart_continues_a_mutant_from_the_run_it_reached(tmp_path):
    # mutant 7 passed A and B before mutant 6's crash ended the first process: the second
    # process must give it only C (its plan continues, not restarts).
    proc = FakeProcess({(6, "A"): "CRASH"})
    plans = [batch.Plan(7, list(RUNS)), batch.Plan(6, list(RUNS)), batch.Plan(8, list(RUNS))]
    batch.run_batch(tmp_path, "4x2", plans, tmp_path / "b", lambda r: 60.0, launch=proc)
    second = json.loads((tmp_path / "b" / "attempt2" / "job.json").read_text())
    assert [p["mutant"] for p in second["plans"]] == [8]
    assert [p.mutant for p in plans if p.decided] == [7, 6, 8]
    assert [r.status for r in plans[0].results] == ["PASS"] * 3


def test_batch_that_never_starts_is_a_harness_error(tmp_path):
    plans = [batch.Plan(1, list(RUNS))]
    with pytest.raises(batch.HarnessError):
        batch.run_batch(tmp_path, "4x2", plans, tmp_path / "b", lambda r: 60.0,
                        launch=lambda job, d, t: (False, "ImportError"))


def test_progress_parsing_skips_a_torn_line():
    lines = ['{"event": "start", "plan": 0, "run": 0}',
             '{"event": "end", "plan": 0, "run": 0, "status": "PASS"}',
             '{"event": "start", "plan": 1, "run": 0}',
             '{"event": "end", "plan": 1, "run": 0, "sta']            # died while writing
    ended, in_flight, timed_out = batch.parse_progress(lines)
    assert set(ended) == {(0, 0)} and in_flight == (1, 0) and not timed_out


def test_outer_timeout_classifies_the_run_in_flight_as_timeout(tmp_path):
    def launch(job_path, attempt_dir, outer):
        job = json.loads(job_path.read_text())
        with open(job["progress"], "a") as fh:
            fh.write(json.dumps({"event": "start", "plan": 0, "run": 0}) + "\n")
        return True, "killed after 180 s"            # simrun's SimTimeout: no watchdog line
    plans = [batch.Plan(3, RUNS[:1])]
    batch.run_batch(tmp_path, "4x2", plans, tmp_path / "b", lambda r: 60.0, launch=launch)
    assert plans[0].results[0].status == "TIMEOUT"


def test_batched_scheduler_matches_one_process_per_run(tmp_path, monkeypatch):
    """The same decisions as schedule.classify on the same plans and outcomes."""
    import regress
    monkeypatch.setattr(regress, "failure_signature", lambda msg: msg)
    table = {(1, "B"): "FAIL", (2, "A"): "FAIL", (4, "C"): "HANG", (5, "B"): "CRASH"}
    mutants = [generate.Mutant(i, "f.sv", "m", 12, (12, 12), "arith", "x", f"a{i}", "b")
               for i in range(1, 7)]
    lm = activation.LineMap(list(RUNS))          # no coverage points: every run, cheapest first
    proc = FakeProcess(table)
    got: dict[int, dict] = {}
    batch.run_mutants_batched(
        mutants, lm, tmp_path, jobs=2, seeds_per_test=1,
        on_result=lambda m, rec: got.__setitem__(m.id, rec),
        run_batch_fn=lambda plans, d: batch.run_batch(tmp_path, "4x2", plans, d,
                                                      lambda r: 60.0, launch=proc),
        max_batch=4)

    def fake_sim(build_dir, config, run, mid, run_dir, timeout_s):
        outcome = {"HANG": "TIMEOUT"}.get(table.get((mid, run.test), "PASS"),
                                          table.get((mid, run.test), "PASS"))
        return schedule.RunResult(outcome, "m", 0.1)

    monkeypatch.setattr(schedule, "simulate", fake_sim)
    for m in mutants:
        ref = schedule.classify(m, "4x2", tmp_path, schedule.plan_runs(lm, m, 1), tmp_path)
        assert got[m.id]["status"] == ref["status"], m.id
        assert got[m.id]["runs_tried"] == ref["runs_tried"], m.id
        assert got[m.id].get("killed_by", {}).get("test") == ref.get("killed_by", {}).get("test")
    assert [got[i]["status"] for i in range(1, 7)] == ["killed", "killed", "survived",
                                                       "killed_timeout", "killed", "survived"]


def test_resume_skips_runs_passed_before_an_interruption(tmp_path):
    store = MutationStore(tmp_path / "r.jsonl")
    m = generate.Mutant(1, "f.sv", "m", 12, (12, 12), "arith", "x", "a", "b")
    store.record_passed_run(m.key, "R", "A", 1)
    store.record_passed_run(m.key, "OTHER", "B", 1)          # another RTL: ignored
    passed = MutationStore(tmp_path / "r.jsonl").passed_runs("R")
    assert passed == {m.key: {("A", 1)}}
    proc = FakeProcess({})
    got = {}
    batch.run_mutants_batched(
        [m], activation.LineMap(list(RUNS)), tmp_path, 1, 1,
        lambda mm, rec: got.__setitem__(mm.id, rec),
        lambda plans, d: batch.run_batch(tmp_path, "4x2", plans, d, lambda r: 60.0, launch=proc),
        passed_before=passed)
    assert [t for _, t in proc.executed] == ["B", "C"]       # A was passed before
    assert got[1]["status"] == "survived"


def test_chunks_cover_every_item_once():
    items = list(range(10))
    for size, jobs in ((4, 2), (40, 2), (1, 1), (3, 5)):
        parts = batch.chunks(items, size, jobs)
        assert sorted(x for p in parts for x in p) == items
        assert all(len(p) <= size for p in parts)
        assert len(parts) >= min(jobs, len(items))


def test_batch_seed_is_the_plain_runs_seed():
    """tb/mutation_batch.py seeds each run like cocotb seeds a plain run of that test: the
    value below is the test seed a plain nightly run of FrontdoorTest seed 107000002 logged."""
    sys.path.insert(0, str(REPO))
    from tb.mutation_batch import test_seed
    assert test_seed(107000002, "tb.matvec.tests", "FrontdoorTest") == \
        1040982347456443901144650610629007493132714435357


def test_waiver_limited_to_configurations(tmp_path):
    waivers = tmp_path / "w.hjson"
    waivers.write_text('{equivalent: [{key: "s", configs: ["4x2"], reason: "u + 1 == u - 1 on a '
                       '1-bit index (V = 2)"}, {key: "n", reason: "unreachable: K <= 2 here"}]}')
    w = summary.load_waivers(waivers)
    assert summary.final_status({"key": "s", "status": "survived", "config": "4x2"}, w) == \
        "equivalent"
    assert summary.final_status({"key": "s", "status": "survived", "config": "8x8"}, w) == \
        "survived"
    assert summary.final_status({"key": "n", "status": "not_activated", "config": "8x8"}, w) == \
        "equivalent"
    assert summary.final_status({"key": "n", "status": "killed", "config": "8x8"}, w) == "killed"


def test_batch_sees_an_assertion_in_the_models_output(capfd):
    """With +verilator+error+limit the model prints the assertion and goes on; the batch judges
    the run from that line in its own output (fd 1), including text still in C's stdio buffer."""
    import ctypes
    sys.path.insert(0, str(REPO))
    from tb.mutation_batch import SimLog

    log = SimLog()
    start = log.offset()
    os.write(1, b"     0.00ns INFO     cocotb.regression  running p0_r0\n")
    assert log.errors_since(start) == []
    libc = ctypes.CDLL(None)
    libc.printf(b"[25461000] %%Error: masr_steal_arb.sv:145: Assertion failed in "
                b"masr_top.u_arb.BothThievesGranted_A\n")       # buffered by C stdio
    fired = log.errors_since(start)
    assert len(fired) == 1 and "BothThievesGranted_A" in fired[0]
    later = log.offset()
    assert log.errors_since(later) == []


def test_waiver_keys_must_be_strings(tmp_path):
    # hjson reads an unquoted 261457196e33 as the number 2.6e41: such a waiver would silently
    # never match; it must be an error instead.
    bad = tmp_path / "w.hjson"
    bad.write_text('{equivalent: [{key: 261457196e33, reason: "debug output, read by nothing"}]}')
    with pytest.raises(SystemExit):
        summary.load_waivers(bad)


def test_no_stale_waivers():
    # A waiver whose key matches no mutant of today's rtl/ silently stops applying (its mutant
    # returns as an unexplained survivor): after an RTL edit, carry moved statements with
    # `scripts/mutate.py --rekey-waivers REV` and re-derive or delete the rest.
    from mutation import waivers as wv
    stale = wv.stale_waivers(set(summary.load_waivers()), wv.mutants_of(REPO / "rtl"))
    assert stale == [], f"stale mutation waivers: {stale}"


def test_rekey_follows_repeated_statements_by_position(tmp_path):
    """A statement that occurs twice (the reset and the clear value of one register) is carried
    by its position among the copies; a third copy makes the mapping ambiguous, and the waiver
    is not carried."""
    from mutation import waivers as wv
    body = ("module m (input logic clk_i, input logic rst_ni, input logic a_i, input logic c_i,\n"
            "          output logic q_o);\n  logic q_q;\n"
            "  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
            "    if (!rst_ni) begin\n      q_q <= '0;\n    end else if (c_i) begin\n"
            "      q_q <= '0;\n    end else begin\n      q_q <= a_i;\n    end\n  end\n"
            "  assign q_o = q_q;\nendmodule\n")
    third = body.replace("    end else begin\n      q_q <= a_i;",
                         "    end else if (a_i && c_i) begin\n      q_q <= '0;\n"
                         "    end else begin\n      q_q <= a_i;")
    dirs = {}
    for name, text in (("old", body), ("moved", "// moved\n" + body), ("third", third)):
        dirs[name] = tmp_path / name
        dirs[name].mkdir()
        (dirs[name] / "m.sv").write_text(text)
    old = wv.mutants_of(dirs["old"])
    groups: dict = {}
    for m in old:
        groups.setdefault(wv._identity(m), []).append(m)
    twins = [m for g in groups.values() if len(g) == 2 for m in g]
    assert twins, "the module has no statement mutated twice"
    moved = wv.moved_keys([m.key for m in twins], old, wv.mutants_of(dirs["moved"]))
    assert {k: m.line for k, m in moved.items()} == {m.key: m.line + 1 for m in twins}
    tripled = wv.mutants_of(dirs["third"])
    ambiguous = [m for m in twins if sum(wv._identity(n) == wv._identity(m) for n in tripled) == 3]
    assert ambiguous
    assert wv.moved_keys([m.key for m in ambiguous], old, tripled) == {}


def test_rekey_follows_a_moved_statement(tmp_path):
    from mutation import waivers as wv
    old_rtl, new_rtl = tmp_path / "old", tmp_path / "new"
    old_rtl.mkdir()
    new_rtl.mkdir()
    body = ("module m (input logic clk_i, input logic a_i, output logic q_o);\n"
            "  logic q_q;\n  always_ff @(posedge clk_i) begin\n    if (a_i) q_q <= 1'b1;\n"
            "  end\n  assign q_o = q_q;\nendmodule\n")
    (old_rtl / "m.sv").write_text(body)
    (new_rtl / "m.sv").write_text("// one new line moves everything down\n" + body)
    old, new = wv.mutants_of(old_rtl), wv.mutants_of(new_rtl)
    assert old and len(old) == len(new)
    victim = old[0]
    stale = wv.stale_waivers({victim.key}, new)
    assert stale == [victim.key]
    moved = wv.moved_keys(stale, old, new)
    assert moved[victim.key].line == victim.line + 1
    waivers = tmp_path / "w.hjson"
    waivers.write_text(f'{{equivalent: [{{\n  key: "{victim.key}"\n  mutant: "m.sv:{victim.line} x"\n'
                       f'  reason: "r"\n}}]}}')
    assert wv.rekey_file(waivers, moved) == 1
    text = waivers.read_text()
    assert moved[victim.key].key in text and f"m.sv:{victim.line + 1} x" in text


def test_rekey_follows_a_key_that_moved_to_another_copy(tmp_path):
    """Two identical statements, the second on line L. An edit inserts a line between them: the
    first copy lands on L, so its mutant now carries the waived key (same text, same line) and
    the waived mutant has a new key. shifted_keys finds it by the copies' order."""
    from mutation import waivers as wv
    head = ("module m (input logic clk_i, input logic rst_ni, input logic a_i, input logic c_i,\n"
            "          output logic q_o);\n  logic q_q;\n")
    body = ("  always_ff @(posedge clk_i or negedge rst_ni) begin\n"
            "    if (!rst_ni) begin\n      q_q <= '0;\n    end else if (c_i) begin\n"
            "      q_q <= '0;\n    end else begin\n      q_q <= a_i;\n    end\n  end\n"
            "  assign q_o = q_q;\nendmodule\n")
    old_dir, new_dir = tmp_path / "old", tmp_path / "new"
    old_dir.mkdir()
    new_dir.mkdir()
    (old_dir / "m.sv").write_text(head + body)
    # two lines more before the first copy: it lands on the second copy's old line
    (new_dir / "m.sv").write_text(head + "  // a\n  // b\n" + body)
    old, new = wv.mutants_of(old_dir), wv.mutants_of(new_dir)
    groups: dict = {}
    for m in old:
        groups.setdefault(wv._identity(m), []).append(m)
    first, second = next(g for g in groups.values() if len(g) == 2 and g[1].line - g[0].line == 2)
    new_first = next(m for m in new if wv._identity(m) == wv._identity(first)
                     and m.line == first.line + 2)
    assert new_first.key == second.key            # the collision the test is about
    assert wv.stale_waivers({second.key}, new) == []   # invisible to the stale check
    moved = wv.shifted_keys({second.key}, old, new)
    assert moved[second.key].line == second.line + 2 and moved[second.key].key != second.key
