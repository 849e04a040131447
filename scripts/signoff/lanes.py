"""Per-lane statistics (MAC busy, rows stolen, cycles) summed from the runs' summary.json."""
from __future__ import annotations

import json
import re
from collections import defaultdict

from signoff.runs import Run

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
