"""GRU sequences: each builds GruLayerItems (tb.gru.items) for the GRU agent's sequencer.

The test creates ``GruBaseSequence`` through the pyuvm factory; each GRU test variant overrides
that type.  ``hw`` and ``rng`` (numpy Generator seeded from cocotb.RANDOM_SEED only) are set by
the test before ``start``; nothing else is random, so a run reproduces from (test, seed).
"""
from __future__ import annotations

from typing import Iterator, Optional

import numpy as np


from golden.config import (FEAT_NULL_SKIP, FEAT_OVERLAP, FEAT_PREFETCH, FEAT_ROW_SKIP,
                           FEAT_RUN_AHEAD, FEAT_SCAN, FEAT_SPLIT, FEAT_WIDE_ENC, HwConfig,
                           StealMode, partition_bounds, partition_width, words_per_row)
from golden.gru_seq import drain_margin
from golden.gru import GruParamsQ, gru_gates_q
from golden.matvec import matvec_q
from tb.gru.bfm import CTRL_GRU_H, CTRL_GRU_X, CTRL_START, MEM_GX, MEM_HBUF, MEM_HOUT, \
    MEM_STEP, MEM_XBUF, PHASE_CTRL, PHASE_H, PHASE_X, geometry
from tb.gru.items import (ACT_RF_TAG, ERR_CMD, ERR_REG, ERR_WPTR, ERR_GRU_DIM, ERR_MEM_RANGE,
                          ERR_MODE, GRU_FEATS, ERR_SEQ_LEN, ERR_SLOTS, ERR_THR, LOAD_BACKDOOR, LOAD_FRONTDOOR,
                          GruErrCase, GruLayerItem, build_item, fit_rep_rows, random_layer_item)
from tb.matvec.sequences import ItemSequence
from tb.matvec.stimulus import max_rep_rows, random_layer

N_, V_, H_ = StealMode.NONE, StealMode.VERTICAL, StealMode.HORIZONTAL


def small_hw(hw: HwConfig) -> bool:
    return hw.n_lanes <= 16


class GruBaseSequence(ItemSequence):
    """Default body: a few small random layers."""

    n_layers = 3

    def items(self) -> Iterator[GruLayerItem]:
        for i in range(self.n_layers):
            yield random_layer_item(self.rng, self.hw, f"gru_base_{i}", max_I=16, max_Hd=12,
                                    T=int(self.rng.integers(1, 6)))


class GruSmokeSequence(GruBaseSequence):
    """A small bidirectional layer with vertical stealing, then T = 1 forward (horizontal) and
    a backward layer without stealing."""

    def items(self) -> Iterator[GruLayerItem]:
        hw, rng = self.hw, self.rng
        yield build_item(rng, hw, "gru_smoke_bi", I=2 * hw.V + 3, Hd=hw.H + 3, T=4, mode=V_,
                         rep_rows=2, directions="bi", threshold=8, w_density=0.5,
                         x_density=np.array([0.9, 0.3, 0.6, 0.1]), h0_density=0.5)
        yield build_item(rng, hw, "gru_smoke_t1_fwd", I=hw.V + 1, Hd=hw.H, T=1, mode=H_,
                         rep_rows=1, directions="fwd", threshold=0, w_density=0.6)
        yield build_item(rng, hw, "gru_smoke_bwd", I=5, Hd=3, T=3, mode=N_, rep_rows=0,
                         directions="bwd", threshold=20, w_density=0.7, h0_density=1.0)


class GruRandomSequence(GruBaseSequence):
    """Constrained-random layers: sizes, densities (changing per step), threshold, steal mode,
    rep_rows, direction(s), h_0.  The first layer always has T = T_MAX."""

    def items(self) -> Iterator[GruLayerItem]:
        hw, rng = self.hw, self.rng
        geo = geometry(hw)
        small = small_hw(hw)
        n = 6 if small else 4
        budget = 2.5e6 if small else 3e6        # T * 3Hd * (I + Hd) * weight density
        # T = T_MAX with a threshold that leaves h mostly non-zero (a threshold above ~256
        # zeroes every h_t, which the corners cover)
        yield random_layer_item(rng, hw, "gru_random_tmax", T=geo.T_MAX,
                                max_I=24 if small else 64, max_Hd=12 if small else 32,
                                max_work=budget, threshold=int(rng.integers(0, 64)))
        for i in range(n - 1):
            yield random_layer_item(rng, hw, f"gru_random_{i}", max_work=budget)
        # Last (so the layers above keep their draws): one layer whose phases run with the v2
        # features the build implements (CFG_FEAT latched at each phase start, issue #12); its
        # STEP counters are predicted by golden.gru_seq through golden.perf_v2.
        feat = hw.feat_available & (FEAT_NULL_SKIP | FEAT_ROW_SKIP | FEAT_OVERLAP)
        if feat & FEAT_NULL_SKIP:
            item = random_layer_item(rng, hw, f"gru_random_feat{feat}", max_work=budget / 2)
            item.feat = feat
            yield item


class GruOverlapSequence(GruBaseSequence):
    """CFG_FEAT.OVERLAP (docs/gru-layer.md 8.6): X phases whose output phases run beside the next
    steps, and H phases started with the bit (unchanged). A short x_t with the largest Hd makes an
    output phase longer than encoding the next x_t, so the next product computes beside it; a
    full-width x_t makes the encoding longer (the output phase has ended before the next start);
    T = 1 has nothing to overlap. Every steal mode, with and without the other v2 features."""

    def items(self) -> Iterator[GruLayerItem]:
        hw, rng = self.hw, self.rng
        if not hw.feat_available & FEAT_OVERLAP:
            return
        hd, others = _feature_layer_dims(hw)
        shapes = [("beside", 1, hd, 6, N_, "fwd", 0), ("beside_v", 2, hd, 5, V_, "bi", others),
                  ("long_x", hw.N_MAX if small_hw(hw) else 64, max(1, hd // 4), 4, H_, "fwd", 0),
                  ("t1", hw.V + 1, hd // 2 + 1, 1, V_, "bwd", others),
                  ("mixed", int(rng.integers(1, 9)), int(rng.integers(hd // 2, hd + 1)),
                   int(rng.integers(3, 9)), H_, "bi", others)]
        # The next product starts in the last cycle of the previous output phase (the engine
        # goes from the output phase straight to computing, not through StCompOut).
        at_end = [I for I in range(1, hw.N_MAX + 1) if drain_margin(hw, I, 3 * hd) == 0]
        if at_end:
            shapes.append(("drain_end", at_end[0], hd, 3, V_, "fwd", others))
        yield from shaped_items(rng, hw, "overlap", shapes, FEAT_OVERLAP)


def _feature_layer_dims(hw: HwConfig) -> tuple[int, int]:
    """The v2-feature sequences' large Hd (HD_MAX, capped at 48 on large arrays so that an
    output phase stays long without slow layers) and the NULL_SKIP | ROW_SKIP | SCAN bits the
    build offers to combine with them (so the row scanner also runs under overlap, prefetch and
    run-ahead, where a lane's scan restarts at its entry into each product)."""
    hd = geometry(hw).HD_MAX if small_hw(hw) else 48
    return hd, hw.feat_available & (FEAT_NULL_SKIP | FEAT_ROW_SKIP | FEAT_SCAN)


def shaped_items(rng: np.random.Generator, hw: HwConfig, prefix: str, shapes: list[tuple],
                 feat: int) -> Iterator[GruLayerItem]:
    """One layer per shape (name, I, Hd, T, mode, directions, extra CFG_FEAT bits[, x
    density, default 0.9]) with CFG_FEAT = feat | extra, a replica depth that fits, h_0 half
    dense and a random small threshold."""
    for name, I, Hd, T, mode, dirs, extra, *density in shapes:
        item = build_item(rng, hw, f"{prefix}_{name}", I=I, Hd=Hd, T=T, mode=mode,
                          rep_rows=0 if mode == N_ else 2, directions=dirs,
                          threshold=int(rng.integers(0, 40)),
                          x_density=density[0] if density else 0.9, h0_density=0.5)
        fit_rep_rows(hw, item)
        item.feat = feat | extra
        yield item


class GruPrefetchSequence(GruBaseSequence):
    """CFG_FEAT.PREFETCH with OVERLAP (docs/gru-layer.md 8.6): x_{t+1} encoded into the other
    activation RF set while product t computes. A short x_t with the largest Hd has x_{t+1}
    ready long before the SqStep of step t (the next product starts there); a full-width x_t
    with a small Hd makes the next product wait for the encoder; a layer is searched whose
    x_{t+1} is done exactly in a SqStep cycle; T = 1 has nothing to prefetch; T = T_MAX with
    I = N_MAX streams the last words of XBUF. Every steal mode,
    with and without NULL_SKIP | ROW_SKIP, bidirectional layers (both X phases prefetch)."""

    def ready_in_step_item(self, hd: int, extra: int) -> Optional[GruLayerItem]:
        """A layer whose encoder finishes some x_{s+1} in step s's SqStep cycle (the start
        condition's same-cycle case: I + pad(I) + 1 = C_s + 2), found with the golden schedule.
        Each miss retries with the I that would have matched one of its steps' compute cycles
        (a fixed-point search: C moves little with I); None if 60 draws miss."""
        from golden.gru_seq import encoder_pad, expect_x_phase
        from tb.gru.checks import gru_run
        hw, rng = self.hw, self.rng
        I = int(rng.integers(1, hw.N_MAX + 1))
        for _ in range(60):
            it = build_item(rng, hw, "prefetch_ready_in_step", I=I, Hd=hd, T=6, mode=V_,
                            rep_rows=2, directions="fwd", threshold=int(rng.integers(0, 40)),
                            x_density=0.7, h0_density=0.5)
            fit_rep_rows(hw, it)
            it.feat = FEAT_OVERLAP | FEAT_PREFETCH | extra
            p = it.params[0]
            steps = expect_x_phase(hw, gru_run(it, 0), p.W_ih, p.b_ih, it.x_seq).steps
            if any(st.overlap.encoder_wait == 0 and not st.overlap.ready_early
                   for st in steps[1:]):
                return it
            c = steps[int(rng.integers(0, len(steps) - 1))].product.compute_cycles
            I = min(hw.N_MAX, max(1, c + 1 - encoder_pad(hw, I) + int(rng.integers(-1, 2))))
        return None

    def items(self) -> Iterator[GruLayerItem]:
        hw, rng = self.hw, self.rng
        if not hw.feat_available & FEAT_PREFETCH:
            return
        hd, others = _feature_layer_dims(hw)
        shapes = [("ready_early", 1, hd, 6, N_, "fwd", 0),
                  ("ready_early_v", 2, hd, 5, V_, "bi", others),
                  ("encoder_bound", hw.N_MAX if small_hw(hw) else 64, max(1, hd // 4), 4, H_,
                   "bi", others),
                  ("t1", hw.V + 1, hd // 2 + 1, 1, V_, "bwd", others),
                  ("mixed", int(rng.integers(1, hw.N_MAX + 1)), int(rng.integers(1, hd + 1)),
                   int(rng.integers(3, 9)), V_, "bi", others),
                  # the feeder reads the last columns of the last vector: the end of XBUF
                  ("tmax_full", hw.N_MAX, max(1, hd // 8), geometry(hw).T_MAX, N_, "fwd", 0)]
        yield from shaped_items(rng, hw, "prefetch", shapes, FEAT_OVERLAP | FEAT_PREFETCH)
        exact = self.ready_in_step_item(max(1, hd // 2), others)
        if exact is not None:
            yield exact


class GruWideEncSequence(GruBaseSequence):
    """CFG_FEAT.WIDE_ENC (docs/gru-datapath.md 3): X phases whose encoder takes a whole mask word
    of x_t per cycle, serial, with OVERLAP and with OVERLAP + PREFETCH. The shapes: x_t filling
    every partition (I = N_MAX), partitions of B + 3 columns (a short last word each), I = V + 1
    (two-column partitions and empty trailing ones: pad words), a single column, a dense x_t
    (words of B non-zeros) and a sparse one (all-zero words); every steal mode, with and without
    NULL_SKIP | ROW_SKIP, bidirectional layers."""

    def items(self) -> Iterator[GruLayerItem]:
        hw, rng = self.hw, self.rng
        if not hw.feat_available & FEAT_WIDE_ENC:
            return
        hd, others = _feature_layer_dims(hw)
        ovl = hw.feat_available & FEAT_OVERLAP
        pre = ovl | (hw.feat_available & FEAT_PREFETCH)
        short = min(hw.N_MAX, hw.V * (hw.B + 3))
        # (name, I, Hd, T, mode, directions, features besides WIDE_ENC, x density)
        shapes = [("full_dense", hw.N_MAX, max(1, hd // 4), 3, H_, "fwd", 0, 1.0),
                  ("short_words", short, hd // 2 + 1, 3, V_, "bi", others | ovl, 0.5),
                  ("pad", hw.V + 1, hd // 2 + 1, 4, N_, "fwd", pre, 0.7),
                  ("single", 1, max(1, hd // 3), 2, V_, "bwd", others, 1.0),
                  ("sparse_prefetch", int(rng.integers(2, hw.N_MAX + 1)), hd, 5, V_, "bi",
                   pre | others, 0.05),
                  ("mixed", int(rng.integers(1, hw.N_MAX + 1)), int(rng.integers(1, hd + 1)),
                   int(rng.integers(2, 7)), H_, "bi", pre, 0.5)]
        yield from shaped_items(rng, hw, "wide", shapes, FEAT_WIDE_ENC)


class GruSplitSequence(GruBaseSequence):
    """CFG_FEAT.SPLIT in GRU phases (docs/gru-layer.md 8.5): every product of a phase runs the
    split replica ranges of the phase's image (the plan registers of rep_rows). Lane-row 0
    heavy weights and per-partition input densities that change every step give both steal
    modes work to take; X phases serial, with OVERLAP, with OVERLAP + PREFETCH and with
    WIDE_ENC, H phases (dependent products) in every layer, with and without NULL_SKIP |
    ROW_SKIP, bidirectional layers."""

    def items(self) -> Iterator[GruLayerItem]:
        hw, rng = self.hw, self.rng
        if not hw.feat_available & FEAT_SPLIT:
            return
        hd, others = _feature_layer_dims(hw)
        x_feats = [0, FEAT_OVERLAP, FEAT_OVERLAP | FEAT_PREFETCH,
                   FEAT_OVERLAP | FEAT_PREFETCH | FEAT_WIDE_ENC]
        I = min(hw.N_MAX, 3 * hw.V + 5)
        for i, x_feat in enumerate(x_feats):
            extra = x_feat & hw.feat_available
            for mode in (V_, H_):
                Hd = int(rng.integers(max(1, hd // 2), hd + 1))
                T = int(rng.integers(2, 6))
                yield _dynamic_steal_item(rng, hw, f"split_{mode.name.lower()}_{i}", I, Hd, T,
                                          mode, "bi" if i % 2 else "fwd", h0_density=0.7,
                                          feat=FEAT_SPLIT | extra | (others if i % 2 else 0))


class GruRunAheadSequence(GruBaseSequence):
    """CFG_FEAT.RUN_AHEAD (docs/gru-layer.md 8.6): X phases whose lanes enter the next product
    by themselves. Lane-row 0 heavy weights with inputs that change every step (the light lanes
    run ahead, in every steal mode, with shared and split replica ranges); a full-width x_t with
    a small Hd (lanes wait at the gate for the encoder); a large Hd with a short x_t (the output
    phase is long: lanes wait for the accumulator bank); T = 1 (every lane leaves the only
    product); WIDE_ENC; T = T_MAX. With and without NULL_SKIP | ROW_SKIP, bidirectional layers
    (both X phases run ahead; H phases started with the bit run as without it)."""

    def items(self) -> Iterator[GruLayerItem]:
        hw, rng = self.hw, self.rng
        if not hw.feat_available & FEAT_RUN_AHEAD:
            return
        hd, others = _feature_layer_dims(hw)
        ahead = FEAT_OVERLAP | FEAT_PREFETCH | FEAT_RUN_AHEAD
        I = min(hw.N_MAX, 3 * hw.V + 5)
        for i, (mode, extra) in enumerate([(N_, 0), (N_, others), (V_, others), (H_, 0),
                                           (V_, FEAT_SPLIT | others), (H_, FEAT_SPLIT)]):
            if extra & ~hw.feat_available:
                continue
            Hd = int(rng.integers(max(1, hd // 2), hd + 1))
            yield _dynamic_steal_item(rng, hw, f"ahead_skew_{mode.name.lower()}_{i}", I, Hd,
                                      int(rng.integers(3, 7)), mode, "bi" if i % 2 else "fwd",
                                      h0_density=0.7, feat=ahead | extra)
        wide = hw.feat_available & FEAT_WIDE_ENC
        shapes = [("encoder_bound", hw.N_MAX if small_hw(hw) else 64, max(1, hd // 4), 5, V_,
                   "fwd", others),
                  ("bank_bound", hw.V + 1, hd, 5, N_, "bi", 0),
                  ("t1", hw.V + 2, hd // 2 + 1, 1, V_, "bwd", others),
                  ("wide", int(rng.integers(1, hw.N_MAX + 1)), int(rng.integers(1, hd + 1)),
                   int(rng.integers(3, 8)), H_, "bi", wide | others),
                  ("tmax", int(rng.integers(1, hw.N_MAX + 1)), max(1, hd // 8),
                   geometry(hw).T_MAX, V_, "fwd", others)]
        yield from shaped_items(rng, hw, "ahead", shapes, ahead)
        feat = ahead | wide | (hw.feat_available & (FEAT_NULL_SKIP | FEAT_SCAN))
        yield self.back_to_back_item(feat, T=3, Hd=max(1, hw.H // 3))
        # the same with the phase's last two products: the last step still waits for its
        # output phase (two rows on some lanes: ceil(M/H) = 2 cycles)
        yield self.back_to_back_item(feat, T=2, Hd=hw.H // 3 + 1)

    def back_to_back_item(self, feat: int, T: int, Hd: int) -> GruLayerItem:
        """Product 1's compute ends in the cycle after product 0's (two SqSteps in a row): x_0
        is dense in partition 0 only, and there only the lanes with one row have weights, so
        those lanes end product 0 last, with the op of their last AG cycle still queued, when
        they enter product 1; x_1 is zero, so each of them then needs one claim and one AG
        cycle. The word-mode encoder (F = V + 1 cycles) has x_1 ready long before."""
        hw = self.hw
        P = min(hw.B, hw.V + 4)
        it = build_item(self.rng, hw, f"ahead_back_to_back_t{T}", I=hw.V * P, Hd=Hd, T=T,
                        mode=N_, rep_rows=0, directions="fwd", threshold=6, w_density=1.0,
                        x_density=1.0)
        W = it.params[0].W_ih
        W[W == 0] = 1
        for r in range(3 * Hd):
            if 3 * Hd - r % hw.H > hw.H:          # lane-row r mod H holds two rows or more
                W[r, :P] = 0
        it.x_seq[0, P:] = 0
        it.x_seq[1, :] = 0
        if T > 2:
            it.x_seq[2][it.x_seq[2] == 0] = 1
        it.feat = feat
        return it


def _dynamic_steal_item(rng: np.random.Generator, hw: HwConfig, name: str, I: int, Hd: int,
                        T: int, mode: StealMode, directions: str, h0_density: float = 0.0,
                        feat: int = 0) -> GruLayerItem:
    """A layer every step of which steals in ``mode``, differently: lane-row 0 heavy weights,
    per-partition input densities that change every step, the deepest replicas that fit. The
    CFG_FEAT bits are set before fitting (with SPLIT the split image decides what fits)."""
    it = build_item(rng, hw, name, I=I, Hd=Hd, T=T, mode=mode,
                    rep_rows=max_rep_rows(hw, 3 * Hd, mode), directions=directions, threshold=2,
                    h0_density=h0_density)
    for d in it.directions:
        it.params[d] = _skewed_params(rng, hw, I, Hd, it.shift, 0.9, 0.15)
    it.x_seq = _partition_masks(rng, hw, T, I)
    it.feat = feat
    fit_rep_rows(hw, it)
    return it


def _last_element_word(hw: HwConfig, n: int) -> tuple[int, bool]:
    """(mask word of element n-1 within its partition, its partition has two or more words)."""
    P = partition_width(hw, n)
    return ((n - 1) % P) // hw.B, words_per_row(hw, n) >= 2


def _skewed_params(rng: np.random.Generator, hw: HwConfig, I: int, Hd: int, shift: int,
                   heavy: float, light: float) -> GruParamsQ:
    """Rows of lane-row 0 dense, the others sparse: an imbalance horizontal stealing fixes."""
    def mat(cols: int) -> np.ndarray:
        rows = np.arange(3 * Hd)
        dens = np.where(rows % hw.H == 0, heavy, light)[:, None]
        keep = rng.random((3 * Hd, cols)) < dens
        return np.where(keep, rng.integers(-60, 61, (3 * Hd, cols)), 0).astype(np.int8)
    b = rng.integers(-128, 129, 3 * Hd).astype(np.int16)
    return GruParamsQ(mat(I), mat(Hd), b, b[::-1].copy(), shift)


def _partition_masks(rng: np.random.Generator, hw: HwConfig, T: int, I: int) -> np.ndarray:
    """(T, I) inputs whose density per partition changes every step (vertical imbalance)."""
    x = np.zeros((T, I), dtype=np.int16)
    for t in range(T):
        for v in range(hw.V):
            lo, hi = partition_bounds(hw, I, v)
            d = rng.choice([0.0, 0.1, 0.5, 1.0])
            keep = rng.random(hi - lo) < d
            x[t, lo:hi] = np.where(keep, rng.integers(-600, 601, hi - lo), 0)
    return x


def step0_h_raw(item: GruLayerItem, direction: int) -> np.ndarray:
    """h before the threshold at the first step the H phase processes (it reads h_0 as stored,
    so it does not depend on the threshold)."""
    p = item.params[direction]
    x0 = item.x_seq[0 if direction == 0 else item.T - 1]
    gx = matvec_q(p.W_ih, x0, p.b_ih, p.shift)
    gh = matvec_q(p.W_hh, item.h0[direction], p.b_hh, p.shift)
    _r, _z, _n, h = gru_gates_q(gx, gh, item.h0[direction], 0)
    return np.asarray(h, dtype=np.int64)


class GruCornerSequence(GruBaseSequence):
    """Named corners: T = 1, all-zero h (large threshold), all-zero x, single non-zeros, dense,
    maximum Hd and I, Hd = I = 1, sigmoid/tanh saturation (large weights), extreme thresholds,
    a threshold equal to some |h| (the strict compare), a plain product between two phases,
    dynamic stealing across steps in both modes, a long backward layer from a dense h_0."""

    def items(self) -> Iterator[GruLayerItem]:
        hw, rng = self.hw, self.rng
        geo = geometry(hw)
        small = small_hw(hw)
        I, Hd = (2 * hw.V * 3 + 1, hw.H * 3 - 1) if small else (3 * hw.V + 5, 2 * hw.H + 3)
        yield build_item(rng, hw, "corner_t1_bi", I=I, Hd=Hd, T=1, mode=V_, rep_rows=2,
                         directions="bi", threshold=4, h0_density=0.7)
        # every h_t is cut to zero; h_0 is dense and lane-row 0 heavy, so step 0 of the H phase
        # steals and the following (all-zero) steps do not
        zero_h = build_item(rng, hw, "corner_zero_h", I=I, Hd=Hd, T=5, mode=H_,
                            rep_rows=max_rep_rows(hw, 3 * Hd, H_), directions="bi",
                            threshold=32767, h0_density=1.0)
        for d in zero_h.directions:
            zero_h.params[d] = _skewed_params(rng, hw, I, Hd, zero_h.shift, 0.9, 0.1)
        fit_rep_rows(hw, zero_h)
        yield zero_h
        yield build_item(rng, hw, "corner_zero_x", I=I, Hd=Hd, T=4, mode=N_, rep_rows=0,
                         directions="fwd", x_density=0.0, h0_density=1.0, threshold=0)
        single = build_item(rng, hw, "corner_single_nz", I=I, Hd=Hd, T=4, mode=H_, rep_rows=1,
                            directions="bwd", x_density=0.0, threshold=0)
        for t in range(single.T):
            single.x_seq[t, int(rng.integers(0, I))] = int(rng.choice([-700, 700]))
        single.h0[1] = np.zeros(Hd, dtype=np.int16)
        single.h0[1][Hd - 1] = 300
        yield single
        dense_hd = max(1, min(geo.HD_MAX, 12 if small else 24))
        yield build_item(rng, hw, "corner_dense", I=min(hw.N_MAX, 20 if small else 40),
                         Hd=dense_hd, T=3, mode=H_, rep_rows=4, directions="bi", w_density=1.0,
                         x_density=1.0, w_max=20, threshold=0, h0_density=1.0)
        yield build_item(rng, hw, "corner_max_dims", I=hw.N_MAX, Hd=geo.HD_MAX, T=2, mode=V_,
                         rep_rows=max_rep_rows(hw, 3 * geo.HD_MAX, V_), directions="fwd",
                         w_density=0.03 if not small else 0.1, x_density=0.5, threshold=16)
        yield build_item(rng, hw, "corner_saturation", I=I, Hd=Hd, T=4, mode=N_, rep_rows=0,
                         directions="bi", w_density=0.8, w_max=127, shift=1, b_max=8000,
                         a_max=4000, x_density=0.9, threshold=0, h0_density=1.0, h0_max=256)
        # one element: every other partition is the encoder's zero pad words (checked in the RFs)
        yield build_item(rng, hw, "corner_hd1_i1", I=1, Hd=1, T=3, mode=N_, rep_rows=0,
                         directions="bwd", threshold=1, h0_density=1.0, tags=(ACT_RF_TAG,))
        yield build_item(rng, hw, "corner_thr_large_t_max", I=max(1, I // 2), Hd=max(1, Hd // 2),
                         T=geo.T_MAX, mode=V_, rep_rows=1, directions="bwd",
                         threshold=int(rng.integers(1024, 32767)), h0_density=1.0, h0_max=30000)
        yield build_item(rng, hw, "corner_thr_mid", I=I, Hd=Hd, T=12, mode=H_, rep_rows=3,
                         directions="fwd", threshold=int(rng.integers(40, 120)), w_density=0.6)
        yield self.thr_edge_item("corner_thr_equals_h", I, Hd)
        inter = build_item(rng, hw, "corner_matvec_between_phases", I=I, Hd=Hd, T=4, mode=H_,
                           rep_rows=2, directions="bi", threshold=3, h0_density=0.5)
        stim = random_layer(rng, hw, mode=V_, dims="odd", max_m=min(hw.M_MAX, 40),
                            max_n=min(hw.N_MAX, 40), w_density=0.4, a_density=0.7,
                            name="interlude")
        inter.interlude = (stim.W, stim.x, stim.bias, stim.layer)
        yield inter
        for mode in (V_, H_):
            T = 8
            yield _dynamic_steal_item(rng, hw, f"corner_dynamic_steal_{mode.name.lower()}", I,
                                      Hd, T, mode, "bi")
        yield build_item(rng, hw, "corner_t_max_bwd_dense_h0", I=max(1, I // 2), Hd=Hd,
                         T=geo.T_MAX, mode=H_, rep_rows=2, directions="bwd", threshold=10,
                         w_density=0.3, x_density=np.linspace(0.0, 1.0, geo.T_MAX),
                         h0_density=1.0, h0_max=2000)
        # x_t's last element in word 0 of a two-word partition: the encoder leaves the stream
        # mid-partition and pads that partition's last word (no other layer reaches it). Last,
        # so the items before keep their random draws.
        word0 = [n for n in range(1, hw.N_MAX + 1) if _last_element_word(hw, n) == (0, True)]
        if word0:
            yield build_item(rng, hw, "corner_last_x_in_word0", I=word0[0], Hd=Hd, T=2,
                             mode=V_, rep_rows=1, directions="fwd", threshold=2, x_density=0.9,
                             tags=(ACT_RF_TAG,))

    def thr_edge_item(self, name: str, I: int, Hd: int) -> GruLayerItem:
        """A layer whose threshold equals |h| of some neuron at the first step: ``|h| < thr``
        keeps that value, ``|h| <= thr`` would cut it (a threshold-compare mutation)."""
        for _ in range(20):
            it = build_item(self.rng, self.hw, name, I=I, Hd=Hd, T=3, mode=V_, rep_rows=1,
                            directions="bi", threshold=0, h0_density=0.8, w_density=0.7)
            mags = np.abs(np.concatenate([step0_h_raw(it, d) for d in it.directions]))
            mags = mags[(mags > 0) & (mags <= 32767)]
            if len(mags):
                it.threshold = int(mags.min())
                it.tags.add("thr_equals_h")
                return it
        raise RuntimeError("no layer with a non-zero h at step 0 in 20 draws")


class GruErrorSequence(GruBaseSequence):
    """Codes 9-12 (and 2, 3, 4, 6 on GRU starts and memories): every illegal start after a legal
    layer filled every memory, each checking that nothing changed; a reset in the middle of an
    X phase; then a legal layer again; a reset in an H phase's element-wise pass."""

    def cases(self) -> list[GruErrCase]:
        hw = self.hw
        geo = geometry(hw)
        R = -(-3 * geo.HD_MAX // hw.H)
        X, H = CTRL_GRU_X, CTRL_GRU_H
        return [
            GruErrCase("seq_len_t0", {"CFG_GRU_T": 0}, X, ERR_SEQ_LEN, PHASE_X),
            GruErrCase("seq_len_over", {"CFG_GRU_T": geo.T_MAX + 1}, H, ERR_SEQ_LEN, PHASE_H),
            GruErrCase("seq_len_high_bits", {"CFG_GRU_T": 0x10000 | 2}, X, ERR_SEQ_LEN, PHASE_X),
            GruErrCase("thr_32768", {"CFG_GRU_THR": 32768}, H, ERR_THR, PHASE_H),
            GruErrCase("thr_high_bits", {"CFG_GRU_THR": 0x10000}, X, ERR_THR, PHASE_X),
            GruErrCase("dim_i0", {"CFG_GRU_I": 0}, X, ERR_GRU_DIM, PHASE_X),
            GruErrCase("dim_i_over", {"CFG_GRU_I": hw.N_MAX + 1}, H, ERR_GRU_DIM, PHASE_H),
            GruErrCase("dim_hd0", {"CFG_GRU_HD": 0}, H, ERR_GRU_DIM, PHASE_H),
            GruErrCase("dim_hd_over", {"CFG_GRU_HD": geo.HD_MAX + 1}, X, ERR_GRU_DIM, PHASE_X),
            GruErrCase("cmd_x_and_h", {}, X | H, ERR_CMD, PHASE_X),
            GruErrCase("cmd_start_and_x", {}, CTRL_START | X, ERR_CMD, PHASE_X),
            GruErrCase("cmd_start_and_h", {}, CTRL_START | H, ERR_CMD, PHASE_H),
            GruErrCase("cmd_all_three", {}, CTRL_START | X | H, ERR_CMD, PHASE_H),
            # check order 8.5: busy, 12, 11, 9, 10, mode, slots
            GruErrCase("order_cmd_before_dim", {"CFG_GRU_I": 0}, X | H, ERR_CMD, PHASE_X),
            GruErrCase("order_dim_before_len", {"CFG_GRU_HD": 0, "CFG_GRU_T": 0}, H,
                       ERR_GRU_DIM, PHASE_H),
            GruErrCase("order_len_before_thr", {"CFG_GRU_T": 0, "CFG_GRU_THR": 40000}, X,
                       ERR_SEQ_LEN, PHASE_X),
            GruErrCase("order_thr_before_mode", {"CFG_GRU_THR": 40000, "CFG_MODE": 3}, H,
                       ERR_THR, PHASE_H),
            GruErrCase("mode_dir2", {"CFG_GRU_DIR": 2}, H, ERR_MODE, PHASE_H),
            GruErrCase("mode_3", {"CFG_MODE": 3}, X, ERR_MODE, PHASE_X),
            GruErrCase("mode_shift16", {"CFG_SHIFT": 16}, H, ERR_MODE, PHASE_H),
            GruErrCase("slots_3hd", {"CFG_GRU_HD": geo.HD_MAX, "CFG_MODE": 2,
                                     "CFG_REP_ROWS": R}, X, ERR_SLOTS, PHASE_X),
            GruErrCase("mem_write_gx", {}, 0, ERR_MEM_RANGE, PHASE_X, ((MEM_GX, 0, True),)),
            GruErrCase("mem_write_hout", {}, 0, ERR_MEM_RANGE, PHASE_X, ((MEM_HOUT, 1, True),)),
            GruErrCase("mem_write_step", {}, 0, ERR_MEM_RANGE, PHASE_X, ((MEM_STEP, 2, True),)),
            GruErrCase("mem_xbuf_over", {}, 0, ERR_MEM_RANGE, PHASE_X,
                       ((MEM_XBUF, geo.xbuf_depth, True),)),
            GruErrCase("mem_hbuf_over", {}, 0, ERR_MEM_RANGE, PHASE_X,
                       ((MEM_HBUF, geo.hbuf_depth, False),)),
            GruErrCase("mem_hout_over", {}, 0, ERR_MEM_RANGE, PHASE_X,
                       ((MEM_HOUT, geo.hout_depth, False),)),
            # 13 is the split plan registers (per lane); 14-15 are unknown selects
            GruErrCase("mem_sel14", {}, 0, ERR_MEM_RANGE, PHASE_X, ((14, 0, False),)),
            # 8.3: 0x2B and above stay unknown (0x2A is CAPS5); GRU_STEPS .. CAPS5 are read-only
            GruErrCase("reg_unknown_0x2b", {}, 0, ERR_REG, PHASE_X, reg_ops=(0x2B,)),
            GruErrCase("reg_ro_caps5", {}, 0, ERR_REG, PHASE_X, reg_ops=(0x2A,)),
            GruErrCase("reg_unknown_0x3f", {}, 0, ERR_REG, PHASE_X, reg_ops=(0x3F,)),
            GruErrCase("reg_ro_gru_steps", {}, 0, ERR_REG, PHASE_X, reg_ops=(0x25,)),
            GruErrCase("reg_ro_perf_gru_cycles", {}, 0, ERR_REG, PHASE_X, reg_ops=(0x26,)),
            GruErrCase("reg_ro_caps4", {}, 0, ERR_REG, PHASE_X, reg_ops=(0x29,)),
        ]

    def wptr_beside_drain(self) -> GruLayerItem:
        """ERR_WPTR in step 1 of an overlapped X phase (CFG_FEAT.OVERLAP), while product 0's
        output phase still runs: x_0 is all zero (no op, no abort in step 0), x_1 feeds column
        0, whose row 0 is pointed past WDEPTH; one input and the largest Hd make the output
        phase longer than encoding x_1, so the abort cuts it short (docs/gru-layer.md 8.6)."""
        hw = self.hw
        it = build_item(self.rng, hw, "err_wptr_beside_drain", I=1, Hd=geometry(hw).HD_MAX, T=3,
                        mode=N_, rep_rows=0, directions="fwd", threshold=6, w_density=0.6,
                        x_density=0.8)
        it.x_seq[0, :] = 0
        it.x_seq[1, 0] = 100
        it.params[0].W_ih[0, 0] = 17               # lane (0, 0) reaches the bad row first
        it.feat = FEAT_OVERLAP
        it.err = GruErrCase("wptr_beside_drain", {}, PHASE_CTRL[PHASE_X], ERR_WPTR, PHASE_X,
                            wptr=True, wptr_step=1)
        return it

    def wptr_mid_prefetch(self) -> GruLayerItem:
        """ERR_WPTR in product 0 of an X phase with PREFETCH, while the encoder streams x_1 into
        the other RF set (a full-width x_t takes I cycles, the abort comes in the first compute
        cycles): the drain cycle must clear the encoder, so nothing is written after the phase
        and the next layer's encoder starts idle (docs/gru-layer.md 8.6)."""
        hw = self.hw
        it = build_item(self.rng, hw, "err_wptr_mid_prefetch", I=hw.N_MAX, Hd=hw.H + 1, T=3,
                        mode=N_, rep_rows=0, directions="fwd", threshold=6, w_density=0.6,
                        x_density=0.8)
        it.x_seq[0, 0] = 100
        it.params[0].W_ih[0, 0] = 17               # lane (0, 0) reaches the bad row first
        it.feat = FEAT_OVERLAP | FEAT_PREFETCH
        it.err = GruErrCase("wptr_mid_prefetch", {}, PHASE_CTRL[PHASE_X], ERR_WPTR, PHASE_X,
                            wptr=True)
        return it

    def wptr_run_ahead(self) -> GruLayerItem:
        """ERR_WPTR under RUN_AHEAD from a lane that ran ahead: x_0 is zero in partition 0 and
        dense elsewhere, so the lanes of partition 0 finish product 0 at once and enter product
        1 when x_1 is encoded, while the other lanes still compute product 0 (the largest Hd,
        a full-width x_t); lane (0, 0)'s row 0, pointed past WDEPTH, has work in product 1 only.
        The phase aborts before any step ends: GRU_STEPS = 0, GX and y unchanged
        (docs/gru-layer.md 8.6)."""
        hw = self.hw
        hd, _ = _feature_layer_dims(hw)
        it = build_item(self.rng, hw, "err_wptr_run_ahead", I=hw.N_MAX, Hd=hd, T=3, mode=N_,
                        rep_rows=0, directions="fwd", threshold=6, w_density=0.6,
                        x_density=1.0)
        lo, hi = partition_bounds(hw, it.I, 0)
        it.x_seq[0, lo:hi] = 0
        it.x_seq[1, 0] = 100
        it.params[0].W_ih[0, 0] = 17               # lane (0, 0)'s row 0 has work in product 1
        it.feat = FEAT_OVERLAP | FEAT_PREFETCH | FEAT_RUN_AHEAD
        it.err = GruErrCase("wptr_run_ahead", {}, PHASE_CTRL[PHASE_X], ERR_WPTR, PHASE_X,
                            wptr=True, wptr_ahead=True)
        return it

    def reset_item(self) -> GruLayerItem:
        """rst_ni in step 1 of an X phase, while the encoder streams x_1 (dense: a write every
        cycle) and, with OVERLAP, product 0's output phase runs beside it (a large Hd makes it
        longer than encoding a short x_t); every CFG_* and CFG_GRU_* register off its reset
        value (backward direction, shift 5, every v2 feature the build has except SPLIT). The
        driver checks the registers, mem_rdata_o and every activation-RF word after the reset,
        then runs the layer again from the X phase's start (tb.gru.agent reset_mid_phase)."""
        hw = self.hw
        hd = geometry(hw).HD_MAX if small_hw(hw) else 48          # ceil(3Hd/H) >= 16 cycles
        it = build_item(self.rng, hw, "err_reset_mid_x", I=hw.V + 3, Hd=hd,
                        T=3, mode=V_, rep_rows=1, directions="bwd", threshold=6, shift=5,
                        x_density=1.0, h0_density=0.5, tags=(ACT_RF_TAG,))
        it.feat = hw.feat_available & GRU_FEATS
        it.reset_step = 1
        return it

    def reset_prefetch_item(self) -> GruLayerItem:
        """rst_ni while the PREFETCH feeder streams x_1 into the second RF set beside product 0
        (a dense x_1, the largest Hd so that product 0 still computes): the feeder, the RF-set
        registers and the encoder must all return to idle, so the phase reruns cleanly from its
        start (tb.gru.agent reset_mid_phase; set 0 holds the image and x_0)."""
        hw = self.hw
        hd = geometry(hw).HD_MAX if small_hw(hw) else 48
        it = build_item(self.rng, hw, "err_reset_mid_prefetch", I=min(hw.N_MAX, 4 * hw.V + 9),
                        Hd=hd, T=3, mode=V_, rep_rows=1, directions="bwd", threshold=6,
                        shift=5, x_density=1.0, h0_density=0.5, tags=(ACT_RF_TAG,))
        it.feat = (hw.feat_available & GRU_FEATS) | FEAT_PREFETCH
        it.reset_step = 1
        return it

    def reset_h_item(self) -> GruLayerItem:
        """rst_ni in step 0's element-wise pass of a forward H phase (t = 0), after w cell
        outputs reached HBUF and HOUT, every CFG_* and CFG_GRU_* register but CFG_GRU_DIR off its
        reset value. w (1 .. Hd-2, near Hd/2) leaves output w+1 in the cell's second stage with
        h_t[w+1] != h_t[0] != h_0[0]: a stage register that ignores rst_ni writes it over
        HBUF[0] / HOUT[0][0][0] in the reset, which the driver's checks see (tb.gru.agent
        reset_mid_cell_pass). The H phase then runs again from a clean load."""
        from tb.gru.checks import golden_traces
        hw = self.hw
        Hd = hw.H + 2
        for _ in range(20):
            it = build_item(self.rng, hw, "err_reset_mid_h_pass", I=hw.V + 1, Hd=Hd, T=2,
                            mode=V_, rep_rows=1, directions="fwd", threshold=6, shift=5,
                            w_density=0.6, x_density=0.8, h0_density=0.5)
            h = golden_traces(it)[0][0].h[0]
            if h[0] == it.h0[0][0]:
                continue
            for w in sorted(range(1, Hd - 1), key=lambda w: abs(w - Hd // 2)):
                if h[w + 1] != h[0]:
                    it.feat = hw.feat_available & GRU_FEATS
                    it.reset_step, it.reset_phase, it.reset_written = 0, PHASE_H, w
                    return it
        raise RuntimeError("no layer with h_t[w+1] != h_t[0] != h_0[0] in 20 draws")

    def base(self, name: str, busy_inject: Optional[str] = None) -> GruLayerItem:
        hw = self.hw
        it = build_item(self.rng, hw, name, I=hw.V + 5, Hd=hw.H + 1, T=3, mode=V_, rep_rows=1,
                        directions="bi", threshold=6, h0_density=0.5)
        it.busy_inject = busy_inject
        return it

    def items(self) -> Iterator[GruLayerItem]:
        base = self.base("err_base_layer")
        yield base
        for case in self.cases():
            it = GruLayerItem(f"err_{case.name}")
            for attr in ("I", "Hd", "T", "mode", "rep_rows", "shift", "threshold", "directions",
                         "params", "h0", "x_seq", "junk_x", "cfg_mn"):
                setattr(it, attr, getattr(base, attr))
            it.err = case
            yield it
        # ERR_WPTR (7) aborts the whole phase: its own layer in steal mode none
        wl = build_item(self.rng, self.hw, "err_wptr_layer", I=self.hw.V + 5, Hd=self.hw.H + 1,
                        T=3, mode=N_, rep_rows=0, directions="fwd", threshold=6,
                        w_density=0.6, x_density=0.8)
        wl.x_seq[0, 0] = 100                      # step 0 surely has work
        for phase in (PHASE_X, PHASE_H):
            it = GruLayerItem(f"err_wptr_abort_{phase.lower()}")
            for attr in ("I", "Hd", "T", "mode", "rep_rows", "shift", "threshold", "directions",
                         "params", "h0", "x_seq", "junk_x", "cfg_mn"):
                setattr(it, attr, getattr(wl, attr))
            if phase == PHASE_H:
                it.h0 = {0: np.full(it.Hd, 64, dtype=np.int16)}      # h_0 dense: work at s=0
            it.err = GruErrCase(f"wptr_abort_{phase.lower()}", {}, PHASE_CTRL[phase], ERR_WPTR,
                                phase, wptr=True)
            yield it
        if self.hw.feat_available & FEAT_OVERLAP:
            yield self.wptr_beside_drain()
        yield self.base("err_busy_start_layer", busy_inject="start")
        yield self.base("err_busy_mem_layer", busy_inject="mem")
        yield self.reset_item()
        yield self.base("err_recovery_layer")
        # last, so every draw above stays as it was
        yield self.reset_h_item()
        both = FEAT_OVERLAP | FEAT_PREFETCH
        if self.hw.feat_available & both == both:
            yield self.wptr_mid_prefetch()
            yield self.base("err_after_prefetch_abort_layer")
            yield self.reset_prefetch_item()
        if self.hw.feat_available & FEAT_RUN_AHEAD:
            yield self.wptr_run_ahead()
            # runs ahead too, right after the aborted run-ahead phase: its product 0 computes
            # into accumulator bank 0 (the aborted phase's product 0 took bank 1), which the
            # output unit must follow
            after = self.base("err_after_run_ahead_abort_layer")
            after.feat = FEAT_OVERLAP | FEAT_PREFETCH | FEAT_RUN_AHEAD
            yield after


class GruFrontdoorSequence(GruBaseSequence):
    """Frontdoor loads (lane image, XBUF, HBUF over the memory port) and bus reads of XBUF,
    HOUT, GX, HBUF, STEP and the GRU registers (checked against the dump), then the same layer
    through the backdoor."""

    def items(self) -> Iterator[GruLayerItem]:
        hw, rng = self.hw, self.rng
        yield build_item(rng, hw, "fd_bi", I=hw.V + 3, Hd=hw.H + 2, T=3, mode=V_, rep_rows=1,
                         directions="bi", threshold=5, h0_density=0.6, load=LOAD_FRONTDOOR)
        fwd = build_item(rng, hw, "fd_fwd_over_stale", I=3, Hd=2, T=2, mode=H_, rep_rows=1,
                         directions="fwd", threshold=0, h0_density=1.0, load=LOAD_FRONTDOOR)
        yield fwd
        again = build_item(rng, hw, "bd_same_layer", I=3, Hd=2, T=2, mode=H_, rep_rows=1,
                           directions="fwd", load=LOAD_BACKDOOR)
        for attr in ("rep_rows", "threshold", "params", "h0", "x_seq", "junk_x", "cfg_mn"):
            setattr(again, attr, getattr(fwd, attr))
        yield again


__all__ = ["GruBaseSequence", "GruSmokeSequence", "GruRandomSequence", "GruCornerSequence",
           "GruErrorSequence", "GruFrontdoorSequence"]
