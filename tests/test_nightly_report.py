"""The nightly (scripts/nightly.py) and the sign-off report (scripts/report.py, built by the
scripts/signoff package) on a toy design.

No MASR RTL is needed: tests/fixtures/nightly holds a tiny Verilog design (top named masr_top,
so scripts/regress.py's run_job runs it unchanged), toy cocotb tests (random with failing seeds,
a hang, a self-kill) and a toy flow module that nightly.py runs with ``--flow``.
"""
from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIX = REPO / "tests" / "fixtures" / "nightly"
FLOW = "tests.fixtures.nightly.toy_flow"
sys.path.insert(0, str(REPO / "scripts"))

import nightly  # noqa: E402
import regress  # noqa: E402
from signoff.build import build_report  # noqa: E402
from signoff.code_coverage import CodePoint, code_metric_counts, parse_coverage_dat  # noqa: E402
from signoff.exclusions import CATEGORIES, Exclusion, load_exclusions, region_lines  # noqa: E402
from signoff.functional import Covergroup, covergroups_from_ucis  # noqa: E402
from signoff.runs import Run, load_hjson  # noqa: E402
import signoff.testplan  # noqa: E402  (not its testplan_closure: pytest would collect a test* name)
from signoff.ucis_merge import merge_ucis  # noqa: E402

pytestmark = pytest.mark.xdist_group("nightly")


def run_nightly(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(REPO / "scripts" / "nightly.py"), "--flow", FLOW,
                           "--workers", "2", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def records(out: Path) -> list[dict]:
    return nightly.ResultsStore(out / nightly.STORE_NAME).records()


@pytest.fixture(scope="module")
def toy_nightly(tmp_path_factory) -> Path:
    """3 seeds of test_rand on two configs, a hanging test and a self-killing test."""
    out = tmp_path_factory.mktemp("nightly") / "n"
    proc = run_nightly("--seeds", "3", "--seed-base", "1", "--timeout-scale", "1", "--out", str(out))
    assert proc.returncode == 1, proc.stdout + proc.stderr      # failures are expected
    return out


# -- results store --------------------------------------------------------------------------------

def _append_many(path: str, worker: int) -> None:
    store = nightly.ResultsStore(Path(path))
    for i in range(50):
        store.append({"event": "finished", "test": f"t{worker}", "config": "c", "seed": i,
                      "status": "PASS", "message": "x" * 3000})


def test_store_appends_are_atomic(tmp_path):
    path = tmp_path / "results.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(path), w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    lines = [ln for ln in path.read_text().splitlines() if ln]
    assert len(lines) == 200
    assert all(json.loads(ln)["message"] == "x" * 3000 for ln in lines)


def test_store_survives_a_torn_last_line(tmp_path):
    store = nightly.ResultsStore(tmp_path / "results.jsonl")
    store.append({"event": "started", "test": "a", "config": "c", "seed": 1})
    with open(store.path, "a") as fh:
        fh.write('{"event": "finished", "test": "a", "con')          # crash mid-write
    store = nightly.ResultsStore(store.path)                         # the resumed nightly
    store.append({"event": "finished", "test": "a", "config": "c", "seed": 1, "status": "PASS"})
    recs = store.records()
    assert [r["event"] for r in recs] == ["started", "finished"]
    assert store.finished()["a|c|1"]["status"] == "PASS"


# -- the nightly ----------------------------------------------------------------------------------

def test_nightly_records_every_run(toy_nightly):
    recs = records(toy_nightly)
    plan = json.loads((toy_nightly / "plan.json").read_text())
    assert len(plan["jobs"]) == 8
    for job in plan["jobs"]:
        key = (job["test"], job["config"], job["seed"])
        events = [r["event"] for r in recs if (r["test"], r["config"], r["seed"]) == key]
        assert events == ["started", "finished"], key              # seed recorded up front
    fin = nightly.ResultsStore(toy_nightly / nightly.STORE_NAME).finished()
    status = {k: r["status"] for k, r in fin.items()}
    assert status["test_hang|4x2|1"] == "TIMEOUT"                   # watchdog
    assert status["test_crash|4x2|1"] == "CRASH"                    # simulator killed mid-run
    for cfg in ("4x2", "8x8"):
        assert status[f"test_rand|{cfg}|3"] == "FAIL"               # seed 3 fails on purpose
        for seed in (1, 2):
            rec = fin[f"test_rand|{cfg}|{seed}"]
            assert rec["status"] == "PASS"
            for key in ("log", "coverage_xml", "coverage_dat", "summary"):
                assert (toy_nightly / rec[key]).exists(), key
            assert rec["duration"] > 0
    assert all((toy_nightly / r["run_dir"] / "outcome.json").exists() for r in fin.values())


def test_failure_buckets(toy_nightly):
    fin = nightly.ResultsStore(toy_nightly / nightly.STORE_NAME).finished().values()
    buckets = {b["signature"]: b for b in nightly.failure_buckets(list(fin))}
    mismatch = buckets["FAIL: y mismatch at row <n>: got <hex> expected <hex>"]
    assert sorted((r["config"], r["seed"]) for r in mismatch["runs"]) == [("4x2", 3), ("8x8", 3)]
    assert mismatch["rerun"].endswith("--seed 3 --waves")
    assert any(s.startswith("TIMEOUT: watchdog") for s in buckets)
    assert any(s.startswith("CRASH:") for s in buckets)
    # numbers and paths never split a bucket
    a = nightly.signature("FAIL", "lane (3,1) row 17 mismatch in /tmp/x/run7/sim.log")
    b = nightly.signature("FAIL", "lane (0,5) row 2 mismatch in /work/out/run12/sim.log")
    assert a == b


def test_resume_runs_only_what_is_missing(toy_nightly, tmp_path):
    out = tmp_path / "n"
    shutil.copytree(toy_nightly, out, symlinks=True)
    store_path = out / nightly.STORE_NAME
    recs = records(out)
    # the nightly died: two runs have only their 'started' record; one of them had finished on
    # its worker (outcome.json in place), the other was still running (run dir half-written)
    lost = {("test_rand", "4x2", 2), ("test_rand", "8x8", 1)}
    kept = [r for r in recs if not (r["event"] == "finished" and (r["test"], r["config"], r["seed"]) in lost)]
    store_path.write_text("".join(json.dumps(r) + "\n" for r in kept))
    (out / "runs" / "8x8" / "test_rand" / "seed1" / "outcome.json").unlink()
    proc = run_nightly("--resume", str(out))
    assert "2 to run" not in proc.stdout and "1 to run" in proc.stdout, proc.stdout + proc.stderr
    new = records(out)[len(kept):]
    fin_new = [r for r in new if r["event"] == "finished"]
    assert {(r["config"], r["seed"], bool(r.get("recovered"))) for r in fin_new} == \
        {("4x2", 2, True), ("8x8", 1, False)}
    assert [(r["config"], r["seed"]) for r in new if r["event"] == "started"] == [("8x8", 1)]
    assert len(nightly.ResultsStore(store_path).finished()) == 8
    # nothing left: a second resume runs nothing
    proc = run_nightly("--resume", str(out))
    assert "0 to run" in proc.stdout
    assert len(records(out)) == len(kept) + len(new)


def _sim_pids(marker: str) -> list[int]:
    pids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmd and "masr_top" in cmd and "nightly.py" not in cmd:
                pids.append(int(d.name))
    return pids


def test_killed_simulation_is_a_recorded_failure(tmp_path):
    """kill -9 on a running simulation: recorded as CRASH, every other result kept."""
    out = tmp_path / "k"
    proc = subprocess.Popen([sys.executable, str(REPO / "scripts" / "nightly.py"), "--flow", FLOW,
                             "--workers", "2", "--tests", "test_hang", "test_rand", "--configs", "4x2",
                             "--seeds", "1", "--seed-base", "1", "--timeout-scale", "30",
                             "--out", str(out)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    marker = str(out / "runs" / "4x2" / "test_hang")
    deadline = time.monotonic() + 120
    pids: list[int] = []
    while time.monotonic() < deadline and not pids:
        time.sleep(0.5)
        pids = _sim_pids(marker)
    assert pids, "the hanging simulation never started"
    time.sleep(1.0)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    text, _ = proc.communicate(timeout=120)
    fin = nightly.ResultsStore(out / nightly.STORE_NAME).finished()
    assert fin["test_hang|4x2|1"]["status"] == "CRASH", text
    assert "-9" in fin["test_hang|4x2|1"]["message"]
    assert fin["test_rand|4x2|1"]["status"] == "PASS"


# -- the report -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def toy_report(toy_nightly) -> tuple[Path, dict]:
    out = toy_nightly / "report"
    rep = build_report(toy_nightly, out, FIX / "testplan.hjson", FIX / "exclusions.hjson")
    return out, rep


def test_report_entry_point_matches_build_report(toy_nightly, toy_report, tmp_path):
    # scripts/report.py is a thin entry point over signoff.build: same CLI, same numbers
    _, rep = toy_report
    out = tmp_path / "cli"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "report.py"), "--nightly", str(toy_nightly),
                           "--out", str(out), "--testplan", str(FIX / "testplan.hjson"),
                           "--exclusions", str(FIX / "exclusions.hjson")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"report: {out / 'signoff.html'}" in proc.stdout
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(rep))


def test_pyucis_merge(toy_nightly, toy_report):
    out, rep = toy_report
    assert not [w for w in rep["warnings"] if "differs" in w]      # pyucis == regress.py merge
    passing = [r for r in nightly.ResultsStore(toy_nightly / nightly.STORE_NAME).finished().values()
               if r["status"] == "PASS"]
    # functional: merged hits are the sum of the runs' hits
    from ucis.rgy.format_rgy import FormatRgy
    db = merge_ucis([Run(r, 1, toy_nightly) for r in passing])
    cgs = covergroups_from_ucis(db)
    assert set(cgs) == {"toy.steal", "toy.operand"}
    want = sum(sum(bins.values()) for g in regress.merge_functional_coverage(
        [toy_nightly / r["coverage_xml"] for r in passing]).values()
        for p, bins in g.items() if p.endswith(".lane"))
    assert sum(cgs["toy.steal"].points["lane"].values()) == want
    # code coverage went into the same database, and the history has one node per run
    from ucis.history_node_kind import HistoryNodeKind
    names = [h.getLogicalName() for h in db.historyNodes(HistoryNodeKind.TEST)]
    assert sorted(names) == sorted(r["test"] for r in passing)
    assert "blockCoverage" in (out / "merged.ucis.xml").read_text()
    assert FormatRgy.inst().getDatabaseDesc("xml").fmt_if().read(str(out / "merged.ucis.xml"))
    # exact code-coverage sum: merged_coverage.dat = sum of the runs' coverage.dat
    dats = [parse_coverage_dat(toy_nightly / r["coverage_dat"]) for r in passing]
    merged = parse_coverage_dat(out / "merged_coverage.dat")
    for key, n in merged.items():
        assert n == sum(d.get(key, 0) for d in dats)
    mods = {r["module"] for r in rep["code"]}
    assert {"toy_lane", "toy_arb", "masr_top"} <= mods


def test_exclusions(toy_report):
    _, rep = toy_report
    hits = {e["id"]: e["hits"] for e in rep["exclusions"]}
    assert hits == {"TOY-UNR-1": 1, "TOY-UNR-2": 1, "TOY-NONRTL-1": 3}
    steal = next(r for r in rep["functional"] if r["name"] == "toy.steal")
    assert steal["waived"] == 2 and steal["total"] == 17


def test_exclusion_without_reason_is_rejected(tmp_path):
    bad = tmp_path / "x.hjson"
    bad.write_text(json.dumps({"exclusions": [{"id": "X1", "kind": "code", "scope": "code/a/line",
                                               "category": "UNR"}]}))
    with pytest.raises(SystemExit, match="written reason"):
        load_exclusions(bad)
    bad.write_text(json.dumps({"exclusions": [{"id": "X1", "kind": "code", "scope": "code/a/line",
                                               "category": "WHATEVER", "reason": "long enough reason"}]}))
    with pytest.raises(SystemExit, match="category"):
        load_exclusions(bad)


def test_testplan_closure(toy_report, tmp_path):
    out, _ = toy_report
    rows = {r["name"]: r for r in json.loads((out / "closure.json").read_text())}
    assert rows["steal_claims"]["tests_status"] == "PARTIAL"        # seed 3 failed
    assert rows["steal_claims"]["coverage_pct"] == 100.0            # after the UNR exclusions
    assert rows["watchdog"]["status"] == "FAILING"
    assert rows["future_feature"]["status"] == "UNIMPLEMENTED"
    # synthetic merged data: all tests passed, one covergroup open -> COVERAGE_OPEN, else CLOSED
    from ucis.history_node_kind import HistoryNodeKind
    from ucis.mem.mem_ucis import MemUCIS
    from ucis.test_status_t import TestStatusT
    db = MemUCIS()
    for test in ("test_rand", "test_hang"):
        db.createHistoryNode(None, test, "/x", HistoryNodeKind.TEST).setTestStatus(TestStatusT.OK)
    cgs = {"toy.steal": Covergroup("toy.steal", {"lane": {"0": 3, "1": 0}}),
           "toy.operand": Covergroup("toy.operand", {"zero": {"True": 1, "False": 2}})}
    _, _, rows, _ = signoff.testplan.testplan_closure(FIX / "testplan.hjson", db, cgs, [], set())
    st = {r["name"]: r["status"] for r in rows}
    assert st == {"steal_claims": "COVERAGE_OPEN", "operand_corners": "CLOSED",
                  "watchdog": "CLOSED", "future_feature": "UNIMPLEMENTED"}
    assert (out / "closure-junit.xml").exists()


def test_report_contents(toy_report):
    out, rep = toy_report
    page = (out / "signoff.html").read_text()
    for needle in ("Pass rate per test and configuration", "Failure buckets", "Functional coverage per covergroup",
                   "Code coverage per module", "Testplan closure", "Coverage growth over seeds",
                   "Per-lane MAC utilization", "Steals per lane", "--rerun test_rand --config 4x2 --seed 3 --waves"):
        assert needle in page, needle
    assert page.count("data:image/png;base64,") == 3                # self-contained plots
    assert "src='http" not in page and 'src="http' not in page
    import xml.etree.ElementTree as ET
    suite = ET.parse(out / "junit.xml").getroot()
    assert suite.get("tests") == "8" and suite.get("failures") == "4"
    assert rep["summary"]["pass_rate"] == 50.0
    assert [g["seeds"] for g in rep["growth"]] == [1, 2]            # seed 3 only failed
    c, t = rep["code_totals"]["line"]
    assert rep["growth"][-1]["line"] == pytest.approx(100.0 * c / t)  # same exclusions as the table
    for row in rep["functional"]:                                    # seeds to close, per config
        assert list(row["full_after"]) == ["all", "4x2", "8x8"], row
        assert row["full_after"]["all"] == 1
    assert "100% after (all / 4x2 / 8x8)" in page


def _chromium() -> str | None:
    # Installed by scripts/ensure_system_deps.sh (make test / make sim).
    return shutil.which("chromium")


def test_report_renders_in_chromium(toy_report, tmp_path):
    exe = _chromium()
    if exe is None:
        pytest.skip("Debian's chromium is not installed: run `make sysdeps` as root (apt-get install chromium)")
    out, _ = toy_report
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}"]
    url = (out / "signoff.html").as_uri()
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert "MASR sign-off report" in dom and "Testplan closure" in dom
    shot = tmp_path / "signoff.png"
    subprocess.run(flags + ["--window-size=1280,2400", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 50_000          # a real page, not a blank one
    # the plots decoded: every <img> has a non-zero natural width once the page has loaded
    js = tmp_path / "check.html"
    js.write_text(f"<iframe id=f src='{url}' width=1200 height=800></iframe><script>"
                  "document.getElementById('f').onload=function(){var d=this.contentDocument;"
                  "var imgs=[...d.images];document.title='imgs:'+imgs.length+':'+"
                  "imgs.filter(i=>i.naturalWidth>0).length;}</script>")
    dom = subprocess.run(flags + ["--allow-file-access-from-files", "--virtual-time-budget=5000",
                                  "--dump-dom", js.as_uri()], capture_output=True, text=True,
                         timeout=120).stdout
    assert "<title>imgs:3:3</title>" in dom, dom[:500]


def test_region_exclusion_follows_ifndef_blocks(tmp_path):
    src = tmp_path / "m.sv"
    src.write_text("module m;\n`ifndef SYNTHESIS\n  initial a = 1;\n`ifdef X\n  b;\n`endif\n  c;\n"
                   "`else\n  d;\n`endif\n  e;\nendmodule\n")
    assert region_lines(str(src), "ifndef SYNTHESIS") == {3, 5, 7}
    ex = Exclusion("R", "code", "code/*/line", "*", "NON_RTL", "simulation-only code", "ifndef SYNTHESIS")
    inside = CodePoint("m", "line", str(src), 7, "block", "m")
    outside = CodePoint("m", "line", str(src), 11, "block", "m")
    assert ex.matches(inside.scope, inside.bin, inside)
    assert not ex.matches(outside.scope, outside.bin, outside)
    assert not ex.matches("code/m/toggle", inside.bin, inside)


def test_instance_and_anchor_exclusion_follow_the_source_not_the_line_number(tmp_path):
    src = tmp_path / "lane.sv"
    src.write_text("module lane;\n  always_comb begin\n    if (got_prev) begin\n      x = 1;\n"
                   "    end\n  end\nendmodule\n")
    ex = Exclusion("U", "code", "code/lane/line", "lane.sv:*:*", "UNR", "no prev neighbour",
                   instance="top.u_arr.g_h[0].g_v[0].u_lane", anchor=r"if \(got_prev\)")
    edge = CodePoint("lane", "line", str(src), 3, "if", "top.u_arr.g_h[0].g_v[0].u_lane")
    inner = CodePoint("lane", "line", str(src), 3, "if", "top.u_arr.g_h[1].g_v[0].u_lane")
    other_line = CodePoint("lane", "line", str(src), 4, "block", edge.hier)
    assert ex.matches(edge.scope, edge.bin, edge)
    assert not ex.matches(inner.scope, inner.bin, inner)            # brackets are literal, not a class
    assert not ex.matches(other_line.scope, other_line.bin, other_line)
    bad = tmp_path / "bad.hjson"
    bad.write_text(json.dumps({"exclusions": [{"id": "X", "kind": "functional", "scope": "func/a/b",
                                               "bin": "*", "category": "UNR", "instance": "top.*",
                                               "reason": "a reason long enough"}]}))
    with pytest.raises(SystemExit, match="code exclusions only"):
        load_exclusions(bad)


def test_growth_counts_code_points_after_exclusions(tmp_path):
    src = tmp_path / "m.sv"
    src.write_text("module m;\n`ifndef SYNTHESIS\n  initial $display(1);\n`endif\n  x;\nendmodule\n")
    def key(line: int) -> str:
        return f"\x01f\x02{src}\x01l\x02{line}\x01page\x02v_line/m\x01o\x02block\x01h\x02top.m"
    counts = {key(3): 0, key(5): 4}
    ex = Exclusion("R", "code", "code/*/line", "*", "NON_RTL", "simulation-only code", "ifndef SYNTHESIS")
    assert code_metric_counts(counts, "line", [], {}) == (1, 2)
    assert code_metric_counts(counts, "line", [ex], {}) == (1, 1)
    assert ex.hits == 0                                              # the table counts hits, not this


def test_project_exclusions_and_testplan_parse():
    excl = load_exclusions(REPO / "docs" / "coverage-exclusions.hjson")
    assert excl and all(e.category in CATEGORIES and e.reason for e in excl)
    from ucis.ncdb.testplan_hjson import import_hjson
    plan = import_hjson(str(REPO / "docs" / "testplan.hjson"))
    assert len(plan.testpoints) >= 10
    raw = load_hjson(REPO / "docs" / "testplan.hjson")
    groups = {c["name"] for c in raw["covergroups"]}
    for tp in raw["testpoints"]:
        for item in tp.get("covergroups", []):
            assert item in groups or item.rsplit(".", 1)[0] in groups, (tp["name"], item)


def test_proofs_close_testpoints(tmp_path):
    """A testpoint with `proofs` closes only when they all PASS: an UNKNOWN (timed-out) or
    missing proof keeps it open, and proofs alone close a testpoint without tests."""
    from signoff.formal import apply_proofs, load_formal
    plan = tmp_path / "plan.hjson"
    plan.write_text(json.dumps({"testpoints": [
        {"name": "only_proof", "tests": [], "proofs": ["arb"]},
        {"name": "tests_and_proof", "tests": ["t"], "proofs": ["arb", "fifo"]},
        {"name": "timed_out", "tests": [], "proofs": ["slow"]},
        {"name": "plain", "tests": ["t"]}]}))
    formal = tmp_path / "formal"
    formal.mkdir()
    (formal / "results.json").write_text(json.dumps({"proofs": [
        {"name": "arb", "status": "PASS"}, {"name": "fifo", "status": "PASS"},
        {"name": "slow", "status": "UNKNOWN"}]}))
    proofs = load_formal(formal)
    rows = [{"name": "only_proof", "tests": [], "status": "UNIMPLEMENTED"},
            {"name": "tests_and_proof", "tests": ["t"], "status": "CLOSED"},
            {"name": "timed_out", "tests": [], "status": "UNIMPLEMENTED"},
            {"name": "plain", "tests": ["t"], "status": "CLOSED"}]
    warnings = apply_proofs(rows, plan, proofs)
    assert {r["name"]: r["status"] for r in rows} == {
        "only_proof": "CLOSED", "tests_and_proof": "CLOSED", "timed_out": "PROOF_OPEN",
        "plain": "CLOSED"}
    assert any("slow is UNKNOWN" in w for w in warnings)
    assert apply_proofs(rows[:1], plan, []) and rows[0]["status"] == "PROOF_OPEN"  # never ran
    assert load_formal(tmp_path / "absent") == []
