"""The regression list scripts/regress.py runs: every pyuvm test of tb.tests on both configurations.

Budget: the whole list in < ~8 minutes with 2 simulations in parallel on a 2-core machine
(builds excluded).  Measured CPU seconds per simulation (incl. ~2 s of Python/cocotb start-up):
4x2 2.6-5.3 s per test; 8x8 Smoke 4, StealNone 6, Frontdoor 6, Error 9.5, StealVertical 9,
StealHorizontal 10, Random 11, BackToBack 11.5, Corner 17.  Totals for this list: 26 runs on
4x2 ~90 s, 12 runs on 8x8 ~130 s CPU.  Builds (not counted): 4x2 ~45 s, 8x8 ~280 s CPU.

Seeds: 4x2 is cheap, so every test runs several seeds there; 8x8 runs one or two seeds.  The
timeout is the wall-clock kill limit of one simulation (a hung DUT is caught earlier by the
driver's done watchdog, so this only guards against a simulator that stops advancing).
"""
from __future__ import annotations

from dataclasses import dataclass

TEST_MODULE = "tb.tests"


@dataclass(frozen=True)
class RegressionEntry:
    test: str
    configs: tuple[str, ...]
    seeds: tuple[int, ...]
    timeout_s: float


BOTH = ("4x2", "8x8")

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
    # regression array: one or two seeds per test
    RegressionEntry("RandomTest", ("8x8",), (1, 2), 300.0),
    RegressionEntry("CornerTest", ("8x8",), (1,), 300.0),
    RegressionEntry("StealNoneTest", ("8x8",), (1,), 300.0),
    RegressionEntry("StealVerticalTest", ("8x8",), (1, 2), 300.0),
    RegressionEntry("StealHorizontalTest", ("8x8",), (1, 2), 300.0),
    RegressionEntry("ErrorTest", ("8x8",), (1,), 300.0),
    RegressionEntry("FrontdoorTest", ("8x8",), (1,), 300.0),
    RegressionEntry("BackToBackTest", ("8x8",), (1,), 300.0),
]


def runs(entries: list[RegressionEntry] | None = None) -> list[tuple[str, str, int, float]]:
    """Flatten to (test, config, seed, timeout_s) runs."""
    out = []
    for e in entries or REGRESSION:
        for cfg in e.configs:
            for seed in e.seeds:
                out.append((e.test, cfg, seed, e.timeout_s))
    return out
