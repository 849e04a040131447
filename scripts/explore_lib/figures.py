"""One PNG per figure, each titled with the seed claim it reproduces."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from . import rtl  # noqa: E402
from .studies import CYCLE_PARTS, Rows, square_lanes  # noqa: E402

MIB = 8 * 2**20
FOOT_PARTS = ("weight mask", "row pointers", "activations", "weights", "replicas", "indices")
COLORS = {**dict(zip(FOOT_PARTS, plt.get_cmap("tab10").colors)),
          **dict(zip(CYCLE_PARTS, plt.get_cmap("Set2").colors))}

TITLES = {
    1: "Fig. 1  Memory footprint vs MACs. Seed: logic-centric (MASR) flat, memory-centric "
       "(EIE CSC) grows",
    2: "Fig. 2  Where the cycles go. Seed: ~30 % MAC utilization at 1024 lanes, remainder "
       "stalls/idles from load imbalance",
    3: "Fig. 3  Stealing speedup vs duplicated weights. Seed: up to 1.9x at ~10 %, vertical "
       "better",
    4: "Fig. 4  Performance scaling 64 -> 1024 lanes. Seed: 5.5x",
    5: "Fig. 5  MASR vs EIE on the same layers. Seed: 1.6x performance, 3x energy, 2x area",
    6: "Fig. 6  Bidirectional GRU over time. Seed: dynamic activations change the load "
       "every step",
    7: "Fig. 7  RTL vs performance model, every nightly product. Seed: the model is the RTL's",
}


def _save(fig: plt.Figure, path: Path, n: int, legend_from: plt.Axes | None = None) -> Path:
    """Title the figure; ``legend_from``'s legend goes below the plots, clear of the bars."""
    fig.suptitle(TITLES[n], fontsize=10)
    bottom = 0.0
    if legend_from is not None:
        handles, labels = legend_from.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(6, len(labels)), fontsize=7)
        bottom = 0.1
    fig.tight_layout(rect=(0, bottom, 1, 0.95))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def fig1(rows: Rows, path: Path) -> Path:
    layers = list(dict.fromkeys(r["layer"] for r in rows))
    fig, axes = plt.subplots(1, len(layers), figsize=(3.2 * len(layers), 3.6), squeeze=False)
    for ax, name in zip(axes[0], layers):
        sel = [r for r in rows if r["layer"] == name]
        macs = sorted({r["macs"] for r in sel})
        for off, design, hatch in ((-0.2, "MASR", ""), (0.2, "EIE CSC", "//")):
            bottom = [0.0] * len(macs)
            d = {r["macs"]: r for r in sel if r["design"] == design}
            for part in FOOT_PARTS:
                vals = [d[m][part] / MIB for m in macs]
                if not any(vals):
                    continue
                ax.bar([i + off for i in range(len(macs))], vals, 0.38, bottom=bottom,
                       color=COLORS[part], hatch=hatch, edgecolor="white",
                       label=part if design == "MASR" or part == "indices" else None)
                bottom = [b + v for b, v in zip(bottom, vals)]
        ax.set_xticks(range(len(macs)), [str(m) for m in macs], fontsize=7)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("MACs / PEs (left MASR, right hatched EIE)", fontsize=7)
    axes[0][0].set_ylabel("MiB")
    axes[0][0].legend(fontsize=6)
    return _save(fig, path, 1)


def fig2(rows: Rows, pts: rtl.RtlPoints, path: Path) -> Path:
    modes = list(dict.fromkeys(r["mode"] for r in rows))
    lanes = square_lanes(tuple(dict.fromkeys(r["lanes"] for r in rows)))
    fig, axes = plt.subplots(1, len(modes), figsize=(4.2 * len(modes), 4.2), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        bars: list[tuple[str, dict[str, float]]] = []
        for cfg in pts.configs:
            for who in ("rtl", "model"):
                agg = rtl.aggregate(pts, cfg, mode, who)
                if agg["n"]:
                    bars.append((f"{cfg}\n{'RTL' if who == 'rtl' else 'model'}\n"
                                 f"({int(agg['n'])})", agg))
        for r in rows:
            if r["mode"] == mode and r["lanes"] in lanes:
                bars.append((f"{r['lanes']}\nmodel", {k: float(r[k]) for k in CYCLE_PARTS}))
        bottom = [0.0] * len(bars)
        for part in CYCLE_PARTS:
            tot = [sum(b[k] for k in CYCLE_PARTS) or 1.0 for _, b in bars]
            vals = [b[part] / t for (_, b), t in zip(bars, tot)]
            ax.bar(range(len(bars)), vals, bottom=bottom, color=COLORS[part], label=part)
            bottom = [b + v for b, v in zip(bottom, vals)]
        for i, (_, b) in enumerate(bars):
            ax.text(i, b["useful MACs"] / (sum(b[k] for k in CYCLE_PARTS) or 1) / 2,
                    f"{100 * b['useful MACs'] / (sum(b[k] for k in CYCLE_PARTS) or 1):.0f}%",
                    ha="center", fontsize=7, color="white")
        ax.set_xticks(range(len(bars)), [lbl for lbl, _ in bars], fontsize=6)
        ax.set_title(f"steal mode {mode}", fontsize=9)
        ax.set_ylabel("fraction of lane-cycles")
    return _save(fig, path, 2, legend_from=axes[0][0])


def fig3(rows: Rows, sweeps: Rows, path: Path) -> Path:
    lanes = list(dict.fromkeys(r["lanes"] for r in rows))
    fig, axes = plt.subplots(1, len(lanes), figsize=(3.6 * len(lanes), 3.4), squeeze=False,
                             sharey=True)
    for ax, n in zip(axes[0], lanes):
        for mode, style in (("VERTICAL", "o-"), ("HORIZONTAL", "s--")):
            sel = sorted((r for r in rows if r["lanes"] == n and r["mode"] == mode),
                         key=lambda r: r["dup_fraction"])
            ax.plot([100 * r["dup_fraction"] for r in sel], [r["speedup"] for r in sel], style,
                    label=mode.lower())
        for mode, marker in (("VERTICAL", "D"), ("HORIZONTAL", "x")):
            # RTL points: the regression's own layers (StealSweepTest), not the study layer
            got = [r for r in sweeps if r["lanes"] == n and r["mode"] == mode]
            if got:
                ax.plot([100 * r["dup_fraction"] for r in got], [r["rtl_speedup"] for r in got],
                        marker, color="crimson", ms=5, ls="none",
                        label=f"RTL, {mode.lower()} ({got[0]['config']}, regression layers)")
        ax.axhline(1.9, color="grey", ls=":", lw=1)
        ax.text(0.02, 1.87, "seed: 1.9x", transform=ax.get_yaxis_transform(), fontsize=7,
                va="top")
        ax.set_title(f"{n} lanes ({sel[0]['grid'] if sel else ''})", fontsize=9)
        ax.set_xlabel("duplicated weight storage (%)")
    axes[0][0].set_ylabel("speedup over steal mode none")
    axes[0][0].legend(fontsize=7)
    return _save(fig, path, 3)


def fig4(rows: Rows, pts: rtl.RtlPoints, path: Path) -> Path:
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8))
    lanes = sorted({r["lanes"] for r in rows})
    for mode, style in (("NONE", "o-"), ("VERTICAL", "s-"), ("HORIZONTAL", "^--")):
        sel = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["lanes"])
        left.plot([r["lanes"] for r in sel], [r["speedup_vs_first"] for r in sel], style,
                  label=mode.lower())
        right.plot([r["lanes"] for r in sel], [100 * r["utilization"] for r in sel], style,
                   label=f"model, study layer, {mode.lower()}")
    left.plot(lanes, [n / lanes[0] for n in lanes], "k:", lw=1, label="ideal")
    left.axhline(5.5, color="grey", ls=":", lw=1)
    left.text(lanes[0], 5.6, "seed: 5.5x at 1024", fontsize=7)
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xlabel("lanes (MACs)")
    left.set_ylabel(f"speedup over {lanes[0]} lanes")
    right.set_ylabel("MAC utilization (%)")
    for cfg in pts.configs:
        rt, md = (rtl.aggregate(pts, cfg, None, w) for w in ("rtl", "model"))
        n = rtl.lanes_of(cfg)
        right.plot([n], [100 * rt["utilization"]], "D", color="crimson", ms=8,
                   label=f"RTL {cfg}, nightly products" if cfg == pts.configs[0] else None)
        right.plot([n], [100 * md["utilization"]], "o", mfc="none", mec="black", ms=12,
                   label="model, same products" if cfg == pts.configs[0] else None)
    left.legend(fontsize=7)
    right.legend(fontsize=6)
    return _save(fig, path, 4)


def fig5(rows: Rows, path: Path) -> Path:
    layers = list(dict.fromkeys(r["layer"] for r in rows))
    masr = [r for r in rows if r["design"] == "MASR"]
    variants = list(dict.fromkeys((r["lanes"], r["mode"]) for r in masr))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    width = 0.8 / len(variants)
    for j, (lanes, mode) in enumerate(variants):
        by = {r["layer"]: r for r in masr if (r["lanes"], r["mode"]) == (lanes, mode)}
        xs = [i - 0.4 + width * (j + 0.5) for i in range(len(layers))]
        label = f"MASR {lanes} lanes, {mode.lower()}"
        left.bar(xs, [by[n]["speedup_vs_eie"] for n in layers], width, label=label)
        right.bar(xs, [by[n]["energy_gain_vs_eie"] for n in layers], width, label=label)
    for ax, seed, what in ((left, 1.6, "performance"), (right, 3.0, "energy")):
        ax.axhline(1.0, color="black", lw=0.8)
        ax.axhline(seed, color="grey", ls=":", lw=1)
        ax.text(-0.45, seed * 1.05, f"seed: {seed}x", fontsize=7)
        ax.set_xticks(range(len(layers)), layers, fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel(f"{what} gain over EIE (64 PEs), x")
    return _save(fig, path, 5, legend_from=left)


def fig6(rows: Rows, path: Path) -> Path:
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.2), sharex=True)
    for direction, style in (("forward", "-"), ("backward", "--")):
        sel = sorted((r for r in rows if r["direction"] == direction), key=lambda r: r["t"])
        t = [r["t"] for r in sel]
        top.plot(t, [r["cycles"] for r in sel], style, label=f"{direction}: W x_t + U h_(t-1)")
        top.plot(t, [r["cycles_Uh"] for r in sel], style, alpha=0.5,
                 label=f"{direction}: U h_(t-1) only")
        bottom.plot(t, [100 * r["h_density"] for r in sel], style, label=f"{direction}: h_(t-1)")
        bottom.plot(t, [100 * r["x_density"] for r in sel], style, alpha=0.5,
                    label=f"{direction}: x_t")
    grid = rows[0]["grid"] if rows else ""
    top.set_ylabel(f"cycles per step ({grid})")
    bottom.set_ylabel("activation density (%)")
    bottom.set_xlabel("time step (each direction in its own order)")
    top.legend(fontsize=6, ncol=2)
    bottom.legend(fontsize=6, ncol=2)
    return _save(fig, path, 6)


def fig7(pts: rtl.RtlPoints, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(5, 4.2))
    for cfg in pts.configs:
        sel = [p for p in pts.products if p["config"] == cfg]
        ax.plot([p["model_cycles"] for p in sel], [p["rtl_cycles"] for p in sel], ".",
                label=f"{cfg}: {len(sel)} products")
    hi = max(max(p["model_cycles"], p["rtl_cycles"]) for p in pts.products)
    ax.plot([1, hi], [1, hi], "k:", lw=1, label="RTL = model")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("model PERF_CYCLES (golden.perf)")
    ax.set_ylabel("RTL PERF_CYCLES (DUT counter)")
    ax.legend(fontsize=7)
    return _save(fig, path, 7)


def readme_figure(rows: Rows, path: Path) -> Path:
    """A small copy of figure 4 (scaling) for the README."""
    fig, ax = plt.subplots(figsize=(5, 3))
    for mode in ("NONE", "VERTICAL"):
        sel = sorted((r for r in rows if r["mode"] == mode), key=lambda r: r["lanes"])
        ax.plot([r["lanes"] for r in sel], [r["speedup_vs_first"] for r in sel], "o-",
                label=mode.lower())
    lanes = sorted({r["lanes"] for r in rows})
    ax.plot(lanes, [n / lanes[0] for n in lanes], "k:", lw=1, label="ideal")
    ax.axhline(5.5, color="grey", ls=":", lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("lanes")
    ax.set_ylabel(f"speedup over {lanes[0]} lanes")
    ax.set_title("MASR scaling (model); seed claims 5.5x at 1024", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=60)
    plt.close(fig)
    return path


def write_all(data: dict[str, Any], pts: rtl.RtlPoints, out: Path) -> dict[int, Path]:
    paths = {1: fig1(data["fig1"], out / "fig1_footprint.png"),
             2: fig2(data["fig24"], pts, out / "fig2_cycles.png"),
             3: fig3(data["fig3"], rtl.sweep_speedups(pts), out / "fig3_stealing.png"),
             4: fig4(data["fig24"], pts, out / "fig4_scaling.png"),
             5: fig5(data["fig5"], out / "fig5_eie.png"),
             6: fig6(data["fig6"], out / "fig6_gru.png")}
    if pts.products:
        paths[7] = fig7(pts, out / "fig7_rtl_vs_model.png")
    return paths
