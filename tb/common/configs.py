"""The RTL configurations the regression builds, and how a simulation learns which one it runs."""
from __future__ import annotations

import os

from golden.config import BRINGUP_4X2, REGRESSION_8X8, HwConfig

CONFIGS: dict[str, HwConfig] = {"4x2": BRINGUP_4X2, "8x8": REGRESSION_8X8}
TOPLEVEL = "masr_top"
ENV_CONFIG = "MASR_CONFIG"   # set by the runner for every simulation
ENV_SEED = "MASR_SEED"


def verilog_params(hw: HwConfig) -> dict[str, int]:
    return {"H": hw.H, "V": hw.V, "B": hw.B, "G": hw.G, "M_MAX": hw.M_MAX, "N_MAX": hw.N_MAX,
            "SLOTS": hw.SLOTS, "WDEPTH": hw.WDEPTH, "QDEPTH": hw.QDEPTH, "T_MAX": hw.T_MAX}


def build_top(config: str, *, waves: bool = False, coverage: bool = False,
              extra_args: tuple[str, ...] = (), public_flat_rw: bool = False):
    """Build masr_top for a named configuration (cached: every caller shares one build)."""
    from tb.common import simrun

    return simrun.build(TOPLEVEL, simrun.rtl_sources(), verilog_params(CONFIGS[config]),
                        waves=waves, coverage=coverage, extra_args=list(extra_args),
                        public_flat_rw=public_flat_rw)


def current_config() -> tuple[str, HwConfig]:
    """The configuration of the running simulation (set by tb.common.simrun callers via MASR_CONFIG)."""
    name = os.environ.get(ENV_CONFIG, "4x2")
    if name not in CONFIGS:
        raise KeyError(f"{ENV_CONFIG}={name!r} is not one of {sorted(CONFIGS)}")
    return name, CONFIGS[name]
