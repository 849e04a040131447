"""Testplan closure: pyucis' test side (history of the merged database) plus the coverage side
of each testpoint's covergroups (this project's extension of the OpenTitan format)."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from signoff.exclusions import Exclusion
from signoff.functional import Covergroup
from signoff.runs import load_hjson


def testplan_closure(plan_path: Path, db, cgs: dict[str, Covergroup], excl: list[Exclusion],
                     planned_tests: set[str]):
    """pyucis computes the test side of closure from the merged database's history; each
    testpoint's covergroups (this project's extension of the OpenTitan format) add the coverage
    side: a testpoint is CLOSED when its tests all passed and its covergroups are at 100%."""
    from ucis.ncdb.testplan_closure import compute_closure
    from ucis.ncdb.testplan_hjson import import_hjson

    plan = import_hjson(str(plan_path))
    raw = {tp["name"]: tp for tp in load_hjson(plan_path).get("testpoints", [])}
    results = compute_closure(plan, db)
    rows, warnings = [], []
    absent: dict[str, list[str]] = defaultdict(list)
    for res in results:
        tp = res.testpoint
        items = list(raw.get(tp.name, {}).get("covergroups", []) or [])
        cov_c = cov_t = 0
        missing_items = []
        for item in items:
            cg_name, point = item, None
            if item not in cgs and "." in item and item.rsplit(".", 1)[0] in cgs:
                cg_name, point = item.rsplit(".", 1)
            cg = cgs.get(cg_name)
            if cg is None:
                missing_items.append(item)
                continue
            sub = Covergroup(cg.name, {point: cg.points[point]} if point else cg.points) \
                if (point is None or point in cg.points) else None
            if sub is None:
                missing_items.append(item)
                continue
            c, t, _, _ = sub.tally(excl)
            cov_c += c
            cov_t += t
        for t in tp.tests:
            if planned_tests and t not in planned_tests and not t.endswith("_*"):
                absent[t].append(tp.name)
        for m in missing_items:
            warnings.append(f"testpoint {tp.name}: covergroup {m} has no coverage data")
        tests_status = res.status.value
        cov_pct = 100.0 * cov_c / cov_t if cov_t else (None if not items else 0.0)
        if tests_status in ("N/A",):
            status = "N/A"
        elif tests_status != "CLOSED":
            status = tests_status
        elif items and (missing_items or cov_pct is None or cov_pct < 100.0):
            status = "COVERAGE_OPEN"
        else:
            status = "CLOSED"
        rows.append({"name": tp.name, "stage": tp.stage, "desc": tp.desc, "tests": tp.tests,
                     "tests_status": tests_status, "pass": res.pass_count, "fail": res.fail_count,
                     "covergroups": items, "coverage_covered": cov_c, "coverage_total": cov_t,
                     "coverage_pct": cov_pct, "status": status})
    for t, tps in sorted(absent.items()):
        warnings.append(f"testplan test {t} did not run in this nightly (testpoints: {', '.join(tps)})")
    return plan, results, rows, warnings


def stage_rollup(rows: list[dict]) -> dict[str, tuple[int, int]]:
    """stage -> (testpoints closed, testpoints), in stage order; N/A testpoints do not count."""
    stages: dict[str, tuple[int, int]] = {}
    for r in rows:
        if r["status"] == "N/A":
            continue
        c, t = stages.get(r["stage"], (0, 0))
        stages[r["stage"]] = (c + (r["status"] == "CLOSED"), t + 1)
    return dict(sorted(stages.items()))


def write_closure_junit(results, path: Path) -> None:
    from ucis.ncdb.testplan_export import export_junit_xml
    export_junit_xml(results, str(path), suite_name="masr_testplan_closure")
