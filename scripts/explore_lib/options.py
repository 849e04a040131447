"""Options of scripts/explore.py, validated up front so a bad value fails before minutes of work."""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path


class OptionError(ValueError):
    """An option value out of range; the message names the option and the allowed range."""


@dataclass(frozen=True)
class Options:
    out: Path
    nightly: Path
    macs: tuple[int, ...]          # figure 1: MAC / PE counts of the footprint sweep
    lanes: tuple[int, ...]         # figures 2-4: lane counts (first = scaling baseline)
    M: int                         # the brief's study layer, M x N
    N: int
    w_density: float
    a_density: float
    T: int                         # time steps (activation masks) per study point
    rep_fractions: tuple[float, ...]
    eie_scale: float               # scales the EIE layer table's dimensions (tests use < 1)
    eie_lanes: tuple[int, ...]     # MASR lane counts compared with EIE (first = iso-MAC point)
    gru_inputs: int
    gru_hidden: int
    gru_steps: int
    gru_lanes: int
    gru_threshold: float           # |h| below this (float units) becomes 0
    seed: int
    progress: bool
    readme_figure: Path | None = None


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers")


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    a = p.add_argument
    a("--out", type=Path, default=Path("out/explore"), help="output directory")
    a("--nightly", type=Path, default=Path("out/nightly/latest"),
      help="nightly whose RTL results are overlaid (default out/nightly/latest)")
    a("--macs", type=_ints, default=(32, 64, 128, 256, 512, 1024), help="figure 1 MAC counts")
    a("--lanes", type=_ints, default=(64, 128, 256, 512, 1024), help="figures 2-4 lane counts")
    a("--M", type=int, default=800, help="study layer outputs")
    a("--N", type=int, default=800, help="study layer inputs")
    a("--w-density", type=float, default=0.1)
    a("--a-density", type=float, default=0.5)
    a("--T", type=int, default=20, help="activation masks per study point")
    a("--rep-fractions", type=_floats, default=(0.04, 0.1, 0.2, 0.4, 1.0),
      help="figure 3: replicated fraction of each lane's rows")
    a("--eie-scale", type=float, default=1.0, help="scale of the EIE layer table (0, 1]")
    a("--eie-lanes", type=_ints, default=(64, 256, 1024), help="MASR lane counts vs EIE")
    a("--gru-inputs", type=int, default=800)
    a("--gru-hidden", type=int, default=800)
    a("--gru-steps", type=int, default=100)
    a("--gru-lanes", type=int, default=256)
    a("--gru-threshold", type=float, default=0.1,
      help="activation threshold of the GRU's h_t (E-LSTM's 0.1)")
    a("--seed", type=int, default=0)
    a("--readme-figure", type=Path, default=None,
      help="also write the README's small scaling figure here (docs/img/explore_scaling.png)")
    a("--no-progress", dest="progress", action="store_false")
    return p


def _pow2(name: str, values: tuple[int, ...]) -> None:
    if not values:
        raise OptionError(f"--{name} needs at least one value")
    bad = [v for v in values if v < 1 or v & (v - 1)]
    if bad:
        raise OptionError(f"--{name}: {bad} not a power of two >= 1 (lane/MAC counts are "
                          f"powers of two: the H x V grid halves and doubles)")


def _fraction(name: str, value: float, low_open: bool = False) -> None:
    ok = (0.0 < value <= 1.0) if low_open else (0.0 <= value <= 1.0)
    if not ok:
        raise OptionError(f"--{name}={value} must be in {'(0, 1]' if low_open else '[0, 1]'}")


def _positive(name: str, value: int, low: int = 1) -> None:
    if value < low:
        raise OptionError(f"--{name}={value} must be >= {low}")


def parse(argv: list[str] | None = None) -> Options:
    ns = parser().parse_args(argv)
    for name in ("macs", "lanes", "eie_lanes"):
        _pow2(name.replace("_", "-"), getattr(ns, name))
    _pow2("gru-lanes", (ns.gru_lanes,))
    for name in ("w_density", "a_density"):
        _fraction(name.replace("_", "-"), getattr(ns, name))
    _fraction("eie-scale", ns.eie_scale, low_open=True)
    if not ns.rep_fractions:
        raise OptionError("--rep-fractions needs at least one value")
    for f in ns.rep_fractions:
        _fraction("rep-fractions", f, low_open=True)
    for name in ("M", "N", "T", "gru_inputs", "gru_hidden", "gru_steps"):
        _positive(name.replace("_", "-"), getattr(ns, name))
    if ns.gru_threshold < 0 or ns.gru_threshold >= 128:
        raise OptionError(f"--gru-threshold={ns.gru_threshold} must be in [0, 128) (Q8.8)")
    return Options(out=ns.out, nightly=ns.nightly, macs=tuple(sorted(set(ns.macs))),
                   lanes=tuple(sorted(set(ns.lanes))),
                   M=ns.M, N=ns.N, w_density=ns.w_density, a_density=ns.a_density, T=ns.T,
                   rep_fractions=tuple(ns.rep_fractions), eie_scale=ns.eie_scale,
                   eie_lanes=tuple(ns.eie_lanes), gru_inputs=ns.gru_inputs,
                   gru_hidden=ns.gru_hidden, gru_steps=ns.gru_steps, gru_lanes=ns.gru_lanes,
                   gru_threshold=ns.gru_threshold, seed=ns.seed, progress=ns.progress,
                   readme_figure=ns.readme_figure)
