"""Run a sequence's items against the golden models only (no simulator).

``golden_result(item, hw)`` builds the MatvecResult a correct DUT would produce; the unit tests use
it to check the scoreboard and the coverage model, and ``python -m tb.matvec.dryrun 8x8 CornerSequence``
prints the functional coverage a sequence can reach at best (to tune sequences without
simulating).
"""
from __future__ import annotations

import sys
from typing import Iterable

import numpy as np

from golden.config import HwConfig
from tb.common.bfm import STATUS_DONE, STATUS_ERROR
from tb.matvec.checks import expected_for
from tb.matvec.items import ERR_NO_PRODUCT, MatvecItem, MatvecResult


def golden_result(item: MatvecItem, hw: HwConfig, index: int = 0) -> MatvecResult:
    exp = expected_for(item, hw)
    res = MatvecResult(item=item, index=index, done=True, wait_cycles=1,
                       status=STATUS_DONE | (STATUS_ERROR if item.expect_err else 0),
                       err_code=item.expect_err, irq_pulses=1)
    if exp.perf is not None:
        res.counters = exp.perf.counters()
        res.lane_stats = {(h, v): exp.perf.lanes.words(h, v) for h, v in hw.lanes()}
    if exp.y is not None:
        res.y = np.asarray(exp.y, dtype=np.int64)
    elif item.expect_err in ERR_NO_PRODUCT:
        res.y = None
    return res


def sequence_items(seq_cls: type, hw: HwConfig, seed: int) -> list[MatvecItem]:
    seq = seq_cls("dry")
    seq.hw = hw
    seq.rng = np.random.default_rng(seed)
    return list(seq.items())


def dry_coverage(items: Iterable[MatvecItem], hw: HwConfig, root: str) -> dict[str, float]:
    from tb.matvec.coverage import CoverageSampler
    sampler = CoverageSampler(hw, root)
    for i, item in enumerate(items):
        sampler.sample(golden_result(item, hw, i), passed=True)
    return sampler.model.percentages()


def main(argv: list[str]) -> int:  # pragma: no cover - developer tool
    from tb.matvec import sequences
    from tb.common.configs import CONFIGS
    from tb.matvec.coverage import build_model
    cfg, names = argv[0], argv[1:]
    hw = CONFIGS[cfg]
    items = []
    for n in names:
        items += sequence_items(getattr(sequences, n), hw, 1)
    print(dry_coverage(items, hw, "dry"))
    for k, v in build_model(hw, "dry").detail().items():
        missing = [b for b, n in v.items() if n == 0]
        if missing:
            print(k, "missing:", missing)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
