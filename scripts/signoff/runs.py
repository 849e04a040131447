"""The nightly's inputs: its directory, plan and finished runs, and the pass rate they give."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from signoff import REPO
from nightly import PLAN_NAME, STORE_NAME, ResultsStore  # scripts/nightly.py, see __init__


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


def pass_rows(runs: list[Run]) -> list[dict]:
    """Pass / fail / timeout / crash counts, pass rate and mean run time per test and config."""
    agg: dict[tuple, dict] = defaultdict(lambda: defaultdict(float))
    for r in runs:
        a = agg[(r.rec["test"], r.rec["config"])]
        a[r.rec["status"]] += 1
        a["runs"] += 1
        a["secs"] += float(r.rec.get("duration") or 0)
    rows = []
    for (test, config), a in sorted(agg.items()):
        row = {"test": test, "config": config, "runs": int(a["runs"])}
        for st in ("PASS", "FAIL", "TIMEOUT", "CRASH"):
            row[st] = int(a.get(st, 0))
        row["fail_all"] = row["runs"] - row["PASS"]
        row["rate"] = 100.0 * row["PASS"] / row["runs"] if row["runs"] else 0.0
        row["mean_s"] = a["secs"] / row["runs"] if row["runs"] else 0.0
        rows.append(row)
    return rows
