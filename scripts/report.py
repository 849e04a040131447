#!/usr/bin/env python3
"""`make report`: the sign-off report of a nightly (one self-contained HTML file, plus JUnit).

Reads a nightly directory (default out/nightly/latest) and writes into <nightly>/report/:
  signoff.html        pass rate per test and config, failure buckets with rerun commands,
                      functional coverage per covergroup (uncovered bins listed), code coverage
                      per module, testplan closure, exclusions, plots (coverage growth over seeds,
                      per-lane MAC-utilization heat map, steals per lane); images inlined
  junit.xml           one testcase per run (scripts/regress.py's write_junit)
  closure-junit.xml   one testcase per testpoint (pyucis export_junit_xml)
  merged.ucis.xml     the merged UCIS database (pyucis): Verilator code coverage + cocotb-coverage
                      functional coverage of every passing run, and one test-history node per run
  merged_coverage.dat exact point-by-point sum of the runs' Verilator coverage.dat files
  closure.json, summary.json  the numbers of the report, machine-readable

Why both pyucis and a coverage.dat sum: pyucis (0.2.0) merges the Verilator data but its
``vltcov`` import names line points ``line_<N>`` and toggle points per signal, creates instances
flat by leaf name and drops the module name, so distinct points collapse when merged.  The
per-module code-coverage numbers therefore come from the exact sum, and the HTML is this
script's own: pyucis' HTML formatter renders an empty page for pyucis' own in-memory and XML
databases (docs/signoff.md lists what pyucis could and could not do).
"""
from __future__ import annotations

import argparse
import base64
import copy
import functools
import datetime as _dt
import html
import io
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"
for _p in (str(REPO), str(SCRIPTS)):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import regress  # noqa: E402  (Job, Outcome, failure_signature, merge_functional_coverage, ...)
from nightly import PLAN_NAME, STORE_NAME, ResultsStore, failure_buckets  # noqa: E402

DEFAULT_TESTPLAN = REPO / "docs" / "testplan.hjson"
DEFAULT_EXCLUSIONS = REPO / "docs" / "coverage-exclusions.hjson"
CATEGORIES = {
    "UNR": "unreachable: the design can never reach it (by construction or by parameters)",
    "NON_RTL": "not design logic: simulation-only or verification code (assertions, $display)",
    "UNSUPPORTED": "a feature or mode the design does not support, so never exercised",
    "LOW_RISK": "reachable, reviewed, and judged not worth a test (state the argument)",
}
CODE_METRICS = ("line", "branch", "toggle", "user")


# ----------------------------------------------------------------------------------------------
# inputs
# ----------------------------------------------------------------------------------------------

def load_hjson(path: Path):
    import hjson
    return hjson.loads(Path(path).read_text())


def resolve_nightly(arg: str | None) -> Path:
    path = Path(arg) if arg else REPO / "out" / "nightly" / "latest"
    if not path.is_absolute() and not path.exists():
        cand = REPO / "out" / "nightly" / str(arg)
        path = cand if cand.exists() else path
    path = path.resolve()
    if not (path / PLAN_NAME).exists():
        raise SystemExit(f"report: no nightly in {path} (run `make nightly` first)")
    return path


@dataclass
class Run:
    rec: dict
    seed_index: int
    root: Path

    def path(self, key: str) -> Path | None:
        v = self.rec.get(key)
        return self.root / v if v else None

    @property
    def passed(self) -> bool:
        return self.rec["status"] == "PASS"


def load_runs(nightly: Path, plan: dict) -> list[Run]:
    finished = ResultsStore(nightly / STORE_NAME).finished()
    seeds_of: dict[tuple, list[int]] = defaultdict(list)
    for j in plan["jobs"]:
        seeds_of[(j["test"], j["config"])].append(j["seed"])
    runs = []
    for rec in finished.values():
        seeds = sorted(seeds_of.get((rec["test"], rec["config"]), [rec["seed"]]))
        idx = seeds.index(rec["seed"]) + 1 if rec["seed"] in seeds else 1
        runs.append(Run(rec, idx, nightly))
    runs.sort(key=lambda r: (r.seed_index, r.rec["test"], r.rec["config"], r.rec["seed"]))
    return runs


# ----------------------------------------------------------------------------------------------
# exclusions (every one with a category and a written reason), matched with pyucis' waivers
# ----------------------------------------------------------------------------------------------

@dataclass
class Exclusion:
    id: str
    kind: str          # functional | code
    scope: str
    bin: str
    category: str
    reason: str
    region: str = ""   # code only: e.g. "ifndef SYNTHESIS" = points inside `ifndef SYNTHESIS blocks
    instance: str = ""  # code only: glob on the instance path ("*" = anything; brackets literal)
    anchor: str = ""    # code only: regex the point's source line must match (survives line shifts)
    hits: int = 0

    def __post_init__(self):
        from ucis.ncdb.waivers import Waiver
        self._waiver = Waiver(id=self.id, scope_pattern=self.scope, bin_pattern=self.bin,
                              rationale=f"[{self.category}] {self.reason}")

    def matches(self, scope: str, bin_name: str, point: "CodePoint | None" = None) -> bool:
        if not self._waiver.matches(scope, bin_name):
            return False
        if self.region and (point is None or point.line not in region_lines(point.file, self.region)):
            return False
        if self.instance and (point is None or not _instance_re(self.instance).fullmatch(point.hier)):
            return False
        if self.anchor and (point is None or not re.search(self.anchor, source_line(point.file, point.line))):
            return False
        return True


@functools.lru_cache(maxsize=None)
def _instance_re(glob: str) -> re.Pattern:
    # Instance paths hold generate indices ("g_h[0]"), so only "*" is special here.
    return re.compile(".*".join(re.escape(part) for part in glob.split("*")))


@functools.lru_cache(maxsize=None)
def source_lines(path: str) -> tuple[str, ...]:
    """A source file's lines (empty if unreadable), read once per report."""
    try:
        return tuple(Path(path).read_text(errors="replace").splitlines())
    except OSError:
        return ()


def source_line(path: str, line: int) -> str:
    text = source_lines(path)
    return text[line - 1] if 0 < line <= len(text) else ""


@functools.lru_cache(maxsize=None)
def region_lines(path: str, region: str) -> frozenset[int]:
    """Lines of a source file inside `ifndef/`ifdef MACRO blocks ("ifndef SYNTHESIS"), nesting
    aware; an `else of that block ends the region.  Robust to line shifts, unlike line patterns."""
    kind, _, macro = region.partition(" ")
    lines: set[int] = set()
    stack: list[bool] = []          # per open `if*: is it (still) our region?
    for no, raw in enumerate(source_lines(path), 1):
        tok = raw.strip().split()
        head = tok[0] if tok else ""
        if head in ("`ifdef", "`ifndef"):
            stack.append(head == f"`{kind}" and len(tok) > 1 and tok[1] == macro)
        elif head in ("`else", "`elsif") and stack:
            stack[-1] = False
        elif head == "`endif" and stack:
            stack.pop()
        elif any(stack):
            lines.add(no)
    return frozenset(lines)


def exclusion_filters(e: Exclusion) -> str:
    parts = [f"`{e.region}" if e.region else "", f"instance {e.instance}" if e.instance else "",
             f"line matches /{e.anchor}/" if e.anchor else ""]
    return "; ".join(p for p in parts if p)


def load_exclusions(path: Path | None) -> list[Exclusion]:
    if path is None or not Path(path).exists():
        return []
    data = load_hjson(path)
    out, errors = [], []
    for i, e in enumerate(data.get("exclusions", [])):
        ident = e.get("id", f"#{i + 1}")
        cat = str(e.get("category", "")).strip()
        reason = str(e.get("reason", "")).strip()
        kind = str(e.get("kind", "")).strip()
        if cat not in CATEGORIES:
            errors.append(f"{ident}: category {cat!r} is not one of {', '.join(CATEGORIES)}")
        if len(reason) < 10:
            errors.append(f"{ident}: every exclusion needs a written reason")
        if kind not in ("functional", "code"):
            errors.append(f"{ident}: kind must be 'functional' or 'code'")
        if not e.get("scope"):
            errors.append(f"{ident}: no scope pattern")
        region = str(e.get("region", "")).strip()
        if region and (kind != "code" or not re.fullmatch(r"(ifdef|ifndef) \w+", region)):
            errors.append(f"{ident}: region must be 'ifdef MACRO' or 'ifndef MACRO' on a code exclusion")
        instance, anchor = str(e.get("instance", "")).strip(), str(e.get("anchor", "")).strip()
        if (instance or anchor) and kind != "code":
            errors.append(f"{ident}: instance and anchor apply to code exclusions only")
        try:
            re.compile(anchor)
        except re.error as err:
            errors.append(f"{ident}: anchor is not a regular expression ({err})")
        out.append(Exclusion(ident, kind, str(e.get("scope", "")), str(e.get("bin", "*")), cat,
                             reason, region, instance, anchor))
    if errors:
        raise SystemExit(f"report: invalid exclusions in {path}:\n  " + "\n  ".join(errors))
    return out


def excluded_by(excl: list[Exclusion], kind: str, scope: str, bin_name: str,
                point=None) -> Exclusion | None:
    for e in excl:
        if e.kind == kind and e.matches(scope, bin_name, point):
            return e
    return None


# ----------------------------------------------------------------------------------------------
# functional coverage
# ----------------------------------------------------------------------------------------------

def _strip_root(name: str) -> str:
    return name[4:] if name.startswith("top.") else name


def functional_scope(covergroup: str, point: str) -> str:
    return f"func/{covergroup}/{point}"


def flatten_cocotb_xml(xml_path: Path) -> bytes:
    """cocotb-coverage XML -> the same XML with one level of covergroups.

    pyucis' cocotb-xml reader turns nested groups (top.masr.steal.event) into nested covergroups,
    which pyucis' merger (DbMerger) and reports skip.  Here every coverpoint/cross sits directly
    under a covergroup named by its parent path ("masr.steal"), as scripts/regress.py groups them.
    """
    from lxml import etree

    root = etree.parse(str(xml_path)).getroot()
    new = etree.Element(root.tag, abs_name=root.get("abs_name", root.tag))
    groups = {}
    for el in [e for e in root.iter() if e.get("at_least") is not None]:
        name = el.get("abs_name", el.tag)
        group, point = name.rsplit(".", 1) if "." in name else ("default", name)
        group = _strip_root(group)
        g = groups.get(group)
        if g is None:
            # pyucis names a scope by its XML tag
            tag = re.sub(r"[^\w.\-]", "_", group)
            tag = tag if re.match(r"[A-Za-z_]", tag) else "_" + tag
            g = groups[group] = etree.SubElement(new, tag, abs_name=group)
        cp = etree.SubElement(g, el.tag, dict(el.attrib))
        for b in el:
            cp.append(copy.deepcopy(b))
    return etree.tostring(new)


@dataclass
class Covergroup:
    name: str
    points: dict = field(default_factory=dict)      # point -> {bin: hits}

    def tally(self, excl: list[Exclusion], count_hits: bool = False):
        covered = total = 0
        missing, waived = [], []
        for point, bins in sorted(self.points.items()):
            for label, hits in bins.items():
                e = excluded_by(excl, "functional", functional_scope(self.name, point), label)
                if e is not None:
                    e.hits += count_hits
                    waived.append((point, label, e))
                    continue
                total += 1
                if hits > 0:
                    covered += 1
                else:
                    missing.append(f"{point}={label}")
        return covered, total, missing, waived


def covergroups_from_ucis(db) -> dict[str, Covergroup]:
    from ucis.cover_type_t import CoverTypeT
    from ucis.scope_type_t import ScopeTypeT

    out: dict[str, Covergroup] = {}

    def walk(scope):
        for sc in scope.scopes(ScopeTypeT.ALL):
            st = sc.getScopeType()
            if st == ScopeTypeT.COVERGROUP:
                cg = out.setdefault(sc.getScopeName(), Covergroup(sc.getScopeName()))
                for cp in sc.scopes(ScopeTypeT.ALL):
                    bins = cg.points.setdefault(cp.getScopeName(), {})
                    for ci in cp.coverItems(CoverTypeT.ALL):
                        bins[ci.getName()] = bins.get(ci.getName(), 0) + int(ci.getCoverData().data)
            else:
                walk(sc)

    walk(db)
    return out


def covergroups_from_regress(merged) -> dict[str, Covergroup]:
    """scripts/regress.py's merge_functional_coverage result in the same shape."""
    out = {}
    for group, points in merged.items():
        g = _strip_root(group)
        cg = out.setdefault(g, Covergroup(g))
        for point, bins in points.items():
            cg.points[point.rsplit(".", 1)[-1]] = dict(bins)
    return out


# ----------------------------------------------------------------------------------------------
# Verilator code coverage: exact sum of coverage.dat files
# ----------------------------------------------------------------------------------------------

# Verilator names a parameterized copy of a module <module>__<PARAM><value>[_<PARAM><value>...]
_PARAM_SUFFIX = re.compile(r"__[A-Z].*$")


def parse_coverage_dat(path: Path) -> dict[str, int]:
    """Verilator's SystemC::Coverage-3 text: ``C '<key>' <count>`` lines -> {key: count}."""
    out: dict[str, int] = {}
    with open(path, errors="replace") as fh:
        for line in fh:
            if not line.startswith("C '"):
                continue
            cut = line.rfind("' ")
            if cut < 0:
                continue
            key = line[3:cut]
            try:
                out[key] = out.get(key, 0) + int(line[cut + 2:])
            except ValueError:
                continue
    return out


def point_fields(key: str) -> dict[str, str]:
    fields = {}
    for part in key.split("\x01"):
        if "\x02" in part:
            k, v = part.split("\x02", 1)
            fields[k] = v
    return fields


@dataclass
class CodePoint:
    module: str
    metric: str
    file: str
    line: int
    what: str
    hier: str

    @property
    def scope(self) -> str:
        return f"code/{self.module}/{self.metric}"

    @property
    def bin(self) -> str:
        return f"{Path(self.file).name}:{self.line}:{self.what}"


def code_point(key: str) -> CodePoint:
    f = point_fields(key)
    page = f.get("page", "")
    metric, _, module = page.partition("/")
    metric = metric[2:] if metric.startswith("v_") else (f.get("t") or metric or "other")
    module = _PARAM_SUFFIX.sub("", module or f.get("h", "?").split(".")[-1])
    try:
        line = int(f.get("l", "0"))
    except ValueError:
        line = 0
    return CodePoint(module, metric, f.get("f", "?"), line, f.get("o", ""), f.get("h", ""))


def write_coverage_dat(counts: dict[str, int], path: Path) -> None:
    with open(path, "w") as fh:
        fh.write("# SystemC::Coverage-3\n")
        for key, n in counts.items():
            fh.write(f"C '{key}' {n}\n")


def code_metric_counts(counts: dict[str, int], metric: str, excl: list[Exclusion],
                       cache: dict[str, str | None]) -> tuple[int, int]:
    """(covered, total) of one metric after exclusions, as code_table counts them.  The growth
    curve calls it per seed step and metric, so ``cache`` keeps each point's metric (None if
    waived) and a key is parsed and matched against the exclusions only once."""
    covered = total = 0
    for key, n in counts.items():
        if key not in cache:
            p = code_point(key)
            cache[key] = None if excluded_by(excl, "code", p.scope, p.bin, p) else p.metric
        if cache[key] == metric:
            total += 1
            covered += n > 0
    return covered, total


def code_table(counts: dict[str, int], excl: list[Exclusion]):
    """module -> metric -> [covered, total, waived, missing(list of CodePoint)]"""
    table: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0, []]))
    for key, n in counts.items():
        p = code_point(key)
        cell = table[p.module][p.metric]
        e = excluded_by(excl, "code", p.scope, p.bin, p)
        if e is not None:
            e.hits += 1
            cell[2] += 1
            continue
        cell[1] += 1
        if n > 0:
            cell[0] += 1
        else:
            cell[3].append(p)
    return table


# ----------------------------------------------------------------------------------------------
# pyucis: merged database and testplan closure
# ----------------------------------------------------------------------------------------------

def run_ucis_db(run: Run, with_code: bool = True):
    """One run as a pyucis database: its code and functional coverage and a test-history node."""
    from ucis.cocotb.cocotb_xml_reader import CocotbXmlReader
    from ucis.history_node_kind import HistoryNodeKind
    from ucis.mem.mem_ucis import MemUCIS
    from ucis.test_status_t import TestStatusT
    from ucis.vltcov.vlt_parser import VltParser
    from ucis.vltcov.vlt_to_ucis_mapper import VltToUcisMapper

    db = MemUCIS()
    rec = run.rec
    run_dir = run.root / rec["run_dir"]
    dat, xml = run.path("coverage_dat"), run.path("coverage_xml")
    use_cov = run.passed          # sign-off coverage comes from passing runs only
    if use_cov and with_code and dat and dat.exists():
        # source_file names the history node: <run_dir>/<test> -> logical name <test>
        VltToUcisMapper(db, source_file=str(run_dir / rec["test"])).map_items(
            VltParser().parse_file(str(dat)))
    hist = next(iter(db.historyNodes(HistoryNodeKind.TEST)), None)
    if hist is None:
        hist = db.createHistoryNode(None, rec["test"], str(run_dir), HistoryNodeKind.TEST)
    hist.setTestStatus(TestStatusT.OK if run.passed else TestStatusT.FATAL)
    hist.setSeed(str(rec["seed"]))
    hist.setCpuTime(float(rec.get("duration") or 0.0))
    hist.setCmd(rec.get("rerun") or "")
    hist.setToolCategory(f"verilator:{rec['config']}")
    if use_cov and xml and xml.exists():
        CocotbXmlReader().read(io.BytesIO(flatten_cocotb_xml(xml)), db)
    return db


def merge_ucis(runs: list[Run], batch: int = 64, code_sum: Path | None = None):
    """Merge every run's database with pyucis' DbMerger, a batch at a time (bounded memory).

    With ``code_sum`` (a summed coverage.dat) pyucis reads the code coverage once from it instead
    of once per run: for toggle nightlies, where reading each run's file costs seconds."""
    from ucis.merge.db_merger import DbMerger
    from ucis.mem.mem_ucis import MemUCIS
    from ucis.rgy.format_rgy import FormatRgy
    from ucis.vltcov.vlt_parser import VltParser
    from ucis.vltcov.vlt_to_ucis_mapper import VltToUcisMapper

    xml_fmt = FormatRgy.inst().getDatabaseDesc("xml").fmt_if()
    acc = None
    if code_sum is not None:
        acc = MemUCIS()
        VltToUcisMapper(acc, source_file=str(code_sum.with_suffix(""))).map_items(
            VltParser().parse_file(str(code_sum)))
    for i in range(0, len(runs), batch):
        srcs = ([acc] if acc is not None else []) + [run_ucis_db(r, code_sum is None)
                                                     for r in runs[i:i + batch]]
        dst = xml_fmt.create()
        DbMerger().merge(dst, srcs)
        acc = dst
    return acc if acc is not None else xml_fmt.create()


def write_ucis_xml(db, path: Path) -> None:
    from ucis.rgy.format_rgy import FormatRgy
    FormatRgy.inst().getDatabaseDesc("xml").fmt_if().write(db, str(path))


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


# ----------------------------------------------------------------------------------------------
# lane statistics from summary.json
# ----------------------------------------------------------------------------------------------

_STAT_ALIASES = {"mac_busy": ("MAC_BUSY", "mac_busy", "PERF_MAC_BUSY"),
                 "steals": ("ROWS_STOLEN", "rows_stolen", "steals", "steals_granted", "STEALS"),
                 "idle": ("IDLE", "idle"),
                 "cycles": ("cycles", "CYCLES", "PERF_CYCLES")}


def _stat(d: dict, name: str):
    for k in _STAT_ALIASES[name]:
        if k in d and isinstance(d[k], (int, float)):
            return d[k]
    return None


def lane_entries(summary: dict):
    """Yield (h, v, stats) from the per-lane stats of a summary.json, whatever its layout:
    a list of {"h", "v", ...}, or a dict keyed "h,v" / "(h, v)" / "h_v"."""
    lanes = summary.get("lanes", summary.get("lane_stats"))
    if isinstance(lanes, dict):
        for k, st in lanes.items():
            m = re.findall(r"\d+", str(k))
            if len(m) >= 2 and isinstance(st, dict):
                yield int(m[0]), int(m[1]), st
    elif isinstance(lanes, list):
        for st in lanes:
            if isinstance(st, dict) and "h" in st and "v" in st:
                yield int(st["h"]), int(st["v"]), st


def lane_stats(runs: list[Run]):
    """config -> {(h, v): {"mac_busy", "steals", "cycles"}} summed over passing runs.

    Per-lane stats are read per product (``products[i].lane_stats`` or ``.lanes``, with the
    product's ``counters.PERF_CYCLES``) or, if no product carries them, from the top level
    (``lanes`` with ``counters``)."""
    out: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: defaultdict(float)))
    for r in runs:
        p = r.path("summary")
        if not p or not p.exists():
            continue
        try:
            s = json.loads(p.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        products = [x for x in (s.get("products") or []) if isinstance(x, dict)
                    and (x.get("lane_stats") or x.get("lanes"))]
        for holder in products or [s]:
            run_cycles = _stat(holder.get("counters", {}) or {}, "cycles")
            for h, v, st in lane_entries(holder):
                cell = out[r.rec["config"]][(h, v)]
                busy = _stat(st, "mac_busy") or 0
                cell["mac_busy"] += busy
                cell["steals"] += _stat(st, "steals") or 0
                cyc = _stat(st, "cycles") or run_cycles
                if cyc is None:
                    cyc = busy + (_stat(st, "idle") or 0)
                cell["cycles"] += cyc or 0
    return out


# ----------------------------------------------------------------------------------------------
# plots (matplotlib, inlined as PNG)
# ----------------------------------------------------------------------------------------------

def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def plot_growth(growth: list[dict]) -> str | None:
    if not growth:
        return None
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.4))
    xs = [g["seeds"] for g in growth]
    ax.plot(xs, [g["functional"] for g in growth], marker="o", label="functional bins")
    if any(g["line"] is not None for g in growth):
        ax.plot(xs, [g["line"] for g in growth], marker="s", label="code: line")
    if any(g.get("toggle") is not None for g in growth):
        ax.plot(xs, [g["toggle"] for g in growth], marker="^", label="code: toggle")
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("seeds per test")
    ax.set_ylabel("covered [%]")
    ax.set_ylim(0, 101)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("Coverage growth over seeds (merged, passing runs)")
    return _png(fig)


def plot_lanes(stats) -> tuple[str | None, str | None]:
    if not stats:
        return None, None
    import matplotlib.pyplot as plt
    import numpy as np
    configs = sorted(stats)
    fig, axes = plt.subplots(1, len(configs), figsize=(4.2 * len(configs), 3.6), squeeze=False)
    for ax, cfg in zip(axes[0], configs):
        cells = stats[cfg]
        H = max(h for h, _ in cells) + 1
        V = max(v for _, v in cells) + 1
        grid = np.full((H, V), np.nan)
        for (h, v), c in cells.items():
            grid[h, v] = 100.0 * c["mac_busy"] / c["cycles"] if c["cycles"] else np.nan
        im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=100, aspect="auto")
        for (h, v), val in np.ndenumerate(grid):
            if not np.isnan(val):
                ax.text(v, h, f"{val:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if val < 60 else "black")
        ax.set_xticks(range(V))
        ax.set_yticks(range(H))
        ax.set_title(f"{cfg}: MAC utilization [%]")
        ax.set_xlabel("vertical lane v")
        ax.set_ylabel("horizontal lane h")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    heat = _png(fig)
    fig, axes = plt.subplots(len(configs), 1, figsize=(8, 2.6 * len(configs)), squeeze=False)
    for ax, cfg in zip(axes[:, 0], configs):
        keys = sorted(stats[cfg])
        ax.bar(range(len(keys)), [stats[cfg][k]["steals"] for k in keys], color="#c0504d")
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([f"{h},{v}" for h, v in keys], rotation=90, fontsize=6)
        ax.set_ylabel("rows stolen")
        ax.set_title(f"{cfg}: steals per lane (h,v), summed over passing runs")
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    bars = _png(fig)
    return heat, bars


# ----------------------------------------------------------------------------------------------
# HTML
# ----------------------------------------------------------------------------------------------

CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:0;color:#222;background:#f6f7f9}
header{background:#1f3a5f;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px} header p{margin:4px 0 0;opacity:.85;font-size:13px}
nav{background:#2c4f7c;padding:6px 28px} nav a{color:#dfe8f5;margin-right:14px;font-size:13px;text-decoration:none}
main{padding:10px 28px 40px} section{background:#fff;border-radius:6px;padding:12px 18px;margin:14px 0;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{font-size:18px;margin:4px 0 10px;border-bottom:2px solid #1f3a5f;padding-bottom:4px}
table{border-collapse:collapse;font-size:13px;margin:6px 0} th,td{border:1px solid #d8dde5;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#eef2f7} td.num{text-align:right;font-variant-numeric:tabular-nums}
.PASS,.CLOSED,.ok{background:#dff3e3} .FAIL,.FAILING,.TIMEOUT,.CRASH,.bad{background:#fbe0e0}
.PARTIAL,.COVERAGE_OPEN,.NOT_RUN,.UNIMPLEMENTED,.warn{background:#fff3cd} .NA{background:#eee}
.kpis{display:flex;gap:14px;flex-wrap:wrap} .kpi{background:#eef2f7;border-radius:6px;padding:8px 14px;min-width:140px}
.kpi b{display:block;font-size:22px} code{font-size:12px;background:#f1f1f1;padding:1px 4px;border-radius:3px}
details{margin:3px 0} summary{cursor:pointer;color:#1f3a5f} .small{font-size:12px;color:#555}
.bar{display:inline-block;height:9px;background:#4f81bd;vertical-align:middle} .barbg{display:inline-block;width:90px;height:9px;background:#e3e7ee;margin-right:6px}
img{max-width:100%}
"""


def esc(x) -> str:
    return html.escape(str(x))


def pct_cell(c: int, t: int) -> str:
    if not t:
        return '<td class="num">-</td>'
    p = 100.0 * c / t
    cls = "ok" if p >= 100.0 else ("warn" if p >= 80.0 else "bad")
    return (f'<td class="num {cls}"><span class="barbg"><span class="bar" style="width:{p:.0f}%">'
            f'</span></span>{c}/{t} = {p:.1f}%</td>')


def render_html(ctx: dict) -> str:
    h = []
    a = h.append
    a("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>")
    a(f"<title>MASR sign-off report - {esc(ctx['nightly_name'])}</title><style>{CSS}</style></head><body>")
    a(f"<header><h1>MASR sign-off report</h1><p>nightly <code style='color:#000'>{esc(ctx['nightly_name'])}</code>"
      f" &middot; commit {esc(ctx['plan'].get('git_commit') or '?')} &middot; coverage build: "
      f"{esc(ctx['plan'].get('coverage'))} &middot; {ctx['plan'].get('seeds')} seeds per random test"
      f" &middot; generated {esc(ctx['generated'])}</p></header>")
    a("<nav>" + "".join(f"<a href='#{i}'>{t}</a>" for i, t in (
        ("summary", "Summary"), ("tests", "Pass rate"), ("failures", "Failure buckets"),
        ("functional", "Functional coverage"), ("code", "Code coverage"), ("closure", "Testplan closure"),
        ("plots", "Plots"), ("exclusions", "Exclusions"), ("files", "Files"))) + "</nav><main>")
    s = ctx["summary"]
    a("<section id='summary'><h2>Summary</h2><div class='kpis'>")
    for label, val in (("runs", f"{s['runs']} / {s['planned']}"), ("pass rate", f"{s['pass_rate']:.1f}%"),
                       ("failure buckets", s["buckets"]), ("functional bins", s["functional"]),
                       ("code: line", s["line"]), ("testpoints closed", s["closure"])):
        a(f"<div class='kpi'>{esc(label)}<b>{esc(val)}</b></div>")
    a("</div>")
    if s["missing"]:
        a(f"<p class='warn'>{s['missing']} planned run(s) have no result: resume with "
          f"<code>make nightly RESUME={esc(ctx['nightly'])}</code></p>")
    warn_html = "".join(f"<p class='warn small'>&#9888; {esc(w)}</p>" for w in ctx["warnings"])
    if len(ctx["warnings"]) > 4:
        warn_html = f"<details><summary>{len(ctx['warnings'])} warnings</summary>{warn_html}</details>"
    a(warn_html)
    a("</section>")

    a("<section id='tests'><h2>Pass rate per test and configuration</h2><table><tr><th>test</th>"
      "<th>config</th><th>runs</th><th>pass</th><th>fail</th><th>timeout</th><th>crash</th>"
      "<th>pass rate</th><th>mean time [s]</th></tr>")
    for row in ctx["pass_rows"]:
        cls = "ok" if row["fail_all"] == 0 else "bad"
        a(f"<tr><td>{esc(row['test'])}</td><td>{esc(row['config'])}</td><td class='num'>{row['runs']}</td>"
          f"<td class='num'>{row['PASS']}</td><td class='num'>{row['FAIL']}</td><td class='num'>{row['TIMEOUT']}</td>"
          f"<td class='num'>{row['CRASH']}</td><td class='num {cls}'>{row['rate']:.1f}%</td>"
          f"<td class='num'>{row['mean_s']:.1f}</td></tr>")
    a("</table></section>")

    a("<section id='failures'><h2>Failure buckets</h2>")
    if not ctx["buckets"]:
        a("<p class='ok'>No failures.</p>")
    else:
        a("<table><tr><th>#</th><th>signature</th><th>runs</th><th>seeds (test / config / seed)</th>"
          "<th>rerun one with FST waves</th></tr>")
        for i, b in enumerate(ctx["buckets"], 1):
            seeds = ", ".join(f"{esc(r['test'])}/{esc(r['config'])}/{r['seed']}" for r in b["runs"][:40])
            if b["count"] > 40:
                seeds += f" &hellip; (+{b['count'] - 40})"
            a(f"<tr class='bad'><td>{i}</td><td><code>{esc(b['signature'])}</code></td><td class='num'>{b['count']}</td>"
              f"<td class='small'>{seeds}</td><td><code>{esc(b['rerun'] or '-')}</code><br>"
              f"<span class='small'>log: {esc(b['runs'][0].get('log') or '-')}</span></td></tr>")
        a("</table>")
    a("</section>")

    cfgs = [c for c in (ctx["func_rows"][0]["full_after"] if ctx["func_rows"] else {}) if c != "all"]
    a("<section id='functional'><h2>Functional coverage per covergroup</h2>"
      "<p class='small'>cocotb-coverage, merged over all passing runs with pyucis; excluded bins are "
      "not counted (see Exclusions). <i>100% after</i>: the number of seeds per test after which "
      "the covergroup was complete (merged, and per configuration), &ndash; if it never was.</p>"
      "<table><tr><th>covergroup</th><th>bins covered</th><th>excluded</th>"
      "<th>100% after (all" + "".join(f" / {esc(c)}" for c in cfgs) + ")</th>"
      "<th>uncovered bins</th></tr>")
    for row in ctx["func_rows"]:
        miss = row["missing"]
        if miss:
            shown = ", ".join(esc(m) for m in miss[:12])
            more = (f"<details><summary>all {len(miss)}</summary><span class='small'>"
                    + ", ".join(esc(m) for m in miss) + "</span></details>") if len(miss) > 12 else ""
            miss_html = f"<span class='small'>{shown}</span>{more}"
        else:
            miss_html = "<span class='small'>none</span>"
        full = " / ".join("&ndash;" if n is None else str(n) for n in row["full_after"].values())
        a(f"<tr><td>{esc(row['name'])}</td>{pct_cell(row['covered'], row['total'])}"
          f"<td class='num'>{row['waived']}</td><td class='num'>{full}</td><td>{miss_html}</td></tr>")
    if not ctx["func_rows"]:
        a("<tr><td colspan=5 class='warn'>no functional coverage (no passing run wrote coverage.xml)</td></tr>")
    a("</table></section>")

    a("<section id='code'><h2>Code coverage per module</h2><p class='small'>Verilator "
      f"(<code>{esc(ctx['code_flags'])}</code>), summed point by point over all passing runs. "
      "line = statement blocks, branch = if/case arms, toggle = signal bits 0&rarr;1 and 1&rarr;0, "
      "user = SVA cover properties.</p>")
    metrics = ctx["code_metrics"]
    if ctx["code_rows"]:
        a("<table><tr><th>module</th>" + "".join(f"<th>{m}</th>" for m in metrics)
          + "<th>excluded</th><th>uncovered (file:line:kind)</th></tr>")
        for row in ctx["code_rows"]:
            cells = "".join(pct_cell(*row["metrics"].get(m, (0, 0))) for m in metrics)
            miss = row["missing"]
            miss_html = ("<details><summary>%d point(s)</summary><span class='small'>%s</span></details>"
                         % (len(miss), ", ".join(esc(x) for x in miss[:400]))) if miss else "<span class='small'>none</span>"
            a(f"<tr><td>{esc(row['module'])}</td>{cells}<td class='num'>{row['waived']}</td><td>{miss_html}</td></tr>")
        tot = ctx["code_totals"]
        a("<tr><th>total</th>" + "".join(pct_cell(*tot.get(m, (0, 0))) for m in metrics) + "<td></td><td></td></tr>")
        a("</table>")
    else:
        a("<p class='warn'>No code coverage: the nightly ran without a coverage build, or no passing run wrote coverage.dat.</p>")
    a("</section>")

    a("<section id='closure'><h2>Testplan closure</h2><p class='small'>"
      f"{esc(ctx['testplan'])}: test status from pyucis' closure over the merged database's test "
      "history; a testpoint is CLOSED when all its tests passed and its covergroups are at 100%.</p>")
    if ctx["closure_rows"]:
        a("<table><tr><th>stage</th><th>closed</th></tr>")
        for stage, (c, t) in ctx["stages"].items():
            a(f"<tr><td>{esc(stage)}</td>{pct_cell(c, t)}</tr>")
        a("</table><table><tr><th>testpoint</th><th>stage</th><th>tests</th><th>tests status</th>"
          "<th>pass/fail</th><th>covergroups</th><th>coverage</th><th>status</th></tr>")
        for r in ctx["closure_rows"]:
            cls = r["status"].replace("/", "")
            a(f"<tr><td title='{esc(r['desc'])}'>{esc(r['name'])}<br><span class='small'>{esc(r['desc'][:160])}</span></td>"
              f"<td>{esc(r['stage'])}</td><td class='small'>{esc(', '.join(r['tests']))}</td>"
              f"<td class='{esc(r['tests_status'].replace('/', ''))}'>{esc(r['tests_status'])}</td>"
              f"<td class='num'>{r['pass']}/{r['fail']}</td><td class='small'>{esc(', '.join(r['covergroups']))}</td>"
              + (pct_cell(r["coverage_covered"], r["coverage_total"]) if r["coverage_total"] else "<td>-</td>")
              + f"<td class='{esc(cls)}'><b>{esc(r['status'])}</b></td></tr>")
        a("</table>")
    else:
        a("<p class='warn'>No testplan.</p>")
    a("</section>")

    a("<section id='plots'><h2>Plots</h2>")
    for title, img in (("Coverage growth over seeds", ctx["img_growth"]),
                       ("Per-lane MAC utilization", ctx["img_heat"]),
                       ("Steals per lane", ctx["img_steals"])):
        a(f"<h3>{esc(title)}</h3>")
        a(f"<img alt='{esc(title)}' src='data:image/png;base64,{img}'>" if img
          else "<p class='small warn'>no data (the runs' summary.json carry no per-lane statistics)</p>")
    a("</section>")

    a("<section id='exclusions'><h2>Exclusions</h2>"
      f"<p class='small'>{esc(ctx['exclusions_file'])}; categories: "
      + "; ".join(f"<b>{k}</b> {esc(v)}" for k, v in CATEGORIES.items()) + "</p>")
    if ctx["exclusions"]:
        a("<table><tr><th>id</th><th>category</th><th>kind</th><th>scope</th><th>bin</th>"
          "<th>also requires</th><th>items excluded</th><th>reason</th></tr>")
        for e in ctx["exclusions"]:
            a(f"<tr class='{'' if e.hits else 'warn'}'><td>{esc(e.id)}</td><td>{esc(e.category)}</td>"
              f"<td>{esc(e.kind)}</td><td><code>{esc(e.scope)}</code></td><td><code>{esc(e.bin)}</code></td>"
              f"<td class='small'>{esc(exclusion_filters(e))}</td>"
              f"<td class='num'>{e.hits}</td><td class='small'>{esc(e.reason)}</td></tr>")
        a("</table>")
    else:
        a("<p class='small'>none</p>")
    a("</section>")

    a("<section id='files'><h2>Files</h2><ul class='small'>")
    for name, desc in ctx["files"]:
        a(f"<li><a href='{esc(name)}'>{esc(name)}</a> &mdash; {esc(desc)}</li>")
    a(f"</ul><p class='small'>results store: <code>{esc(ctx['store'])}</code></p></section>")
    a("</main></body></html>")
    return "\n".join(h)


# ----------------------------------------------------------------------------------------------
# the report
# ----------------------------------------------------------------------------------------------

UCIS_PER_RUN_LIMIT = 5_000_000   # code points pyucis reads one run at a time (~1 s per 12k)


def build_report(nightly: Path, out: Path, testplan: Path | None, exclusions_path: Path | None,
                 ucis_code: str = "auto") -> dict:
    plan = json.loads((nightly / PLAN_NAME).read_text())
    runs = load_runs(nightly, plan)
    excl = load_exclusions(exclusions_path)
    out.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    passing = [r for r in runs if r.passed]

    # pass rate per test and config
    agg: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    for r in runs:
        a = agg[(r.rec["test"], r.rec["config"])]
        a[r.rec["status"]] += 1
        a["runs"] += 1
        a["secs"] += float(r.rec.get("duration") or 0)
    pass_rows = []
    for (test, config), a in sorted(agg.items()):
        row = {"test": test, "config": config, "runs": int(a["runs"])}
        for st in ("PASS", "FAIL", "TIMEOUT", "CRASH"):
            row[st] = int(a.get(st, 0))
        row["fail_all"] = row["runs"] - row["PASS"]
        row["rate"] = 100.0 * row["PASS"] / row["runs"] if row["runs"] else 0.0
        row["mean_s"] = a["secs"] / row["runs"] if row["runs"] else 0.0
        pass_rows.append(row)
    buckets = failure_buckets([r.rec for r in runs])

    # per-run pass over coverage files, in seed order: regress' merge for growth, exact dat sum
    func_acc: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    func_by_cfg: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    full_after: dict[str, dict[str, int]] = defaultdict(dict)    # config|"all" -> group -> seeds
    code_counts: dict[str, int] = {}
    code_metric_of: dict[str, str | None] = {}
    growth = []
    by_index: dict[int, list[Run]] = defaultdict(list)
    for r in passing:
        by_index[r.seed_index].append(r)
    for idx in sorted(by_index):
        for r in by_index[idx]:
            xml = r.path("coverage_xml")
            if xml and xml.exists():
                for g, pts in regress.merge_functional_coverage([xml]).items():
                    for p, bins in pts.items():
                        for acc in (func_acc, func_by_cfg[r.rec["config"]]):
                            dst = acc[g][p]
                            for label, hits in bins.items():
                                dst[label] = dst.get(label, 0) + hits
            dat = r.path("coverage_dat")
            if dat and dat.exists():
                for k, n in parse_coverage_dat(dat).items():
                    code_counts[k] = code_counts.get(k, 0) + n
        fc = ft = 0
        for scope, acc in (("all", func_acc), *func_by_cfg.items()):
            for name, cg in covergroups_from_regress(acc).items():
                c, t, _, _ = cg.tally(excl)
                if scope == "all":
                    fc, ft = fc + c, ft + t
                if t and c == t:
                    full_after[scope].setdefault(name, idx)
        g = {"seeds": idx, "functional": 100.0 * fc / ft if ft else 0.0, "line": None, "toggle": None}
        for m in ("line", "toggle"):
            c, t = code_metric_counts(code_counts, m, excl, code_metric_of)
            if t:
                g[m] = 100.0 * c / t
        growth.append(g)

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
    reference = covergroups_from_regress(func_acc)
    for name, cg in reference.items():
        other = cgs.get(name)
        if other is None or any(other.points.get(p) != b for p, b in cg.points.items()):
            warnings.append(f"covergroup {name}: pyucis merge differs from scripts/regress.py's merge")
    func_rows = []
    for name in sorted(cgs):
        c, t, missing, waived = cgs[name].tally(excl, count_hits=True)
        func_rows.append({"name": name, "covered": c, "total": t, "missing": missing,
                          "waived": len(waived),
                          "full_after": {cfg: full_after[cfg].get(name) for cfg in
                                         ("all", *sorted(func_by_cfg))}})

    table = code_table(code_counts, excl)      # adds the code-side matches to Exclusion.hits

    metrics = [m for m in CODE_METRICS if any(m in t for t in table.values())]
    code_rows, totals = [], defaultdict(lambda: [0, 0])
    for module in sorted(table):
        row = {"module": module, "metrics": {}, "waived": 0, "missing": []}
        for m, (c, t, w, miss) in table[module].items():
            row["metrics"][m] = (c, t)
            row["waived"] += w
            row["missing"] += [f"{p.metric}:{Path(p.file).name}:{p.line}:{p.what}" for p in miss]
            totals[m][0] += c
            totals[m][1] += t
        counts: dict[str, int] = defaultdict(int)
        for item in row["missing"]:
            counts[item] += 1

        def order(item: str):
            metric, fname, line, _ = (item.split(":", 3) + ["", "", "", ""])[:4]
            return (metric, fname, int(line) if line.isdigit() else 0, item)

        row["missing"] = [k if n == 1 else f"{k} (x{n})" for k, n in
                          sorted(counts.items(), key=lambda kv: order(kv[0]))]
        code_rows.append(row)

    closure_rows, stages, closure_results = [], {}, None
    planned_tests = {j["test"] for j in plan["jobs"]}
    if testplan and Path(testplan).exists():
        _, closure_results, closure_rows, tp_warn = testplan_closure(Path(testplan), db, cgs, excl, planned_tests)
        warnings += tp_warn
        for r in closure_rows:
            if r["status"] == "N/A":
                continue
            c, t = stages.get(r["stage"], (0, 0))
            stages[r["stage"]] = (c + (r["status"] == "CLOSED"), t + 1)
        from ucis.ncdb.testplan_export import export_junit_xml
        export_junit_xml(closure_results, str(out / "closure-junit.xml"), suite_name="masr_testplan_closure")
    for e in excl:
        if e.hits == 0:
            warnings.append(f"exclusion {e.id} matches nothing: remove it or fix its pattern")

    # lanes and plots
    lanes = lane_stats(passing)
    img_growth = plot_growth(growth)
    img_heat, img_steals = plot_lanes(lanes)

    # JUnit of the runs: scripts/regress.py's writer
    outcomes = [regress.Outcome(regress.Job(r.rec["test"], r.rec["config"], r.rec["seed"], 0.0,
                                            nightly / r.rec["run_dir"]),
                                r.rec["status"], float(r.rec.get("duration") or 0.0),
                                r.rec.get("message") or "") for r in runs]
    regress.write_junit(outcomes, out / "junit.xml")

    fc = sum(r["covered"] for r in func_rows)
    ft = sum(r["total"] for r in func_rows)
    lc, lt = totals.get("line", (0, 0))
    n_closed = sum(r["status"] == "CLOSED" for r in closure_rows)
    n_tp = sum(r["status"] != "N/A" for r in closure_rows)
    npass = len(passing)
    summary = {"runs": len(runs), "planned": len(plan["jobs"]), "missing": len(plan["jobs"]) - len(runs),
               "pass": npass, "pass_rate": 100.0 * npass / len(runs) if runs else 0.0,
               "buckets": len(buckets),
               "functional": f"{100.0 * fc / ft:.1f}% ({fc}/{ft})" if ft else "-",
               "line": f"{100.0 * lc / lt:.1f}% ({lc}/{lt})" if lt else "-",
               "closure": f"{n_closed}/{n_tp}" if closure_rows else "-"}
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
           "warnings": warnings, "pass_rows": pass_rows, "buckets": buckets, "func_rows": func_rows,
           "code_rows": code_rows, "code_totals": {m: tuple(v) for m, v in totals.items()},
           "code_metrics": metrics, "code_flags": flags, "closure_rows": closure_rows,
           "stages": dict(sorted(stages.items())), "testplan": str(testplan or "-"),
           "img_growth": img_growth, "img_heat": img_heat, "img_steals": img_steals,
           "exclusions": excl, "exclusions_file": str(exclusions_path or "-"), "files": files,
           "store": str(nightly / STORE_NAME)}
    (out / "signoff.html").write_text(render_html(ctx))
    (out / "closure.json").write_text(json.dumps(closure_rows, indent=1))
    machine = {"summary": summary, "pass_rows": pass_rows, "buckets": buckets,
               "functional": [{k: v for k, v in r.items()} for r in func_rows],
               "code": [{"module": r["module"], "metrics": r["metrics"], "waived": r["waived"],
                         "uncovered": r["missing"]} for r in code_rows],
               "code_totals": ctx["code_totals"], "growth": growth, "warnings": warnings,
               "exclusions": [{"id": e.id, "category": e.category, "hits": e.hits} for e in excl],
               "lanes": {cfg: {f"{h},{v}": dict(c) for (h, v), c in cells.items()}
                         for cfg, cells in lanes.items()}}
    (out / "summary.json").write_text(json.dumps(machine, indent=1))
    return machine


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nightly", help="nightly directory (default out/nightly/latest)")
    ap.add_argument("--out", help="report directory (default <nightly>/report)")
    ap.add_argument("--testplan", default=str(DEFAULT_TESTPLAN))
    ap.add_argument("--exclusions", default=str(DEFAULT_EXCLUSIONS))
    ap.add_argument("--ucis-code", choices=("auto", "per-run", "sum"), default="auto",
                    help="how pyucis gets the code coverage: each run's coverage.dat, or the "
                         "exact sum of them (auto: the sum beyond %d points)" % UCIS_PER_RUN_LIMIT)
    args = ap.parse_args(argv)
    nightly = resolve_nightly(args.nightly)
    out = Path(args.out).resolve() if args.out else nightly / "report"
    rep = build_report(nightly, out, Path(args.testplan) if args.testplan else None,
                       Path(args.exclusions) if args.exclusions else None, args.ucis_code)
    s = rep["summary"]
    print(f"report: {out / 'signoff.html'}")
    print(f"  runs {s['runs']}/{s['planned']}, pass rate {s['pass_rate']:.1f}%, "
          f"{s['buckets']} failure bucket(s), functional {s['functional']}, line {s['line']}, "
          f"testpoints closed {s['closure']}")
    for row in rep["functional"]:
        full = ", ".join(f"{cfg} {'-' if n is None else n}" for cfg, n in row["full_after"].items())
        print(f"  {row['name']:<18} {row['covered']:>4}/{row['total']:<4} 100% after seeds: {full}")
    for w in rep["warnings"]:
        print(f"  warning: {w}")
    print(f"  JUnit: {out / 'junit.xml'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
