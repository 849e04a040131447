"""The report's figures (matplotlib), each returned as a base64 PNG to inline in the HTML."""
from __future__ import annotations

import base64
import io

def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def plot_growth(growth: list[dict]) -> str | None:
    if not growth:
        return None
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7, 3.4))
    xs = [g["seeds"] for g in growth]
    ax.plot(xs, [g["functional"] for g in growth], marker="o", label="functional bins")
    if any(g["line"] is not None for g in growth):
        ax.plot(xs, [g["line"] for g in growth], marker="s", label="code: line")
    if any(g.get("toggle") is not None for g in growth):
        ax.plot(xs, [g["toggle"] for g in growth], marker="^", label="code: toggle")
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("seeds per test")
    ax.set_ylabel("covered [%]")
    ax.set_ylim(0, 101)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    ax.set_title("Coverage growth over seeds (merged, passing runs)")
    return _png(fig)


def plot_lanes(stats) -> tuple[str | None, str | None]:
    if not stats:
        return None, None
    import matplotlib.pyplot as plt
    import numpy as np
    configs = sorted(stats)
    fig, axes = plt.subplots(1, len(configs), figsize=(4.2 * len(configs), 3.6), squeeze=False)
    for ax, cfg in zip(axes[0], configs):
        cells = stats[cfg]
        H = max(h for h, _ in cells) + 1
        V = max(v for _, v in cells) + 1
        grid = np.full((H, V), np.nan)
        for (h, v), c in cells.items():
            grid[h, v] = 100.0 * c["mac_busy"] / c["cycles"] if c["cycles"] else np.nan
        im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=100, aspect="auto")
        for (h, v), val in np.ndenumerate(grid):
            if not np.isnan(val):
                ax.text(v, h, f"{val:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if val < 60 else "black")
        ax.set_xticks(range(V))
        ax.set_yticks(range(H))
        ax.set_title(f"{cfg}: MAC utilization [%]")
        ax.set_xlabel("vertical lane v")
        ax.set_ylabel("horizontal lane h")
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    heat = _png(fig)
    fig, axes = plt.subplots(len(configs), 1, figsize=(8, 2.6 * len(configs)), squeeze=False)
    for ax, cfg in zip(axes[:, 0], configs):
        keys = sorted(stats[cfg])
        ax.bar(range(len(keys)), [stats[cfg][k]["steals"] for k in keys], color="#c0504d")
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([f"{h},{v}" for h, v in keys], rotation=90, fontsize=6)
        ax.set_ylabel("rows stolen")
        ax.set_title(f"{cfg}: steals per lane (h,v), summed over passing runs")
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    bars = _png(fig)
    return heat, bars
