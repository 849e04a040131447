"""The RTL configurations, as data: the named ones, ad-hoc ``HxV[:PARAM=VALUE,...]`` specs, and
how a simulation learns which one it runs.

A configuration may name its simulator after an ``@``: ``4x2@icarus`` is the 4x2 array on
Icarus (4-state), everything else runs on Verilator.  The suffix is part of the configuration's
name everywhere (run directories, results, reports), so a 4-state run never shadows a 2-state one.

Every tool that takes a configuration (``make sim CONFIGS=...``, ``make nightly CONFIGS=...``,
``regress.py --rerun ... --config``, the benchmarks, the tests) resolves it with ``resolve``:
a named configuration from ``NAMED``, or an array size ``HxV`` whose capacities follow from the
size (``derived_config``) and may be overridden per parameter (``16x16:SLOTS=96,WDEPTH=2048``).
Validation is ``golden.config.HwConfig`` itself (parameter rules) plus ``check_rtl_limits`` (the
register map and the 16-bit memory port), so a spec the RTL cannot be built for is refused with
the reason before anything is built.
"""
from __future__ import annotations

import dataclasses
import os
import re

from golden.config import BRINGUP_4X2, REGRESSION_8X8, HwConfig
from golden.errors import SpecError

TOPLEVEL = "masr_top"
ENV_CONFIG = "MASR_CONFIG"   # set by the runner for every simulation
ENV_SEED = "MASR_SEED"

# Rows per lane and columns per partition the derived capacities provide: 32 x 32 holds the
# paper's 800 x 800 recurrent matrices (25 rows and 25 columns per lane).
ROWS_PER_LANE = 32
COLS_PER_PARTITION = 32


def derived_config(H: int, V: int, **overrides: int) -> HwConfig:
    """Capacities that follow from the array size (M_MAX = 32 H, N_MAX = 32 V, slots for own
    rows plus replicas of half as many, a weight SRAM for half-dense slots).  Reproduces 8x8's
    M_MAX/N_MAX and WDEPTH; overrides replace any field by name."""
    m_max = overrides.get("M_MAX", ROWS_PER_LANE * H)
    n_max = overrides.get("N_MAX", COLS_PER_PARTITION * V)
    r_max = -(-m_max // H)
    p_max = -(-n_max // V)
    slots = overrides.get("SLOTS", 2 * r_max)
    half_dense = max(1, slots * p_max // 2)
    wdepth = 1 << (half_dense - 1).bit_length()
    fields = {"H": H, "V": V, "G": min(2, H), "M_MAX": m_max, "N_MAX": n_max, "SLOTS": slots,
              "WDEPTH": wdepth}
    fields.update(overrides)
    return HwConfig(**fields)


NAMED: dict[str, HwConfig] = {
    "4x2": BRINGUP_4X2,
    "8x8": REGRESSION_8X8,
    "16x16": derived_config(16, 16),   # 256 lanes: M_MAX = N_MAX = 512
    "32x32": derived_config(32, 32),   # 1024 lanes: M_MAX = N_MAX = 1024 (800 x 800 fits)
}
# Kept for the callers that iterate the regression's two default configurations.
CONFIGS: dict[str, HwConfig] = {"4x2": BRINGUP_4X2, "8x8": REGRESSION_8X8}

SIMULATORS = ("verilator", "icarus")
_SPEC = re.compile(r"^(?P<h>\d+)x(?P<v>\d+)\s*(?::(?P<over>.*))?$")
_FIELDS = {f.name for f in dataclasses.fields(HwConfig)}


def resolve(spec: str) -> HwConfig:
    """The HwConfig of a configuration name or ``HxV[:PARAM=VALUE,...]``; SpecError (naming the
    spec and the reason) when it is unknown, malformed, or beyond what the RTL can hold."""
    spec, _ = split_simulator(spec)
    match = _SPEC.match(spec)
    if match is None:
        raise SpecError(f"configuration {spec!r}: not a name ({', '.join(NAMED)}) "
                        f"nor HxV[:PARAM=VALUE,...]")
    overrides = _parse_overrides(spec, match.group("over") or "")
    H, V = int(match.group("h")), int(match.group("v"))
    base_name = f"{H}x{V}"
    try:
        if base_name in NAMED:
            hw = dataclasses.replace(NAMED[base_name], **overrides)
        else:
            hw = derived_config(H, V, **overrides)
        hw.check_rtl_limits()
    except SpecError as exc:
        raise SpecError(f"configuration {spec!r}: {exc}") from exc
    return hw


def split_simulator(spec: str) -> tuple[str, str]:
    """``"4x2@icarus"`` -> ``("4x2", "icarus")``; no suffix means Verilator."""
    config, _, simulator = spec.strip().partition("@")
    simulator = simulator.strip().lower() or "verilator"
    if simulator not in SIMULATORS:
        raise SpecError(f"configuration {spec!r}: simulator {simulator!r} is not one of "
                        f"{list(SIMULATORS)}")
    return config.strip(), simulator


def _parse_overrides(spec: str, text: str) -> dict[str, int]:
    overrides: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip().upper()
        if not sep or not value.strip().lstrip("-").isdigit():
            raise SpecError(f"configuration {spec!r}: {item!r} is not PARAM=INTEGER")
        if name in ("H", "V") or name not in _FIELDS:
            settable = sorted(_FIELDS - {"H", "V"})
            raise SpecError(f"configuration {spec!r}: {name!r} is not one of {settable}")
        overrides[name] = int(value)
    return overrides


def canonical(spec: str) -> str:
    """The spec with whitespace and parameter case normalised: one build per configuration."""
    resolve(spec)
    config, simulator = split_simulator(spec)
    head, _, over = config.partition(":")
    items = sorted(f"{k}={v}" for k, v in _parse_overrides(spec, over).items())
    suffix = "" if simulator == "verilator" else f"@{simulator}"
    return head.strip() + (":" + ",".join(items) if items else "") + suffix


def verilog_params(hw: HwConfig) -> dict[str, int]:
    return {"H": hw.H, "V": hw.V, "B": hw.B, "G": hw.G, "M_MAX": hw.M_MAX, "N_MAX": hw.N_MAX,
            "SLOTS": hw.SLOTS, "WDEPTH": hw.WDEPTH, "QDEPTH": hw.QDEPTH, "T_MAX": hw.T_MAX,
            "FEAT_IMPL": hw.FEAT_IMPL}


def build_top(config: str, *, waves: bool = False, coverage: bool = False,
              extra_args: tuple[str, ...] = (), public_flat_rw: bool = False,
              timeout: float | None = None, cxx: str | None = None,
              hier: bool | None = None):
    """Build masr_top for a configuration (cached: every caller shares one build); the
    simulator is the configuration's (``@icarus``), Verilator by default.  ``cxx`` overrides
    ``cxx_opt`` (benchmarks: "-Os" is verilated.mk's default), ``hier`` overrides
    ``hier_build`` (lane and PE as hierarchical blocks, tb/common/hier.py)."""
    from tb.common import simrun

    simulator = split_simulator(config)[1]
    hw = resolve(config)
    if simulator != "verilator":   # Verilator-only options (coverage, toggle) mean nothing here
        coverage, extra_args = False, ()
    opt = cxx_opt(hw) if cxx is None else (None if cxx == "-Os" else cxx)   # -Os: the default
    sources = simrun.rtl_sources()
    if simulator == "verilator" and (hier_build(hw) if hier is None else hier):
        from tb.common import hier as hier_mod

        sources = [*sources, hier_mod.generate(sources, simrun.RTL, TOPLEVEL, verilog_params(hw),
                                               simrun.BUILD_ROOT / "hier")]
        extra_args = ("--hierarchical", f"+define+{hier_mod.DEFINE}", *extra_args)
    return simrun.build(TOPLEVEL, sources, verilog_params(hw),
                        simulator=simulator, waves=waves, coverage=coverage,
                        extra_args=list(extra_args), public_flat_rw=public_flat_rw,
                        cxx_opt=opt,
                        timeout=timeout if timeout is not None else build_timeout(config))


# Every array compiles its hot C++ at -O1 instead of verilated.mk's -Os: -Os took 2.4x the CPU of
# -O1 per file at 16x16, and 8x8's cold build 617 against 337 CPU-s (324 against 182 s wall,
# about half of a fresh `make sim`'s CPU) with no loss of simulation speed (docs/scaling.md).
def cxx_opt(hw: HwConfig) -> str | None:
    """OPT_FAST for the C++ of this array's model (None would be verilated.mk's default, -Os)."""
    del hw   # one level for every size; kept per configuration for the benchmarks' --cxx-opt
    return "-O1"


# Arrays above this many lanes are built hierarchically: the lane and the PE are verilated and
# compiled once (generated per-configuration wrappers, tb/common/hier.py) instead of unrolled into
# the top's C++ once per instance.  Measured on two free cores (docs/scaling.md, 2026-12-07):
# 16x16 builds in 87 s instead of 346 s and simulates at 0.6x the speed (1,936 against 3,230
# clock cycles/s); its nightly list runs ~200 s of tests, so the hierarchical build is the faster
# way through it even if every second were simulation (87 + 1.67 x 203 < 346 + 203). 8x8
# (`make sim`, 21 runs on one build) stays flat.
HIER_ABOVE_LANES = 64


def hier_build(hw: HwConfig) -> bool:
    """Whether this array's Verilator model is built with lane and PE as hierarchical blocks."""
    return hw.n_lanes > HIER_ABOVE_LANES


def build_timeout(config: str) -> float:
    """Wall-clock limit of each build step (Verilator, then the C++ make): builds grow with
    the lane count (docs/scaling.md)."""
    return 600.0 + 3.0 * resolve(config).n_lanes


def current_config() -> tuple[str, HwConfig]:
    """The configuration of the running simulation (set by tb.common.simrun callers via MASR_CONFIG)."""
    name = os.environ.get(ENV_CONFIG, "4x2")
    return name, resolve(name)
