"""Functional coverage (cocotb-coverage): covergroups from the merged pyucis database or from
scripts/regress.py's merge, in one shape, tallied after exclusions."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from signoff.exclusions import Exclusion, excluded_by


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


def merge_mismatches(cgs: dict[str, Covergroup], reference: dict[str, Covergroup]) -> list[str]:
    """Warnings for covergroups whose pyucis merge is not scripts/regress.py's (the reference)."""
    warnings = []
    for name, cg in reference.items():
        other = cgs.get(name)
        if other is None or any(other.points.get(p) != b for p, b in cg.points.items()):
            warnings.append(f"covergroup {name}: pyucis merge differs from scripts/regress.py's merge")
    return warnings


def functional_rows(cgs: dict[str, Covergroup], excl: list[Exclusion],
                    full_after: dict[str, dict[str, int]], scopes: list[str]) -> list[dict]:
    """One report row per covergroup; counts the exclusions' hits (once per report).
    ``full_after``: scope ("all" or a config) -> covergroup -> seeds after which it was full."""
    rows = []
    for name in sorted(cgs):
        c, t, missing, waived = cgs[name].tally(excl, count_hits=True)
        rows.append({"name": name, "covered": c, "total": t, "missing": missing,
                     "waived": len(waived),
                     "full_after": {cfg: full_after.get(cfg, {}).get(name) for cfg in scopes}})
    return rows
