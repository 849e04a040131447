#!/usr/bin/env python3
"""`make explore`: the MASR paper's figures regenerated from our models and the nightly's RTL.

Writes OUT (default out/explore/): index.html (claims table + figures), one PNG per figure and
the data behind each as CSV (plus data.json with everything).  docs/explore.md describes the
figures, the EIE cycle model and the energy table.
"""
from __future__ import annotations

import csv
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
for _p in (str(REPO), str(REPO / "scripts")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from tqdm import tqdm  # noqa: E402

from explore_lib import figures, page, rtl, studies  # noqa: E402
from explore_lib.options import OptionError, Options, parse  # noqa: E402


def write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, keys)
        w.writeheader()
        w.writerows(rows)


def _json_safe(x: Any) -> Any:
    return None if isinstance(x, float) and math.isnan(x) else x


def run(opts: Options) -> Path:
    t0 = time.monotonic()
    opts.out.mkdir(parents=True, exist_ok=True)
    pts = rtl.load(opts.nightly)
    if pts.missing:
        print(f"explore: RTL points left out: {pts.missing}", file=sys.stderr)
    steps = [("fig1", studies.fig1_footprint, 5), ("fig24", studies.fig24_scaling,
                                                    3 * len(opts.lanes)),
             ("fig3", studies.fig3_stealing, 2 * len(studies.square_lanes(opts.lanes))),
             ("v2", studies.v2_stealing, len(studies.V2_SCHEMES)),
             ("fig5", studies.fig5_eie, 5), ("fig6", studies.fig6_gru, 3)]
    data: dict[str, Any] = {}
    with tqdm(total=sum(n for _, _, n in steps) + 1, desc="explore", unit="step",
              disable=not opts.progress) as bar:
        def tick(what: str) -> None:
            bar.set_postfix_str(what)
            bar.update(1)
        for key, fn, _ in steps:
            data[key] = fn(opts, tick)
        figs = figures.write_all(data, pts, opts.out)
        tick("figures")
    csv_names = {"fig1": "fig1_footprint.csv", "fig24": "fig24_scaling.csv",
                 "fig3": "fig3_stealing.csv", "v2": "v2_stealing.csv", "fig5": "fig5_eie.csv",
                 "fig6": "fig6_gru.csv"}
    for key, name in csv_names.items():
        write_csv(opts.out / name, data[key])
    write_csv(opts.out / "energy_table.csv", studies.energy_table_rows())
    if pts.products:
        write_csv(opts.out / "rtl_points.csv", pts.products)
        if sweeps := rtl.sweep_speedups(pts):
            write_csv(opts.out / "rtl_sweep.csv", sweeps)
    claim_list = page.claims(data, opts)
    claim_rows = [c.row() for c in claim_list]
    write_csv(opts.out / "claims.csv", claim_rows)
    (opts.out / "claims.md").write_text(page.markdown_table(claim_rows))
    (opts.out / "data.json").write_text(json.dumps(
        {k: [{kk: _json_safe(vv) for kk, vv in r.items()} for r in v] for k, v in data.items()}
        | {"claims": claim_rows, "rtl_missing": pts.missing,
           "options": {k: str(v) for k, v in vars(opts).items()}}, indent=1))
    if opts.readme_figure:
        opts.readme_figure.parent.mkdir(parents=True, exist_ok=True)
        figures.readme_figure(data["fig24"], opts.readme_figure)
    seconds = time.monotonic() - t0
    index = page.write_page(opts.out, figs, claim_list, pts, opts, seconds)
    print(f"explore: {index} ({seconds:.0f} s)")
    return index


def main(argv: list[str] | None = None) -> int:
    try:
        opts = parse(argv)
    except OptionError as exc:
        print(f"explore: error: {exc}", file=sys.stderr)
        return 2
    run(opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
