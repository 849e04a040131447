"""Which nightly runs reach a mutant's line: Verilator line/branch coverage of the latest nightly.

A run "touches" a source line when one of its line or branch points that spans the line has a
non-zero count (any instance).  Lines with no point at all (a plain continuous assignment:
Verilator's line coverage has no point for it) are "unmapped": every run may reach them, so a
mutant there runs every test, cheapest first.  A line that has points and no run touches it is
not activated: its mutant cannot be killed by this regression and is not simulated.
"""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from signoff.code_coverage import parse_coverage_dat, point_fields


@dataclass(frozen=True)
class NightlyRun:
    test: str
    seed: int
    seconds: float          # the nightly's duration: the order in which a mutant tries runs


@dataclass
class LineMap:
    runs: list[NightlyRun]
    has_point: set[tuple[str, int]] = field(default_factory=set)
    touched_by: dict[tuple[str, int], set[int]] = field(default_factory=lambda: defaultdict(set))

    def runs_for(self, file: str, lines: tuple[int, int]) -> list[NightlyRun] | None:
        """Runs that reach any of the lines, cheapest first; None when no line has a point."""
        span = [(file, n) for n in range(lines[0], lines[1] + 1)]
        if not any(key in self.has_point for key in span):
            return None
        idx = set().union(*(self.touched_by.get(key, set()) for key in span))
        return sorted((self.runs[i] for i in idx), key=lambda r: (r.seconds, r.test, r.seed))

    def all_runs(self) -> list[NightlyRun]:
        return sorted(self.runs, key=lambda r: (r.seconds, r.test, r.seed))


def _point_lines(fields: dict[str, str]) -> list[int]:
    spans = fields.get("S")
    if not spans:
        return [int(fields.get("l", "0"))]
    out = []
    for part in spans.split(","):
        lo, _, hi = part.partition("-")
        out += range(int(lo), int(hi or lo) + 1)
    return out


def load_line_map(nightly: Path, config: str) -> LineMap:
    """The passing runs of one configuration in a nightly and the lines each one touches."""
    records = [json.loads(line) for line in (nightly / "results.jsonl").read_text().splitlines()
               if line.strip()]
    plan = nightly / "plan.json"
    if plan.exists():
        # A nightly still running (out/nightly/latest moves at its start) would make most lines
        # look unreached: refuse it rather than call mutants "not activated".
        planned = {(j["test"], j["config"], j["seed"]) for j in json.loads(plan.read_text())["jobs"]}
        ended = {(r["test"], r["config"], r["seed"]) for r in records if r.get("event") == "finished"}
        if planned - ended:
            raise SystemExit(f"mutate: nightly {nightly} is incomplete ({len(planned - ended)} of "
                             f"{len(planned)} runs not finished); pass --nightly <a finished one>")
    finished = [r for r in records if r.get("event") == "finished" and r.get("config") == config
                and r.get("status") == "PASS" and r.get("coverage_dat")]
    runs: list[NightlyRun] = []
    line_map = LineMap(runs)
    for rec in finished:
        dat = nightly / rec["coverage_dat"]
        if not dat.exists():
            continue
        index = len(runs)
        runs.append(NightlyRun(rec["test"], int(rec["seed"]), float(rec.get("duration") or 0.0)))
        for key, count in parse_coverage_dat(dat).items():
            fields = point_fields(key)
            if fields.get("t") not in ("line", "branch"):
                continue
            name = Path(fields.get("f", "")).name
            for n in _point_lines(fields):
                line_map.has_point.add((name, n))
                if count > 0:
                    line_map.touched_by[(name, n)].add(index)
    if not runs:
        raise SystemExit(f"mutate: no passing run of {config} with coverage.dat in {nightly}")
    return line_map
