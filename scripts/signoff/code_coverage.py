"""Verilator code coverage: the exact sum of the runs' coverage.dat files and its per-module
tables (pyucis' own import collapses distinct points, see the package docstring)."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from signoff.exclusions import Exclusion, excluded_by

CODE_METRICS = ("line", "branch", "toggle", "user")

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


def _missing_order(item: str):
    # "metric:file:line:kind": numeric line order within a file
    metric, fname, line, _ = (item.split(":", 3) + ["", "", "", ""])[:4]
    return (metric, fname, int(line) if line.isdigit() else 0, item)


def code_rows(table) -> tuple[list[dict], dict[str, tuple[int, int]]]:
    """code_table -> one report row per module (uncovered points as "metric:file:line:kind",
    repeats of a point in parameterized copies counted "(xN)") and (covered, total) per metric."""
    rows, totals = [], defaultdict(lambda: [0, 0])
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
        row["missing"] = [k if n == 1 else f"{k} (x{n})" for k, n in
                          sorted(counts.items(), key=lambda kv: _missing_order(kv[0]))]
        rows.append(row)
    return rows, {m: tuple(v) for m, v in totals.items()}
