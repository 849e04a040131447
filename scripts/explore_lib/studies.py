"""The numbers behind every figure, computed from the golden models (nothing here is hard-coded).

Each ``figN_*`` function returns plain rows (lists of dicts) that are written as CSV next to the
figure and read back by figures.py and page.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from golden.config import HwConfig, LayerConfig, StealMode, ceil_div
from golden.eie import csc_footprint_bits, grid_for_macs
from golden.eie_perf import EieConfig, column_entries, simulate_eie
from golden.encode import masr_footprint_bits
from golden.energy import HOROWITZ_45NM, eie_events, energy_pj, masr_events
from golden.gru import bigru_layer_q, quantize_gru_params, random_gru_params
from golden.numerics import float_to_q88
from golden.perf import (PerfResult, duplication_fraction, load_imbalance, random_masks,
                         rep_rows_for_fraction, simulate_layer, simulate_matvec,
                         simulate_sequence)

from .options import Options

Rows = list[dict[str, Any]]
Tick = Callable[[str], None]
STEAL_MODES = (StealMode.NONE, StealMode.VERTICAL, StealMode.HORIZONTAL)


@dataclass(frozen=True)
class Layer:
    """A workload: M outputs x N inputs at the given weight / activation densities."""

    name: str
    M: int
    N: int
    w_density: float
    a_density: float


# The EIE paper's layer table (brief section 4): inputs -> outputs, weight, activation density.
EIE_LAYERS = (Layer("Alex-7", 4096, 4096, 0.09, 0.35), Layer("VGG-7", 4096, 4096, 0.04, 0.375),
              Layer("NT-LSTM", 2400, 1201, 0.10, 1.0))


def brief_layers(opts: Options) -> tuple[Layer, ...]:
    """The brief's paper-like layers: the study layer and one GRU gate stack (3H x I)."""
    return (Layer(f"brief {opts.M}x{opts.N}", opts.M, opts.N, opts.w_density, opts.a_density),
            Layer(f"GRU W {3 * opts.gru_hidden}x{opts.gru_inputs}", 3 * opts.gru_hidden,
                  opts.gru_inputs, opts.w_density, opts.a_density))


def eie_layers(opts: Options) -> tuple[Layer, ...]:
    s = opts.eie_scale
    return tuple(Layer(l.name, max(1, round(l.M * s)), max(1, round(l.N * s)), l.w_density,
                       l.a_density) for l in EIE_LAYERS)


def study_hw(H: int, V: int, M: int, N: int, rep_rows: int) -> HwConfig:
    """A paper-scale array whose capacities just fit the layer (slots for own + 2 replicas)."""
    R = ceil_div(M, H)
    slots = R + 2 * min(R, rep_rows)
    return HwConfig(H=H, V=V, M_MAX=M, N_MAX=N, SLOTS=slots,
                    WDEPTH=max(16, slots * ceil_div(N, V)))


def _masks(layer: Layer, T: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    return random_masks(np.random.default_rng(seed), layer.M, layer.N, layer.w_density,
                        layer.a_density, T)


# -- figure 1: memory footprint ---------------------------------------------------------------

def fig1_footprint(opts: Options, tick: Tick) -> Rows:
    """MASR mask encoding (with 10 % vertical replicas) vs EIE CSC per MAC count and layer."""
    rows: Rows = []
    rng = np.random.default_rng(opts.seed)
    for layer in brief_layers(opts) + eie_layers(opts):
        w, a = _masks(layer, 1, opts.seed)
        # Values only matter through their zero pattern; magnitude 1 keeps int8 / int16 valid.
        W = w.astype(np.int8)
        x = np.where(a[0], rng.integers(1, 100, layer.N), 0).astype(np.int16)
        for macs in opts.macs:
            H, V = grid_for_macs(macs)
            rep = rep_rows_for_fraction(0.1, layer.M, H)
            hw = study_hw(H, V, layer.M, layer.N, rep)
            masr = masr_footprint_bits(W, x, hw, LayerConfig(layer.M, layer.N,
                                                             StealMode.VERTICAL, rep))
            csc = csc_footprint_bits(W, macs, ptr_bits=32)
            base = dict(layer=layer.name, macs=macs, grid=hw.name)
            rows.append({**base, "design": "MASR", "weight mask": masr["masks"],
                         "row pointers": masr["pointers"], "activations": masr["activations"],
                         "weights": masr["values"], "replicas": masr["replicas"],
                         "indices": 0, "total": masr["total"]})
            rows.append({**base, "design": "EIE CSC", "weight mask": 0,
                         "row pointers": csc["pointers"], "activations": csc["activations"],
                         "weights": csc["values"], "replicas": 0, "indices": csc["indices"],
                         "total": csc["total"]})
        tick(f"footprint {layer.name}")
    return rows


# -- figures 2 and 4: where the cycles go, scaling --------------------------------------------

NULL_WORK = "null-work/claim cycles"
CYCLE_PARTS = ("useful MACs", NULL_WORK, "imbalance idle", "stalls", "output/drain")


def breakdown(cycles: int, out_cycles: int, lanes: int, mac_busy: int, idle: int,
              stall: int) -> dict[str, int]:
    """Lane-cycles of one product split by cause; they add up to cycles x lanes.

    Only PERF_* counters are used, so the RTL's counters split exactly like the model's.  Per
    lane the compute phase is AG cycles + idle + stall + claim cycles (cycle 0, and the grant
    cycle of a row that restarts an idle AG), and AG cycles are MAC ops plus empty-word cycles,
    so the remainder after MACs, idle and stalls is the null work (empty mask words) plus those
    few claim cycles.
    """
    compute = cycles - out_cycles
    return {"useful MACs": mac_busy, NULL_WORK: compute * lanes - mac_busy - idle - stall,
            "imbalance idle": idle, "stalls": stall, "output/drain": out_cycles * lanes}


def cycle_breakdown(res: PerfResult) -> dict[str, int]:
    return breakdown(res.cycles, res.out_cycles, res.n_lanes, res.mac_busy, res.idle, res.stall)


def fig24_scaling(opts: Options, tick: Tick) -> Rows:
    """Cycles, utilisation and the cycle breakdown per lane count and steal mode."""
    layer = brief_layers(opts)[0]
    w, acts = _masks(layer, opts.T, opts.seed)
    rows: Rows = []
    for lanes in opts.lanes:
        H, V = grid_for_macs(lanes)
        rep = rep_rows_for_fraction(0.1, layer.M, H)
        hw = study_hw(H, V, layer.M, layer.N, rep)
        for mode in STEAL_MODES:
            lay = LayerConfig(layer.M, layer.N, mode, rep if mode else 0)
            seq = simulate_sequence(w, acts, hw, lay)
            parts: dict[str, int] = {}
            for res in seq.products:
                for k, v in cycle_breakdown(res).items():
                    parts[k] = parts.get(k, 0) + v
            rows.append(dict(lanes=lanes, grid=hw.name, mode=mode.name, rep_rows=lay.rep_rows,
                             cycles=seq.cycles, mac_busy=seq.mac_busy,
                             utilization=seq.utilization,
                             load_imbalance=load_imbalance(w, acts, hw, lay),
                             steals_granted=seq.total("steals_granted"), **parts))
            tick(f"scaling {hw.name} {mode.name}")
    first = {r["mode"]: r["cycles"] for r in rows if r["lanes"] == opts.lanes[0]}
    none = {r["lanes"]: r["cycles"] for r in rows if r["mode"] == "NONE"}
    for r in rows:
        r["speedup_vs_first"] = first[r["mode"]] / r["cycles"]
        r["steal_speedup"] = none[r["lanes"]] / r["cycles"]
    return rows


def square_lanes(lanes: tuple[int, ...]) -> tuple[int, ...]:
    """The lane counts with a square H = V grid (64, 256, 1024): the paper's figure points."""
    square = tuple(n for n in lanes if grid_for_macs(n)[0] == grid_for_macs(n)[1])
    return square or lanes


# -- figure 3: stealing speedup vs duplicated weights ------------------------------------------

def fig3_stealing(opts: Options, tick: Tick) -> Rows:
    layer = brief_layers(opts)[0]
    w, acts = _masks(layer, opts.T, opts.seed)
    rows: Rows = []
    for lanes in square_lanes(opts.lanes):
        H, V = grid_for_macs(lanes)
        reps = sorted({rep_rows_for_fraction(f, layer.M, H) for f in opts.rep_fractions})
        base = simulate_sequence(w, acts, study_hw(H, V, layer.M, layer.N, 0),
                                 LayerConfig(layer.M, layer.N)).cycles
        for mode in (StealMode.VERTICAL, StealMode.HORIZONTAL):
            for rep in reps:
                hw = study_hw(H, V, layer.M, layer.N, rep)
                lay = LayerConfig(layer.M, layer.N, mode, rep)
                cycles = simulate_sequence(w, acts, hw, lay).cycles
                rows.append(dict(lanes=lanes, grid=hw.name, mode=mode.name, rep_rows=rep,
                                 dup_fraction=duplication_fraction(w, hw, lay), cycles=cycles,
                                 none_cycles=base, speedup=base / cycles))
            tick(f"stealing {hw.name} {mode.name}")
    return rows


# -- issue #12's v2 rules: what the RTL's schemes and the model's best one buy at 1024 lanes ------

# (scheme of scripts/bench_perf_model.py, where it runs): the chosen O1 scheme (RTL, every
# product), run-ahead on top (RTL, GRU X phases) and the model's best within a 10 % budget.
V2_SCHEMES = (("scan-split-load", "RTL"), ("ra-scan-split-load", "RTL, GRU X phases"),
              ("ra-share-scan-split-load", "model only"))


def v2_stealing(opts: Options, tick: Tick) -> Rows:
    """Each V2_SCHEMES scheme on the study layer at the largest square lane count: mode NONE
    with the same non-stealing features, then VERTICAL, against v1 mode none (the bench's
    rules and runs, scripts/bench_perf_model.py)."""
    import bench_perf_model as bench

    layer = brief_layers(opts)[0]
    w, acts = _masks(layer, opts.T, opts.seed)
    lanes = max(square_lanes(opts.lanes))
    H, V = grid_for_macs(lanes)
    wl = bench.Workload(hw=bench.study_hw(H, V, layer.M, layer.N), w=w, acts=acts,
                        rep_rows=rep_rows_for_fraction(0.1, layer.M, H), skew=0.0)
    v1_none = bench.run_config(wl, StealMode.NONE, bench.V1)["cycles"]
    rows: Rows = []
    for name, where in V2_SCHEMES:
        scheme = bench.SCHEMES[name]
        none = bench.run_config(wl, StealMode.NONE, bench.without_stealing(scheme.features))
        vert = bench.run_config(wl, StealMode.VERTICAL, scheme.features)
        rows.append(dict(lanes=lanes, grid=wl.hw.name, scheme=name, where=where,
                         v1_none_cycles=v1_none, none_cycles=none["cycles"],
                         cycles=vert["cycles"], utilization=vert["utilization"],
                         dup_fraction=vert["dup_fraction"],
                         speedup_vs_none=none["cycles"] / vert["cycles"],
                         speedup_vs_v1_none=v1_none / vert["cycles"]))
        tick(f"v2 {name}")
    return rows


# -- figure 5: MASR vs EIE --------------------------------------------------------------------

def fig5_eie(opts: Options, tick: Tick) -> Rows:
    """Cycles and energy of MASR (each lane count, none / vertical) and EIE on the same masks."""
    rows: Rows = []
    steps = max(1, min(opts.T, 3))   # a few activation vectors per layer: EIE layers are big
    for layer in eie_layers(opts) + brief_layers(opts):
        w, acts = _masks(layer, steps, opts.seed)
        cfg = EieConfig()
        cols = column_entries(w, cfg)
        pe_entries = int(cols[0].sum(axis=1).max())
        eie_cyc = eie_e = eff = 0.0
        for a in acts:
            r = simulate_eie(w, a, cfg, cols)
            eie_cyc += r.cycles
            eie_e += energy_pj(eie_events(w, a, r, cfg, pe_entries))
            eff += r.load_balance_efficiency / steps
        rows.append(dict(layer=layer.name, design="EIE", lanes=cfg.n_pe, mode="-",
                         cycles=eie_cyc, energy_pj=eie_e, load_balance=eff))
        for lanes in opts.eie_lanes:
            H, V = grid_for_macs(lanes)
            rep = rep_rows_for_fraction(0.1, layer.M, H)
            hw = study_hw(H, V, layer.M, layer.N, rep)
            for mode in (StealMode.NONE, StealMode.VERTICAL):
                lay = LayerConfig(layer.M, layer.N, mode, rep if mode else 0)
                cyc = e = 0.0
                for a in acts:
                    res = simulate_matvec(w, a, hw, lay)
                    cyc += res.cycles
                    e += energy_pj(masr_events(w, a, hw, lay, res))
                rows.append(dict(layer=layer.name, design="MASR", lanes=lanes, mode=mode.name,
                                 cycles=cyc, energy_pj=e, load_balance=math.nan))
        tick(f"EIE vs MASR {layer.name}")
    eie = {r["layer"]: r for r in rows if r["design"] == "EIE"}
    for r in rows:
        r["speedup_vs_eie"] = eie[r["layer"]]["cycles"] / r["cycles"]
        r["energy_gain_vs_eie"] = eie[r["layer"]]["energy_pj"] / r["energy_pj"]
    return rows


def energy_table_rows() -> Rows:
    t = HOROWITZ_45NM
    return [dict(event="8-bit add", pj=t.add8, how="table"),
            dict(event="16-bit add", pj=t.add16, how="table"),
            dict(event="32-bit add", pj=t.add32, how="table"),
            dict(event="8x8 multiply", pj=t.mult8, how="table"),
            dict(event="8x16 multiply", pj=t.mult(8, 16), how="8x8 x width product"),
            dict(event="16x16 multiply", pj=t.mult(16, 16), how="8x8 x width product"),
            *[dict(event=f"64-bit SRAM read, {cap >> 10} KB", pj=pj, how="table")
              for cap, pj in t.sram_64b]]


# -- figure 6: bidirectional GRU over time ------------------------------------------------------

def fig6_gru(opts: Options, tick: Tick) -> Rows:
    """Per step of a bidirectional GRU: product cycles and the density of x_t and h_{t-1}.

    The numbers run through golden.gru's fixed-point layer (random 10 %-dense weights, x_t from
    a ReLU-like source at --a-density), so h_t's sparsity comes from the threshold, step by step.
    """
    I, Hd, T = opts.gru_inputs, opts.gru_hidden, opts.gru_steps
    rng = np.random.default_rng(opts.seed)
    fwd, bwd = (quantize_gru_params(random_gru_params(rng, I, Hd, density=opts.w_density))
                for _ in range(2))
    x = np.where(rng.random((T, I)) < opts.a_density, rng.uniform(0.0, 1.0, (T, I)), 0.0)
    xq = float_to_q88(x)
    thr = int(round(opts.gru_threshold * 256))
    trace = bigru_layer_q(xq, fwd, bwd, threshold=thr)
    tick("GRU numerics")
    H, V = grid_for_macs(opts.gru_lanes)
    hw = study_hw(H, V, 3 * Hd, max(I, Hd), 0)
    rows: Rows = []
    for direction, params, tr, xs in (("forward", fwd, trace.fwd, xq),
                                      ("backward", bwd, trace.bwd, xq[::-1])):
        h_prev = np.vstack([np.zeros((1, Hd), dtype=bool), tr.h[:-1] != 0])
        x_masks = xs != 0
        seq = simulate_layer([params.W_ih != 0, params.W_hh != 0], [x_masks, h_prev], hw)
        for t, (step, xm, hm) in enumerate(zip(seq.steps, x_masks, h_prev)):
            rows.append(dict(direction=direction, t=t, grid=hw.name,
                             cycles_Wx=step[0].cycles, cycles_Uh=step[1].cycles,
                             cycles=step[0].cycles + step[1].cycles,
                             utilization=(step[0].mac_busy + step[1].mac_busy)
                             / ((step[0].cycles + step[1].cycles) * hw.n_lanes),
                             x_density=float(xm.mean()), h_density=float(hm.mean())))
        tick(f"GRU {direction}")
    return rows
