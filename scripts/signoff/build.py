"""build_report: the report of one nightly, from its runs to the files in <nightly>/report; and
the command line of scripts/report.py (main)."""
from __future__ import annotations

import argparse
import datetime as _dt
import json
from pathlib import Path

import regress  # scripts/regress.py, see __init__ (Job, Outcome, write_junit)
import signoff  # the package docstring is the command's description
from nightly import PLAN_NAME, STORE_NAME, failure_buckets
from signoff.code_coverage import CODE_METRICS, code_rows, code_table, write_coverage_dat
from signoff.exclusions import load_exclusions
from signoff.formal import apply_proofs, load_formal
from signoff.functional import covergroups_from_regress, covergroups_from_ucis, functional_rows, \
    merge_mismatches
from signoff.growth import coverage_growth
from signoff.lanes import lane_stats
from signoff.plots import plot_growth, plot_lanes
from signoff.render import render_html
from signoff.runs import load_runs, pass_rows, resolve_nightly
from signoff.testplan import stage_rollup, testplan_closure, write_closure_junit
from signoff.ucis_merge import merge_ucis, write_ucis_xml

DEFAULT_TESTPLAN = signoff.REPO / "docs" / "testplan.hjson"
DEFAULT_EXCLUSIONS = signoff.REPO / "docs" / "coverage-exclusions.hjson"
DEFAULT_FORMAL = signoff.REPO / "out" / "formal"
UCIS_PER_RUN_LIMIT = 5_000_000   # code points pyucis reads one run at a time (~1 s per 12k)


def build_report(nightly: Path, out: Path, testplan: Path | None, exclusions_path: Path | None,
                 ucis_code: str = "auto", formal_dir: Path | None = DEFAULT_FORMAL) -> dict:
    plan = json.loads((nightly / PLAN_NAME).read_text())
    runs = load_runs(nightly, plan)
    excl = load_exclusions(exclusions_path)
    out.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    passing = [r for r in runs if r.passed]

    rows_pass = pass_rows(runs)
    buckets = failure_buckets([r.rec for r in runs])

    # per-run pass over coverage files, in seed order: regress' merge for growth, exact dat sum
    grown = coverage_growth(passing, excl)
    code_counts = grown.code_counts

    # pyucis merged database (code + functional + test history), closure
    if code_counts:
        write_coverage_dat(code_counts, out / "merged_coverage.dat")
    n_points = sum(1 for r in passing if r.path("coverage_dat")) * len(code_counts)
    from_sum = ucis_code == "sum" or (ucis_code == "auto" and n_points > UCIS_PER_RUN_LIMIT)
    if from_sum and code_counts:
        warnings.append(f"pyucis read the code coverage once from merged_coverage.dat (the exact "
                        f"sum) instead of run by run ({n_points:,} points)")
    db = merge_ucis(runs, code_sum=out / "merged_coverage.dat" if from_sum and code_counts else None)
    write_ucis_xml(db, out / "merged.ucis.xml")
    cgs = covergroups_from_ucis(db)
    warnings += merge_mismatches(cgs, covergroups_from_regress(grown.functional))
    func_rows = functional_rows(cgs, excl, grown.full_after, ["all", *sorted(grown.by_config)])

    table = code_table(code_counts, excl)      # adds the code-side matches to Exclusion.hits
    metrics = [m for m in CODE_METRICS if any(m in t for t in table.values())]
    rows_code, code_totals = code_rows(table)

    proofs = load_formal(formal_dir)
    closure_rows, stages, closure_results = [], {}, None
    planned_tests = {j["test"] for j in plan["jobs"]}
    if testplan and Path(testplan).exists():
        _, closure_results, closure_rows, tp_warn = testplan_closure(Path(testplan), db, cgs, excl, planned_tests)
        warnings += tp_warn
        warnings += apply_proofs(closure_rows, Path(testplan), proofs)
        stages = stage_rollup(closure_rows)
        write_closure_junit(closure_results, out / "closure-junit.xml")
    for e in excl:
        if e.hits == 0:
            warnings.append(f"exclusion {e.id} matches nothing: remove it or fix its pattern")

    # lanes and plots
    lanes = lane_stats(passing)
    img_growth = plot_growth(grown.curve)
    img_heat, img_steals = plot_lanes(lanes)

    # JUnit of the runs: scripts/regress.py's writer
    outcomes = [regress.Outcome(regress.Job(r.rec["test"], r.rec["config"], r.rec["seed"], 0.0,
                                            nightly / r.rec["run_dir"]),
                                r.rec["status"], float(r.rec.get("duration") or 0.0),
                                r.rec.get("message") or "") for r in runs]
    regress.write_junit(outcomes, out / "junit.xml")

    fc = sum(r["covered"] for r in func_rows)
    ft = sum(r["total"] for r in func_rows)
    lc, lt = code_totals.get("line", (0, 0))
    n_closed = sum(r["status"] == "CLOSED" for r in closure_rows)
    n_tp = sum(r["status"] != "N/A" for r in closure_rows)
    npass = len(passing)
    summary = {"runs": len(runs), "planned": len(plan["jobs"]), "missing": len(plan["jobs"]) - len(runs),
               "pass": npass, "pass_rate": 100.0 * npass / len(runs) if runs else 0.0,
               "buckets": len(buckets),
               "functional": f"{100.0 * fc / ft:.1f}% ({fc}/{ft})" if ft else "-",
               "line": f"{100.0 * lc / lt:.1f}% ({lc}/{lt})" if lt else "-",
               "closure": f"{n_closed}/{n_tp}" if closure_rows else "-",
               "proofs": f"{sum(p['status'] == 'PASS' for p in proofs)}/{len(proofs)} PASS"
               if proofs else "-"}
    files = [("junit.xml", "JUnit, one testcase per run"),
             ("merged.ucis.xml", "merged UCIS database (pyucis): code + functional coverage, test history")]
    if code_counts:
        files.append(("merged_coverage.dat", "exact sum of the runs' Verilator coverage.dat "
                      "(verilator_coverage --annotate works on it)"))
    if closure_results is not None:
        files.append(("closure-junit.xml", "JUnit, one testcase per testpoint (pyucis)"))
    files += [("closure.json", "testplan closure"), ("summary.json", "the report's numbers")]
    flags = {"none": "no coverage build", "line": "--coverage-line --coverage-user",
             "toggle": "--coverage-line --coverage-user --coverage-toggle"}.get(plan.get("coverage"), "?")
    ctx = {"nightly": str(nightly), "nightly_name": nightly.name, "plan": plan,
           "generated": _dt.datetime.now().isoformat(timespec="seconds"), "summary": summary,
           "warnings": warnings, "pass_rows": rows_pass, "buckets": buckets, "func_rows": func_rows,
           "code_rows": rows_code, "code_totals": code_totals,
           "code_metrics": metrics, "code_flags": flags, "closure_rows": closure_rows,
           "stages": stages, "testplan": str(testplan or "-"), "proofs": proofs,
           "formal_dir": str(formal_dir or "-"),
           "img_growth": img_growth, "img_heat": img_heat, "img_steals": img_steals,
           "exclusions": excl, "exclusions_file": str(exclusions_path or "-"), "files": files,
           "store": str(nightly / STORE_NAME)}
    # Mutation analysis (make mutate) beside coverage: does the bench notice a wrong RTL?
    from mutation import summary as mutation
    mutants = mutation.load_snapshot(signoff.REPO / "out" / "mutate" / "summary.json")
    ctx["mutation_html"] = mutation.html_section(mutants, mutation.load_waivers())
    (out / "signoff.html").write_text(render_html(ctx))
    (out / "closure.json").write_text(json.dumps(closure_rows, indent=1))
    machine = {"summary": summary, "pass_rows": rows_pass, "buckets": buckets, "proofs": proofs,
               "functional": [{k: v for k, v in r.items()} for r in func_rows],
               "code": [{"module": r["module"], "metrics": r["metrics"], "waived": r["waived"],
                         "uncovered": r["missing"]} for r in rows_code],
               "code_totals": code_totals, "growth": grown.curve, "warnings": warnings,
               "mutation": mutants,
               "exclusions": [{"id": e.id, "category": e.category, "hits": e.hits} for e in excl],
               "lanes": {cfg: {f"{h},{v}": dict(c) for (h, v), c in cells.items()}
                         for cfg, cells in lanes.items()}}
    (out / "summary.json").write_text(json.dumps(machine, indent=1))
    return machine


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=signoff.__doc__.splitlines()[0])
    ap.add_argument("--nightly", help="nightly directory (default out/nightly/latest)")
    ap.add_argument("--out", help="report directory (default <nightly>/report)")
    ap.add_argument("--testplan", default=str(DEFAULT_TESTPLAN))
    ap.add_argument("--exclusions", default=str(DEFAULT_EXCLUSIONS))
    ap.add_argument("--ucis-code", choices=("auto", "per-run", "sum"), default="auto",
                    help="how pyucis gets the code coverage: each run's coverage.dat, or the "
                         "exact sum of them (auto: the sum beyond %d points)" % UCIS_PER_RUN_LIMIT)
    ap.add_argument("--formal", default=str(DEFAULT_FORMAL),
                    help="scripts/formal.py's output directory (results.json)")
    args = ap.parse_args(argv)
    nightly = resolve_nightly(args.nightly)
    out = Path(args.out).resolve() if args.out else nightly / "report"
    rep = build_report(nightly, out, Path(args.testplan) if args.testplan else None,
                       Path(args.exclusions) if args.exclusions else None, args.ucis_code,
                       Path(args.formal) if args.formal else None)
    s = rep["summary"]
    print(f"report: {out / 'signoff.html'}")
    print(f"  runs {s['runs']}/{s['planned']}, pass rate {s['pass_rate']:.1f}%, "
          f"{s['buckets']} failure bucket(s), functional {s['functional']}, line {s['line']}, "
          f"testpoints closed {s['closure']}, proofs {s['proofs']}")
    for row in rep["functional"]:
        full = ", ".join(f"{cfg} {'-' if n is None else n}" for cfg, n in row["full_after"].items())
        print(f"  {row['name']:<18} {row['covered']:>4}/{row['total']:<4} 100% after seeds: {full}")
    for w in rep["warnings"]:
        print(f"  warning: {w}")
    print(f"  JUnit: {out / 'junit.xml'}")
    return 0
