"""RTL-measured points from a nightly: every matrix-vector product's DUT counters beside the
golden performance model's counters for the same product (both recorded by the scoreboard in
each run's summary.json: ``products[i].counters`` and ``products[i].expected_counters``).

The nightly's runs are the regression's random layers (up to 256 x 256 on 8x8), not the study
layer, so the figures show RTL points next to the model *evaluated on the same products*; the
study curves are a different workload and are labelled as such.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from golden.config import ceil_div

from .studies import CYCLE_PARTS, breakdown

COUNTER_KEYS = ("PERF_CYCLES", "PERF_MAC_BUSY", "PERF_IDLE", "PERF_STALL")


@dataclass
class RtlPoints:
    """What the nightly contributed; ``missing`` explains an absent overlay on the page."""

    nightly: Path
    products: list[dict[str, Any]] = field(default_factory=list)
    runs: int = 0
    missing: str | None = None

    @property
    def configs(self) -> list[str]:
        return sorted({p["config"] for p in self.products}, key=lambda c: lanes_of(c))


def lanes_of(config: str) -> int:
    h, v = grid_of(config)
    return h * v


def grid_of(config: str) -> tuple[int, int]:
    """'8x8' -> (8, 8); the regression names its configurations H x V, optionally followed by
    parameter overrides (':SLOTS=96') and a simulator ('@icarus')."""
    try:
        h, v = (int(t) for t in config.partition("@")[0].partition(":")[0].split("x"))
    except ValueError:
        raise ValueError(f"configuration name {config!r} is not of the form HxV")
    return h, v


def _summaries(nightly: Path) -> list[Path]:
    """summary.json of every finished run listed in results.jsonl (the nightly's own index)."""
    store = nightly / "results.jsonl"
    paths: dict[str, Path] = {}
    for line in store.read_text(errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue                       # a torn last line of an interrupted nightly
        if rec.get("event") == "finished" and rec.get("summary"):
            key = f"{rec.get('test')}|{rec.get('config')}|{rec.get('seed')}"
            paths[key] = nightly / rec["summary"]
    return [p for p in paths.values() if p.is_file()]


def _usable(prod: dict[str, Any]) -> bool:
    """A product that ran to completion and has both counter sets (no injected error)."""
    dut, exp = prod.get("counters") or {}, prod.get("expected_counters") or {}
    return (prod.get("expect_err") in (None, "NONE", "OK") and not prod.get("err_code")
            and all(k in dut and k in exp for k in COUNTER_KEYS) and dut["PERF_CYCLES"] > 0)


def load(nightly: Path) -> RtlPoints:
    pts = RtlPoints(nightly)
    if not (nightly / "results.jsonl").is_file():
        pts.missing = f"no nightly results at {nightly} (results.jsonl not found)"
        return pts
    summaries = _summaries(nightly)
    for path in summaries:
        try:
            summary = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        config = summary.get("config")
        if not config:
            continue
        pts.runs += 1
        for prod in summary.get("products", []):
            if _usable(prod):
                pts.products.append({"config": config, "test": summary.get("test"),
                                     "seed": summary.get("seed"), **_point(config, prod)})
    if not pts.products:
        pts.missing = (f"the nightly at {nightly} has {len(summaries)} run summaries but no "
                       f"completed matrix-vector product with DUT and model counters")
    return pts


def _point(config: str, prod: dict[str, Any]) -> dict[str, Any]:
    """The cycle breakdown of studies.breakdown, for the DUT's and the model's counters."""
    H, V = grid_of(config)
    lanes, out = H * V, ceil_div(int(prod["M"]), H)
    row: dict[str, Any] = {"name": prod.get("name", ""), "M": prod["M"], "N": prod["N"],
                           "mode": prod["mode"], "dup_fraction": prod.get("dup_fraction"),
                           "rep_rows": prod.get("rep_rows", 0), "lanes": lanes,
                           "passed": bool(prod.get("passed"))}
    for who, c in (("rtl", prod["counters"]), ("model", prod["expected_counters"])):
        parts = breakdown(int(c["PERF_CYCLES"]), out, lanes, int(c["PERF_MAC_BUSY"]),
                          int(c["PERF_IDLE"]), int(c["PERF_STALL"]))
        row[f"{who}_cycles"] = int(c["PERF_CYCLES"])
        row.update({f"{who}_{k}": v for k, v in parts.items()})
        row[f"{who}_steals"] = int(c.get("PERF_STEAL_GRANTED", 0))
    return row


def aggregate(pts: RtlPoints, config: str, mode: str | None, who: str) -> dict[str, float]:
    """Sum of the breakdown over the config's products (optionally one steal mode)."""
    sel = [p for p in pts.products if p["config"] == config and (mode is None or p["mode"] == mode)]
    out = {k: float(sum(p[f"{who}_{k}"] for p in sel)) for k in CYCLE_PARTS}
    out["cycles"] = float(sum(p[f"{who}_cycles"] for p in sel))
    out["n"] = float(len(sel))
    total = sum(out[k] for k in CYCLE_PARTS)
    out["utilization"] = out["useful MACs"] / total if total else float("nan")
    return out


SWEEP_TEST = "StealSweepTest"   # tb/matvec: one layer in every steal mode and replica depth


def sweep_speedups(pts: RtlPoints) -> list[dict[str, Any]]:
    """Stealing speedup over mode none on the same layer, from StealSweepTest's products (named
    ``sweep<k>_none`` and ``sweep<k>_<mode>_q<depth>``), for the DUT and the model."""
    groups: dict[tuple, dict[str, dict[str, Any]]] = {}
    for p in pts.products:
        if p["test"] == SWEEP_TEST and p["name"].startswith("sweep") and "_" in p["name"]:
            layer, _, variant = p["name"].partition("_")
            groups.setdefault((p["config"], p["seed"], layer), {})[variant] = p
    out = []
    for (config, seed, layer), variants in sorted(groups.items(), key=str):
        base = variants.get("none")
        if base is None:
            continue
        for variant, p in sorted(variants.items()):
            if variant == "none" or p.get("dup_fraction") is None:
                continue
            out.append({"config": config, "lanes": p["lanes"], "seed": seed, "layer": layer,
                        "mode": p["mode"], "rep_rows": p["rep_rows"],
                        "dup_fraction": p["dup_fraction"],
                        "rtl_speedup": base["rtl_cycles"] / p["rtl_cycles"],
                        "model_speedup": base["model_cycles"] / p["model_cycles"]})
    return out
