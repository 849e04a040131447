"""Coverage after k seeds per test: one pass over the passing runs' coverage files in seed order,
which also yields the merged functional coverage (scripts/regress.py's merge, the reference for
pyucis') and the exact coverage.dat sum."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import regress  # scripts/regress.py, see __init__
from signoff.code_coverage import code_metric_counts, parse_coverage_dat
from signoff.exclusions import Exclusion
from signoff.functional import covergroups_from_regress
from signoff.runs import Run

FuncMerge = dict[str, dict[str, dict[str, int]]]     # group -> point -> bin -> hits


@dataclass
class Growth:
    curve: list[dict]                       # per seed index: % functional, line, toggle covered
    functional: FuncMerge                   # all passing runs, regress.py's merge
    by_config: dict[str, FuncMerge]         # the same per configuration
    full_after: dict[str, dict[str, int]]   # "all" or config -> covergroup -> seeds to 100%
    code_counts: dict[str, int]             # exact sum of the coverage.dat files


def coverage_growth(passing: list[Run], excl: list[Exclusion]) -> Growth:
    func_acc: FuncMerge = defaultdict(lambda: defaultdict(dict))
    func_by_cfg: dict[str, FuncMerge] = defaultdict(lambda: defaultdict(lambda: defaultdict(dict)))
    full_after: dict[str, dict[str, int]] = defaultdict(dict)
    code_counts: dict[str, int] = {}
    code_metric_of: dict[str, str | None] = {}
    curve = []
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
        curve.append(g)
    return Growth(curve, func_acc, func_by_cfg, full_after, code_counts)
