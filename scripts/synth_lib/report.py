"""Printed tables and the JSON of `make synth` (out/synth/synth.json)."""
from __future__ import annotations

from typing import Any

from . import memories
from .design import STEAL_LOGIC, Totals

TRANSISTORS_PER_NAND2 = 4       # a CMOS NAND2 has four transistors
AREA_UNIT = ("CMOS transistors (Yosys `stat -tech cmos` gate costs, flops priced in "
             "scripts/synth_lib/cells.py); NAND2-eq = transistors / 4; memories in bits, apart")


def nand2(transistors: int) -> int:
    return round(transistors / TRANSISTORS_PER_NAND2)


def module_rows(t: Totals) -> list[dict[str, Any]]:
    """Per module (one row per distinct parameter set): own numbers per instance."""
    rows = []
    for key in sorted(t.instances, key=lambda k: (-t.stats[k].transistors * t.instances[k], k)):
        m = t.stats[key]
        rows.append({"key": key, "module": m.hdlname, "instances": t.instances[key],
                     "flops": m.flops, "logic_cells": m.logic_cells,
                     "transistors": m.transistors, "nand2_eq": nand2(m.transistors),
                     "levels": m.levels if m.levels >= 0 else None,
                     "extrapolated": m.levels < 0, "macros": len(m.macros),
                     "macro_bits": sum(x.bits for x in m.macros), "loops": m.loops,
                     "gates": m.gates, "params": m.params})
    return rows


def summary(t: Totals) -> dict[str, Any]:
    mem = t.memory_bits
    return {
        "flops": t.flops, "logic_cells": t.logic_cells, "transistors": t.transistors,
        "nand2_eq": nand2(t.transistors),
        "memory_bits": {**t.mem_bits, "total": mem},
        "replica_bits": round(t.replica_bits),
        "replica_share_of_memory": round(t.replica_bits / mem, 4) if mem else 0.0,
        "steal_arb_share_of_transistors":
            round(t.module_transistors(STEAL_LOGIC) / t.transistors, 4) if t.transistors else 0.0,
        "variants_differ": {k: {"min_transistors": lo, "max_transistors": hi}
                            for k, (lo, hi) in sorted(t.variants.items())},
    }


def short_name(row: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """The RTL name, with parameters only where one configuration holds several variants."""
    if sum(r["module"] == row["module"] for r in rows) > 1:
        return row["key"]
    return row["module"]


def print_config(title: str, t: Totals) -> None:
    rows, s = module_rows(t), summary(t)
    print(f"\n== {title}")
    print(f"  {'module (own logic, per instance)':44} {'inst':>5} {'flops':>7} {'cells':>8} "
          f"{'transist.':>10} {'NAND2eq':>8} {'levels':>6} {'macro bits':>10}")
    for r in rows:
        note = "  (comb. loop!)" if r["loops"] else ""
        note += "  extrapolated from smaller arrays" if r["extrapolated"] else ""
        levels = "-" if r["levels"] is None else r["levels"]
        print(f"  {short_name(r, rows)[:44]:44} {r['instances']:5} {r['flops']:7} "
              f"{r['logic_cells']:8} {r['transistors']:10} {r['nand2_eq']:8} {levels:>6} "
              f"{r['macro_bits']:10}{note}")
    print(f"  total: {s['flops']} flops, {s['logic_cells']} logic cells, {s['transistors']} "
          f"transistors = {s['nand2_eq']} NAND2-eq")
    print("  memory bits: " + ", ".join(f"{k} {v}" for k, v in s["memory_bits"].items()
                                        if v or k in memories.CLASSES[:5]))
    print(f"  replicas: {s['replica_bits']} bits = {100 * s['replica_share_of_memory']:.1f} % of "
          f"memory bits; steal arbiters: {100 * s['steal_arb_share_of_transistors']:.2f} % "
          f"of transistors")
    for k, v in s["variants_differ"].items():
        print(f"  NOTE: {k} synthesizes to {v['min_transistors']}..{v['max_transistors']} "
              "transistors at different positions")


def print_area_vs_lanes(points: list[dict[str, Any]]) -> None:
    print("\n== area vs lanes")
    print(f"  {'config':8} {'lanes':>5} {'transistors':>12} {'NAND2-eq':>10} {'per lane':>9} "
          f"{'memory bits':>12} {'per lane':>9} {'replica %':>9}")
    for p in points:
        print(f"  {p['config']:8} {p['lanes']:5} {p['transistors']:12} {p['nand2_eq']:10} "
              f"{p['nand2_eq'] // p['lanes']:9} {p['memory_bits']:12} "
              f"{p['memory_bits'] // p['lanes']:9} {100 * p['replica_share_of_memory']:9.1f}")


def area_point(name: str, params: dict[str, int], t: Totals) -> dict[str, Any]:
    s = summary(t)
    return {"config": name, "lanes": params["H"] * params["V"], "transistors": s["transistors"],
            "nand2_eq": s["nand2_eq"], "memory_bits": s["memory_bits"]["total"],
            "replica_bits": s["replica_bits"],
            "replica_share_of_memory": s["replica_share_of_memory"],
            "steal_arb_share_of_transistors": s["steal_arb_share_of_transistors"]}


CROSSCHECK_FIELDS = ("flops", "logic_cells", "transistors")


def crosscheck(split: Totals, whole: Totals) -> dict[str, Any]:
    """Per-module x instances (split) against one hierarchical run of the whole top."""
    out: dict[str, Any] = {}
    pairs = [(f, getattr(split, f), getattr(whole, f)) for f in CROSSCHECK_FIELDS]
    pairs += [(f"mem_{k}", split.mem_bits[k], whole.mem_bits[k]) for k in memories.CLASSES]
    pairs.append(("mem_total", split.memory_bits, whole.memory_bits))
    pairs.append(("replica_bits", round(split.replica_bits), round(whole.replica_bits)))
    for name, a, b in pairs:
        out[name] = {"per_module_x_instances": a, "whole_top": b,
                     "rel_diff": round((a - b) / b, 6) if b else 0.0}
    out["max_abs_rel_diff"] = max(abs(v["rel_diff"]) for v in out.values())
    out["whole_top_variants"] = {k: {"min_transistors": lo, "max_transistors": hi}
                                 for k, (lo, hi) in sorted(whole.variants.items())}
    return out
