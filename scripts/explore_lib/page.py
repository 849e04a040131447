"""The claims table (seed claim, our number, configuration, command, why we differ) and the page."""
from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import rtl, studies
from .figures import TITLES
from .options import Options
from .studies import NULL_WORK, Rows, energy_table_rows

COMMAND = "make explore"


@dataclass(frozen=True)
class Claim:
    seed: str
    ours: str
    holds: bool
    config: str
    why: str           # shown only where we differ

    def row(self) -> dict[str, str]:
        return {"seed claim": self.seed, "our number": self.ours,
                "agrees": "yes" if self.holds else "no", "configuration": self.config,
                "command": COMMAND, "why we differ": "" if self.holds else self.why}


def _geomean(xs: list[float]) -> float:
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else math.nan


def _why(ours: float, seed: float, lower: str, higher: str) -> str:
    """The one-sentence reason for the direction in which our number differs."""
    return lower if ours < seed else higher


def claims(data: dict[str, Any], opts: Options) -> list[Claim]:
    f1, f24, f3, f5, f6 = (data[k] for k in ("fig1", "fig24", "fig3", "fig5", "fig6"))
    study = f"{opts.M}x{opts.N}, W {opts.w_density:.0%}, a {opts.a_density:.0%}, T={opts.T}"
    big, small = max(opts.lanes), min(opts.lanes)
    out: list[Claim] = []

    brief = f1[0]["layer"]
    upto = [m for m in opts.macs if m <= 512] or list(opts.macs)
    tot = {(r["design"], r["macs"]): r["total"] for r in f1 if r["layer"] == brief}
    masr = [tot["MASR", m] for m in upto]
    csc = [tot["EIE CSC", m] for m in upto]
    out.append(Claim(
        "Mask encoding flat from 32 to 512 MACs; CSC pointer storage grows",
        f"MASR x{max(masr) / min(masr):.2f}, EIE CSC x{csc[-1] / csc[0]:.2f} "
        f"({upto[0]} -> {upto[-1]} MACs)",
        max(masr) / min(masr) < 1.5 and csc[-1] / csc[0] > 2 * max(masr) / min(masr),
        f"fig. 1, {brief}, MASR with 10 % vertical replicas",
        "on this small layer MASR's replicas and per-partition row pointers grow with the "
        "lane count about as fast as CSC's per-PE column pointers"))

    none_big = next(r for r in f24 if r["lanes"] == big and r["mode"] == "NONE")
    out.append(Claim(
        "~30 % MAC utilization at 1024 lanes, the rest stalls/idles from load imbalance",
        f"{none_big['utilization']:.1%} at {big} lanes (idle "
        f"{none_big['imbalance idle'] / (none_big['cycles'] * big):.0%}, null-work/claim "
        f"{none_big[NULL_WORK] / (none_big['cycles'] * big):.0%})",
        abs(none_big["utilization"] - 0.30) < 0.08,
        f"fig. 2, study layer {study}, steal mode none",
        _why(none_big["utilization"], 0.30,
             "empty mask words cost an AG cycle each and add to the imbalance idle",
             "fewer lanes or a denser layer leave less imbalance than the paper's 1024 lanes")))
    out.append(Claim(
        "Some lanes get ~1.5x more non-zeros", f"busiest lane {none_big['load_imbalance']:.2f}x "
        f"the mean at {big} lanes", 1.3 <= none_big["load_imbalance"] <= 2.0,
        f"fig. 2, study layer {study}", "uniform random masks, not the paper's pruned layers"))

    vert = [r for r in f3 if r["lanes"] == max(r2["lanes"] for r2 in f3)]
    best_v = max((r for r in vert if r["mode"] == "VERTICAL"), key=lambda r: r["speedup"])
    best_h = max((r for r in vert if r["mode"] == "HORIZONTAL"), key=lambda r: r["speedup"])
    near10 = min((r for r in vert if r["mode"] == "VERTICAL"),
                 key=lambda r: abs(r["dup_fraction"] - 0.10))
    out.append(Claim(
        "Up to 1.9x speedup from vertical stealing at ~10 % duplicated weights (1024 lanes)",
        f"vertical {near10['speedup']:.3f}x at {near10['dup_fraction']:.0%} duplicated, best "
        f"{best_v['speedup']:.3f}x at {best_v['dup_fraction']:.0%}; horizontal best "
        f"{best_h['speedup']:.3f}x", near10["speedup"] >= 1.5,
        f"fig. 3, {vert[0]['lanes']} lanes, study layer {study}",
        "every mask word costs an AG cycle, the output phase cannot be stolen and only "
        "neighbours steal tail replicas (docs/perf-model.md, Trends), so there is little "
        "imbalance left to remove"))
    v2 = {r["scheme"]: r for r in data["v2"]}
    rtl_o1, rtl_o2, best = (v2[name] for name, _ in studies.V2_SCHEMES)
    out.append(Claim(
        "Up to 1.9x from vertical stealing at ~10 % duplicated weights, under the v2 rules "
        "(issue #12: null-word skip, row scanner, overlapped output, split ranges, run-ahead)",
        f"end to end vs v1 none {rtl_o1['speedup_vs_v1_none']:.2f}x (RTL), "
        f"{rtl_o2['speedup_vs_v1_none']:.2f}x (RTL, GRU X phases), "
        f"{best['speedup_vs_v1_none']:.2f}x (model); stealing alone "
        f"{rtl_o1['speedup_vs_none']:.3f}x / {rtl_o2['speedup_vs_none']:.3f}x / "
        f"{best['speedup_vs_none']:.3f}x at {best['dup_fraction']:.0%}; utilisation "
        f"{rtl_o1['utilization']:.0%} / {rtl_o2['utilization']:.0%} / {best['utilization']:.0%}",
        best["speedup_vs_none"] >= 1.9 * 0.8,
        f"{rtl_o1['grid']}, study layer {study}; schemes "
        f"{', '.join(name for name, _ in studies.V2_SCHEMES)} "
        "(scripts/bench_perf_model.py, docs/perf-v2-exploration.md)",
        "the v2 features themselves (cycles only for effective work, the drain overlapped, "
        "lanes running ahead) remove most of the idle time that stealing removes in the "
        "paper, so stealing alone buys far less on top of them; the paper's 1.9x is reached "
        "end to end, v2 against v1 mode none"))
    out.append(Claim(
        "Vertical stealing beats horizontal", f"vertical {best_v['speedup']:.3f}x vs horizontal "
        f"{best_h['speedup']:.3f}x (best of each)", best_v["speedup"] > best_h["speedup"],
        f"fig. 3, {vert[0]['lanes']} lanes", "activation imbalance is small on uniform masks"))

    scale = none_big["speedup_vs_first"]
    out.append(Claim(
        "Scaling 64 -> 1024 lanes gives 5.5x", f"{scale:.2f}x ({small} -> {big} lanes, none)",
        abs(scale - 5.5) / 5.5 < 0.25, f"fig. 4, study layer {study}",
        _why(scale, 5.5, "with fewer lanes than 64 -> 1024 the ideal speedup itself is smaller",
             "the model has no shared-bus or activation-broadcast cost, which the paper's "
             "number includes (docs/perf-model.md)")))

    iso = opts.eie_lanes[0]
    eie_names = {r["layer"] for r in f5 if r["design"] == "EIE"} & {
        r["layer"] for r in f1 if r["design"] == "EIE CSC"}
    table_layers = [r["layer"] for r in f5 if r["design"] == "EIE"][:3]
    sel = [r for r in f5 if r["design"] == "MASR" and r["lanes"] == iso and r["mode"] == "NONE"
           and r["layer"] in table_layers]
    sel_big = [r for r in f5 if r["design"] == "MASR" and r["lanes"] == max(opts.eie_lanes)
               and r["mode"] == "NONE" and r["layer"] in table_layers]
    perf = _geomean([r["speedup_vs_eie"] for r in sel])
    perf_big = _geomean([r["speedup_vs_eie"] for r in sel_big])
    out.append(Claim(
        "1.6x performance over EIE", f"{perf:.2f}x at {iso} lanes = EIE's 64 MACs; "
        f"{perf_big:.2f}x at {max(opts.eie_lanes)} lanes (geomean, EIE layers)",
        abs(perf - 1.6) / 1.6 < 0.3, f"fig. 5, {', '.join(table_layers)}, steal none",
        _why(perf, 1.6, "at equal MACs every MASR lane spends a cycle on each empty mask word, "
             "and at the EIE layers' 4-10 % weight density most words are empty, while EIE "
             "spends cycles only on stored entries",
             "the layers leave MASR few empty mask words, and EIE pays for padding entries")))
    energy = _geomean([r["energy_gain_vs_eie"] for r in sel])
    out.append(Claim(
        "3x energy over EIE", f"{energy:.2f}x at {iso} lanes (geomean, EIE layers)",
        abs(energy - 3.0) / 3.0 < 0.3, f"fig. 5, energy table: Horowitz ISSCC 2014, 45 nm",
        _why(energy, 3.0, "MASR reads every weight-mask and activation-mask word (2 M N / 16 "
             "reads per product, independent of density) while EIE reads only the non-zero "
             "columns' entries", "EIE's pointer reads and 64-way broadcasts dominate on "
             "these layers")))
    def storage_ratio(m: int) -> float:
        total = {(r["layer"], r["design"]): r["total"] for r in f1 if r["macs"] == m}
        return _geomean([total[n, "EIE CSC"] / total[n, "MASR"] for n in sorted(eie_names)])

    macs = min(opts.macs, key=lambda m: abs(m - 64))
    area = storage_ratio(macs)
    out.append(Claim(
        "2x area over EIE", f"EIE/MASR on-chip storage {area:.2f}x at {macs} MACs, "
        f"{storage_ratio(max(opts.macs)):.2f}x at {max(opts.macs)} (geomean, EIE layers; "
        f"storage is the area proxy, logic not modelled)", abs(area - 2) / 2 < 0.3,
        f"fig. 1, {macs} MACs",
        _why(area, 2.0, "at 4-10 % density and few PEs a 1-bit-per-weight mask costs about as "
             "much as CSC's indices and column pointers; MASR's advantage grows with the MAC "
             "count (fig. 1)", "CSC's per-PE column pointers already dominate at this MAC "
             "count on these layers")))

    cyc = [r["cycles"] for r in f6]
    hd = [r["h_density"] for r in f6]
    out.append(Claim(
        "Dynamic activations change the load every step (bidirectional GRU)",
        f"cycles per step {min(cyc)}-{max(cyc)}, h density {min(hd):.0%}-{max(hd):.0%} "
        f"over T={opts.gru_steps}", max(cyc) > min(cyc),
        f"fig. 6, GRU I={opts.gru_inputs}, H={opts.gru_hidden}, {f6[0]['grid']} lanes, "
        f"threshold {opts.gru_threshold}", "the activation threshold leaves h_t dense"))
    return out


def markdown_table(rows: list[dict[str, str]]) -> str:
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(r[k].replace("|", "/") for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _html_table(rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0])
    head = "".join(f"<th>{html.escape(k)}</th>" for k in keys)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r[k]))}</td>" for k in keys) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


CAPTIONS = {
    1: "Stacked storage by component; MASR includes 10 % vertical-stealing replicas. Data: "
       "fig1_footprint.csv.",
    2: "Lane-cycles split by cause (they sum to cycles x lanes). RTL bars: DUT counters summed "
       "over the nightly's products of that configuration and mode; 'model' bars beside them: "
       "golden.perf's counters for the same products. The study-layer bars are the model on "
       "the brief's paper-like layer. Data: fig24_scaling.csv, rtl_points.csv.",
    3: "Speedup over steal mode none on the same masks as rep_rows grows. Red markers: the "
       "RTL's speedup on the nightly's StealSweepTest layers (one layer run in mode none and in "
       "each mode and replica depth; at most 256 x 256, so they sit on the panel of their lane "
       "count, beside a curve of the larger study layer). Data: fig3_stealing.csv, "
       "rtl_sweep.csv.",
    4: "Left: speedup over the smallest array. Right: MAC utilization; red diamonds are the "
       "RTL (nightly products), hollow circles the model on the same products. Data: "
       "fig24_scaling.csv, rtl_points.csv.",
    5: "Cycles from golden.eie_perf (EIE) and golden.perf (MASR), energy from event counts x "
       "the Horowitz 45 nm table (golden.energy). No RTL points: the EIE layers exceed the "
       "regression configurations' M_MAX. Data: fig5_eie.csv, energy_table.csv.",
    6: "Per-step cycles and activation densities of a bidirectional GRU through golden.gru's "
       "fixed-point numerics and golden.perf.simulate_layer. Data: fig6_gru.csv.",
    7: "PERF_CYCLES of every nightly product: DUT counter vs the performance model's "
       "prediction. Data: rtl_points.csv.",
}


def write_page(out: Path, figs: dict[int, Path], claim_list: list[Claim], pts: rtl.RtlPoints,
               opts: Options, seconds: float) -> Path:
    if pts.missing:
        rtl_note = (f"<p class='warn'>RTL points left out: {html.escape(pts.missing)}. Run "
                    f"<code>make nightly</code> or pass <code>--nightly DIR</code>.</p>")
    else:
        bad = sum(p["rtl_cycles"] != p["model_cycles"] for p in pts.products)
        rtl_note = (f"<p>RTL points: {len(pts.products)} products from {pts.runs} runs of "
                    f"{html.escape(str(pts.nightly))} (configurations "
                    f"{', '.join(pts.configs)}); {bad} differ from the model in PERF_CYCLES."
                    f"</p>")
    sections = []
    for n, path in sorted(figs.items()):
        sections.append(f"<h2>{html.escape(TITLES[n])}</h2><img src='{path.name}' "
                        f"alt='{html.escape(TITLES[n])}'><p class='cap'>{CAPTIONS[n]}</p>")
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>MASR design-space exploration</title>
<style>body{{font-family:sans-serif;max-width:1200px;margin:1em auto}}
table{{border-collapse:collapse;font-size:12px}}td,th{{border:1px solid #aaa;padding:3px}}
img{{max-width:100%}}.cap{{font-size:12px;color:#333}}.warn{{color:#a00}}</style></head>
<body><h1>MASR: the paper's figures from our models and RTL</h1>
<p>Generated by <code>{COMMAND}</code> (scripts/explore.py) in {seconds:.0f} s; every number
below is computed by golden/ models or read from the nightly. Rules: docs/explore.md.</p>
<h2>Seed claims and our numbers</h2>
{_html_table([c.row() for c in claim_list])}
{rtl_note}
<h2>Energy table (pJ per event)</h2>
{_html_table(energy_table_rows())}
{''.join(sections)}
</body></html>
"""
    path = out / "index.html"
    path.write_text(page)
    return path
