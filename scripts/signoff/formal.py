"""Formal proofs in the report: scripts/formal.py's results.json (default out/formal), and the
testplan testpoints they close (`proofs: [...]`, this project's extension of the format)."""
from __future__ import annotations

import json
from pathlib import Path

from signoff.runs import load_hjson


def load_formal(formal_dir: Path | None) -> list[dict]:
    """One row per proof (name, module, mode, depth, status, seconds, trace, rerun); [] if the
    proofs never ran."""
    path = Path(formal_dir) / "results.json" if formal_dir else None
    if not path or not path.exists():
        return []
    return json.loads(path.read_text()).get("proofs", [])


def apply_proofs(rows: list[dict], plan_path: Path, proofs: list[dict]) -> list[str]:
    """A testpoint that lists proofs is CLOSED only if each of them PASSed (a timed-out proof is
    UNKNOWN and keeps it open) and, when it also lists tests, they closed too. A testpoint with
    proofs and no tests is closed by the proofs alone (pyucis calls it UNIMPLEMENTED)."""
    listed = {tp["name"]: tp.get("proofs", []) for tp in load_hjson(plan_path).get("testpoints", [])}
    by_name = {p["name"]: p for p in proofs}
    warnings = []
    for row in rows:
        names = listed.get(row["name"]) or []
        row["proofs"] = {n: by_name[n]["status"] if n in by_name else "NOT_RUN" for n in names}
        if not names:
            continue
        for n, st in row["proofs"].items():
            if st != "PASS":
                warnings.append(f"testpoint {row['name']}: proof {n} is {st}")
        proved = all(st == "PASS" for st in row["proofs"].values())
        if not row["tests"]:
            row["status"] = "CLOSED" if proved else "PROOF_OPEN"
        elif row["status"] == "CLOSED" and not proved:
            row["status"] = "PROOF_OPEN"
    return warnings
