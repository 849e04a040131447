"""The regression list scripts/regress.py runs: every pyuvm test of tb.matvec.tests and tb.gru.tests on
both configurations.  Each entry names its cocotb test module (``module``, default tb.matvec.tests).

Budget: the whole list in < ~8 minutes with 2 simulations in parallel on a 2-core machine
(builds excluded).  Measured CPU seconds per simulation (incl. ~2 s of Python/cocotb start-up):
4x2 2.6-5.3 s per test; 8x8 Smoke 4, StealNone 6, Frontdoor 6, Error 9.5, StealVertical 9,
StealHorizontal 10, Random 11, BackToBack 11.5, Corner 17.  Totals for this list: 26 runs on
4x2 ~90 s, 12 runs on 8x8 ~130 s CPU.  Builds (not counted): 4x2 ~45 s, 8x8 ~280 s CPU.

GRU tests (tb/gru/tests.py, module tb.gru.tests): 18 runs; measured seconds per run (2
simulations in parallel on 2 cores) 4x2 Smoke 2.2, Random 3-6, Corner 3.7, Error 2.8,
Frontdoor 3.2; 8x8 Smoke 3.6, Random 4-7, Corner 15, Error 9, Frontdoor 4.4: ~92 s in total,
about 46 s of wall time; the whole list (56 runs) took 116 s of wall time.

Seeds: 4x2 is cheap, so every test runs several seeds there; 8x8 runs one or two seeds.  The
timeout is the wall-clock kill limit of one simulation (a hung DUT is caught earlier by the
driver's done watchdog, so this only guards against a simulator that stops advancing).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

TEST_MODULE = "tb.matvec.tests"
GRU_MODULE = "tb.gru.tests"


@dataclass(frozen=True)
class RegressionEntry:
    test: str
    configs: tuple[str, ...]
    seeds: tuple[int, ...]
    timeout_s: float
    module: str = TEST_MODULE      # the cocotb test module that holds ``test``
    # None: the nightly gives a test with several seeds its SEEDS fresh seeds; False: exactly
    # these seeds (paper-scale runs cost minutes each).
    random: bool | None = None
    # True: only when its configuration is asked for by name (--configs / CONFIGS=); for arrays
    # whose build does not yet fit a nightly (docs/scaling.md: 32x32).
    on_request: bool = False


BOTH = ("4x2", "8x8")
# The bring-up array without the optional v2 hardware (FEAT_IMPL = 0: one accumulator bank, one
# set of activation RFs, one encoder write port, every CFG_FEAT bit ERR_MODE): the generate
# branches the default builds do not elaborate, and a build that offers no feature at all.
V1_BUILD = "4x2:FEAT_IMPL=0"
# The bring-up array with a one-entry op queue: the AG stalls, NULL_SKIP / ROW_SKIP / SPLIT are not
# offered, and the GRU phases' sequencing features run on the v1 product rules.
Q1_BUILD = "4x2:QDEPTH=1"

REGRESSION: list[RegressionEntry] = [
    RegressionEntry("SmokeTest", BOTH, (1,), 120.0),
    # bring-up array: several seeds per test
    RegressionEntry("RandomTest", ("4x2",), (1, 2, 3, 4, 5, 6), 180.0),
    RegressionEntry("CornerTest", ("4x2",), (1, 2, 3), 180.0),
    RegressionEntry("StealNoneTest", ("4x2",), (1, 2), 180.0),
    RegressionEntry("StealVerticalTest", ("4x2",), (1, 2, 3), 180.0),
    RegressionEntry("StealHorizontalTest", ("4x2",), (1, 2, 3, 4), 180.0),
    RegressionEntry("ErrorTest", ("4x2",), (1, 2), 180.0),
    RegressionEntry("FrontdoorTest", ("4x2",), (1, 2), 180.0),
    RegressionEntry("BackToBackTest", ("4x2",), (1, 2, 3), 180.0),
    RegressionEntry("SplitStealTest", ("4x2",), (1, 2), 180.0),
    # regression array: one or two seeds per test
    RegressionEntry("RandomTest", ("8x8",), (1, 2), 300.0),
    RegressionEntry("CornerTest", ("8x8",), (1,), 300.0),
    RegressionEntry("StealNoneTest", ("8x8",), (1,), 300.0),
    RegressionEntry("StealVerticalTest", ("8x8",), (1, 2), 300.0),
    RegressionEntry("StealHorizontalTest", ("8x8",), (1, 2), 300.0),
    RegressionEntry("ErrorTest", ("8x8",), (1,), 300.0),
    RegressionEntry("FrontdoorTest", ("8x8",), (1,), 300.0),
    RegressionEntry("BackToBackTest", ("8x8",), (1,), 300.0),
    RegressionEntry("SplitStealTest", ("8x8",), (1,), 300.0),
    # the same layers in every steal mode and replica depth: RTL points for make explore
    RegressionEntry("StealSweepTest", BOTH, (1,), 300.0),
    # CFG_FEAT.NULL_SKIP (issue #12, rule N1) against CFG_FEAT = 0 on the same data
    RegressionEntry("NullSkipTest", BOTH, (1,), 300.0),
    # the paper's product clipped to the array (64x64 on 4x2, 256x256 on 8x8): keeps the
    # nightly's paper-scale sequence exercised every day, ~3 products per run
    RegressionEntry("PaperWorkloadTest", BOTH, (1,), 300.0),
    # GRU layer (docs/gru-layer.md, tb/gru/tests.py): both configurations, few seeds
    RegressionEntry("GruSmokeTest", BOTH, (1,), 180.0, GRU_MODULE),
    RegressionEntry("GruRandomTest", ("4x2",), (1, 2, 3, 4, 5, 6), 300.0, GRU_MODULE),
    RegressionEntry("GruRandomTest", ("8x8",), (1, 2, 3), 300.0, GRU_MODULE),
    RegressionEntry("GruOverlapTest", BOTH, (1,), 300.0, GRU_MODULE),
    RegressionEntry("GruPrefetchTest", BOTH, (1,), 300.0, GRU_MODULE),
    RegressionEntry("GruWideEncTest", BOTH, (1,), 300.0, GRU_MODULE),
    RegressionEntry("GruSplitTest", BOTH, (1,), 300.0, GRU_MODULE),
    RegressionEntry("GruRunAheadTest", BOTH, (1,), 300.0, GRU_MODULE),
    RegressionEntry("GruCornerTest", ("4x2",), (1, 2), 300.0, GRU_MODULE),
    RegressionEntry("GruCornerTest", ("8x8",), (1,), 300.0, GRU_MODULE),
    RegressionEntry("GruErrorTest", BOTH, (1,), 180.0, GRU_MODULE),
    RegressionEntry("GruFrontdoorTest", BOTH, (1,), 180.0, GRU_MODULE),
    RegressionEntry("SmokeTest", (V1_BUILD,), (1,), 180.0),
    RegressionEntry("ErrorTest", (V1_BUILD,), (1,), 180.0),
    RegressionEntry("GruRandomTest", (V1_BUILD,), (1,), 300.0, GRU_MODULE),
    RegressionEntry("GruErrorTest", (V1_BUILD,), (1,), 300.0, GRU_MODULE),
    RegressionEntry("RandomTest", (Q1_BUILD,), (1,), 180.0),
    RegressionEntry("ErrorTest", (Q1_BUILD,), (1,), 180.0),
    RegressionEntry("GruPrefetchTest", (Q1_BUILD,), (1,), 300.0, GRU_MODULE),
    RegressionEntry("GruWideEncTest", (Q1_BUILD,), (1,), 300.0, GRU_MODULE),
]


# 4-state runs (`make sim SIM=icarus`, and in the nightly): the top level on Icarus, where an X
# or Z that Verilator's 2-state model hides fails the product (tb/common/bfm.py).  Icarus is two
# orders of magnitude slower than Verilator on the array, so only the bring-up array and a few
# tests.  A configuration named ``...@icarus`` runs on Icarus (tb/common/configs.py).
ICARUS_TEMPLATE = "4x2@icarus"
ICARUS: list[RegressionEntry] = [
    RegressionEntry("SmokeTest", (ICARUS_TEMPLATE,), (1,), 900.0),
    RegressionEntry("RandomTest", (ICARUS_TEMPLATE,), (1,), 1800.0),
    RegressionEntry("GruSmokeTest", (ICARUS_TEMPLATE,), (1,), 1800.0, GRU_MODULE),
    # the second activation RF set and the encoder's B write ports, 4-state
    RegressionEntry("GruPrefetchTest", (ICARUS_TEMPLATE,), (1,), 3600.0, GRU_MODULE),
    RegressionEntry("GruWideEncTest", (ICARUS_TEMPLATE,), (1,), 3600.0, GRU_MODULE),
]

# Paper scale, nightly only (`make sim` stays under 10 minutes): 256 lanes with several seeds of
# the random and stealing tests (interior lanes with four neighbours, two thieves of one victim
# on a long axis: coverage bins small arrays cannot reach), and 1024 lanes with a smoke and the
# paper's 800 x 800 product in each steal mode.  Watchdogs from docs/scaling.md's speeds, x3.
# 16x16 and 32x32 build hierarchically (tb/common/hier.py): 87 s and ~9 minutes on two free cores
# (docs/scaling.md, 2026-12-07), so every entry is part of the default nightly; all ten passed
# on 2026-12-07 with every counter cycle-exact against golden.perf.
PAPER_SCALE: list[RegressionEntry] = [
    RegressionEntry("RandomTest", ("16x16",), (1, 2, 3), 3600.0, random=False),
    RegressionEntry("StealVerticalTest", ("16x16",), (1, 2), 3600.0, random=False),
    RegressionEntry("StealHorizontalTest", ("16x16",), (1, 2), 3600.0, random=False),
    RegressionEntry("PaperWorkloadTest", ("16x16",), (1,), 3600.0, random=False),
    RegressionEntry("SmokeTest", ("32x32",), (1,), 3600.0, random=False),
    RegressionEntry("PaperWorkloadTest", ("32x32",), (1,), 7200.0, random=False),
]

# A configuration no entry names (16x16, an ad-hoc ``HxV``) runs the regression array's entries:
# 8x8's list is the template for every array beyond the bring-up one.
TEMPLATE_CONFIG = "8x8"


# What the nightly runs besides REGRESSION (scripts/nightly.py reads NIGHTLY).
NIGHTLY: list[RegressionEntry] = [*PAPER_SCALE, *ICARUS]


def entries_for(config: str, entries: list | None = None, template: str = TEMPLATE_CONFIG
                ) -> list:
    """The entries that run on ``config``, each narrowed to that one configuration."""
    entries = REGRESSION if entries is None else entries
    named = [e for e in entries if config in e.configs]
    chosen = named or [e for e in entries if template in e.configs]
    return [replace(e, configs=(config,)) for e in chosen]


def runs(entries: list[RegressionEntry] | None = None) -> list[tuple[str, str, int, float]]:
    """Flatten to (test, config, seed, timeout_s) runs."""
    out = []
    for e in entries or REGRESSION:
        for cfg in e.configs:
            for seed in e.seeds:
                out.append((e.test, cfg, seed, e.timeout_s))
    return out
