"""Sequences: each builds MatvecItems from tb.matvec.stimulus generators.

The test creates ``MasrBaseSequence`` through the pyuvm factory; each test variant overrides that
type with one of the subclasses below.  ``hw`` (HwConfig) and ``rng`` (numpy Generator seeded
from cocotb.RANDOM_SEED) are set by the test before ``start``; nothing else is random.
"""
from __future__ import annotations

from typing import Iterator, Optional

import numpy as np
from pyuvm import uvm_sequence

from golden.config import (FEAT_DEFINED, FEAT_NULL_SKIP, FEAT_OVERLAP, FEAT_PREFETCH,
                           FEAT_ROW_SKIP, FEAT_RUN_AHEAD, FEAT_SCAN, FEAT_SPLIT, HwConfig,
                           LayerConfig, StealMode, check_split_plan, feat_with_needs, rows_of_lane)
from golden.encode import encode_matvec, random_sparse_layer, split_plan
from golden.errors import ImageError, SpecError
from golden.perf_v2 import simulate_product_run, split_events
from golden.perf import simulate_matvec
from tb.matvec import stimulus as st
from tb.matvec.bins import (A_DENS, SLOTS_BOUNDARY_TAG, STEAL_CLASSES, STEAL_MODE_OF, W_DENS,
                            axis_length, class_cells, mode_name, one_side_slots_overflow,
                            slots_boundary_bins, split_boundary_possible)
from tb.matvec.coverage import reachable_axis_combos, reachable_split_bins
from tb.matvec.items import (ERR_BUSY_MEM, ERR_BUSY_START, ERR_DIM, ERR_MEM_RANGE, ERR_MODE, ERR_REG,
                          ERR_SLOTS, ERR_WPTR, INJ_BUSY_MEM, INJ_BUSY_START, INJ_FIRST_WINS,
                          INJ_MEM_BOUNDARY, INJ_MEM_RANGE, INJ_PLAN, INJ_REG, INJ_RESET, INJ_WPTR, INJ_WPTR_RESTART,
                          LOAD_BACKDOOR,
                          LOAD_FRONTDOOR, LOAD_NONE, MatvecItem)

V_, H_, N_ = StealMode.VERTICAL, StealMode.HORIZONTAL, StealMode.NONE


class ItemSequence(uvm_sequence):
    """Sends what ``items()`` yields, in order; the test sets ``hw`` and ``rng`` before start.
    (The base of both the matrix-vector and the GRU sequences.)"""

    def __init__(self, name: str = "masr_seq") -> None:
        super().__init__(name)
        self.hw: Optional[HwConfig] = None
        self.rng: Optional[np.random.Generator] = None
        self.sent: list = []

    async def body(self) -> None:
        assert self.hw is not None and self.rng is not None, "test must set seq.hw and seq.rng"
        for item in self.items():
            await self.start_item(item)
            await self.finish_item(item)
            self.sent.append(item)

    def items(self) -> Iterator:
        raise NotImplementedError


class MasrBaseSequence(ItemSequence):
    """Default body: a handful of random layers in every steal mode."""

    n_layers = 6

    def items(self) -> Iterator[MatvecItem]:
        for i in range(self.n_layers):
            stim = st.random_layer(self.rng, self.hw, mode=(N_, V_, H_)[i % 3], name=f"base_{i}")
            yield MatvecItem.from_stimulus(stim)


class SmokeSequence(MasrBaseSequence):
    """Three small products (no stealing, vertical, horizontal), reading back a sample."""

    def items(self) -> Iterator[MatvecItem]:
        hw, rng = self.hw, self.rng
        M, N = min(hw.M_MAX, 3 * hw.H + 1), min(hw.N_MAX, 2 * hw.V * hw.B + 5)
        for i, mode in enumerate((N_, V_, H_)):
            stim = st.random_layer(rng, hw, mode=mode, dims="max", max_m=M, max_n=N,
                                   w_density=0.3, a_density=0.6, skew=0.1,
                                   rep_rows=None if mode != N_ else 0, name=f"smoke_{mode.name.lower()}")
            yield MatvecItem.from_stimulus(stim, check_sample=True)


class RandomSequence(MasrBaseSequence):
    """Constrained-random layers: dims, densities, skew, mode, rep_rows, shift, value ranges."""

    n_layers = 24

    def items(self) -> Iterator[MatvecItem]:
        for i in range(self.n_layers):
            dims = self.rng.choice(["random", "random", "odd", "aligned", "max", "tiny"])
            stim = st.random_layer(self.rng, self.hw, dims=str(dims), name=f"random_{i}")
            yield MatvecItem.from_stimulus(stim, check_sample=(i % 8 == 0))


class PaperWorkloadSequence(MasrBaseSequence):
    """The paper's recurrent product: 800 x 800 (clipped to the array's capacity), 10 % weight
    and 50 % activation density, the same data in every steal mode with about 10 % of each
    lane-row's rows replicated (the paper's ~10 % duplicated weights).  Counters and lane
    statistics are checked cycle-exact against golden.perf like every product, so this is the
    RTL evidence behind docs/perf-model.md's paper-scale figures."""

    size, w_density, a_density, replicated = 800, 0.1, 0.5, 0.1

    def items(self) -> Iterator[MatvecItem]:
        hw, rng = self.hw, self.rng
        M, N = min(self.size, hw.M_MAX), min(self.size, hw.N_MAX)
        W, x, bias = random_sparse_layer(rng, M, N, self.w_density, self.a_density, skew=0.1)
        rep_rows = max(1, round(self.replicated * -(-M // hw.H)))
        for mode in (N_, V_, H_):
            layer = st.shrink_to_fit(W, hw, LayerConfig(M, N, mode, 0 if mode == N_ else rep_rows))
            stim = st.Stimulus(f"paper_{M}x{N}_{mode.name.lower()}", W, x, bias, layer, {"paper"})
            yield MatvecItem.from_stimulus(stim)


STEAL_PATTERNS = ("victim_center", "victim_near_edge", "victim_edge", "gradient", "alternating",
                  "random")
# (light-lane relative load, activation density): sparse/mid/dense weights x activations, so
# steal events are crossed with every sparsity bin
DENSITY_GRID = ((0.08, 0.2), (0.08, 1.0), (0.3, 0.25), (0.3, 0.6), (0.6, 0.5), (0.6, 1.0),
                (0.6, 0.25), (0.3, 1.0))


class StealModeSequence(MasrBaseSequence):
    """Random and deliberately unbalanced layers in one steal mode, plus time steps."""

    mode: StealMode = N_
    n_random = 4
    n_steps = 4

    def items(self) -> Iterator[MatvecItem]:
        hw, rng, mode = self.hw, self.rng, self.mode
        small = hw.n_lanes <= 16           # the bring-up array simulates ~30x faster
        for i in range(self.n_random * (2 if small else 1)):
            stim = st.random_layer(rng, hw, mode=mode, name=f"{mode.name.lower()}_random_{i}",
                                   skew=float(rng.choice([0.05, 0.1, 0.2])))
            yield MatvecItem.from_stimulus(stim)
        if mode == N_:
            for pat in STEAL_PATTERNS:
                yield MatvecItem.from_stimulus(st.steal_layer(rng, hw, H_, pat, name=f"none_{pat}")
                                               .with_mode(N_))
            return
        for pat in STEAL_PATTERNS:
            for rep in ((1, None) if small or pat in ("victim_center", "victim_near_edge") else (None,)):
                yield MatvecItem.from_stimulus(st.steal_layer(rng, hw, mode, pat, rep_rows=rep))
        grid = DENSITY_GRID if small else [DENSITY_GRID[i] for i in
                                           rng.choice(len(DENSITY_GRID), 4, replace=False)]
        for light, ad in grid:
            stim = st.steal_layer(rng, hw, mode, str(rng.choice(["victim_center", "alternating"])),
                                  M=hw.M_MAX // 2, light=light, a_density=ad,
                                  base=0.9 if light >= 0.3 else None)
            yield MatvecItem.from_stimulus(stim)
        yield MatvecItem.from_stimulus(st.steal_layer(rng, hw, mode, "victim_center", zero_tail=True))
        yield MatvecItem.from_stimulus(st.steal_layer(rng, hw, mode, "gradient", zero_tail=True))
        yield MatvecItem.from_stimulus(st.balanced_layer(rng, hw, mode))
        if axis_length(hw, mode) >= 3:
            yield MatvecItem.from_stimulus(st.rr_contention_layer(rng, hw, mode))
        for stim in st.time_steps(rng, hw, mode, self.n_steps, name=f"tsteps_{mode.name.lower()}"):
            yield MatvecItem.from_stimulus(stim)


class StealSweepSequence(MasrBaseSequence):
    """The same layers in mode none and in both stealing modes at a range of replica depths, so
    the RTL measures stealing speedup against duplicated weight storage on identical data
    (``make explore``, figure 3, pairs these products by layer)."""

    n_layers = 2
    depths = (1, 2, 3, 4, 6, 8)

    def items(self) -> Iterator[MatvecItem]:
        hw, rng = self.hw, self.rng
        for k in range(self.n_layers):
            base = st.random_layer(rng, hw, mode=N_, dims="max", w_density=0.1, a_density=0.5,
                                   rep_rows=0, name=f"sweep{k}_none")
            yield MatvecItem.from_stimulus(base)
            for mode in (V_, H_):
                for q in self.depths:
                    if q > st.max_rep_rows(hw, base.M, mode):
                        break
                    stim = base.with_mode(mode, q)
                    if not st.fits(stim.W, hw, stim.layer):
                        break                  # weight SRAM full: deeper replicas cannot fit either
                    stim.name = f"sweep{k}_{mode.name.lower()}_q{q}"
                    yield MatvecItem.from_stimulus(stim)


class StealNoneSequence(StealModeSequence):
    """Mode none (the comparison baseline): random layers and the unbalanced patterns, which
    must produce no steal at all."""

    mode = N_
    n_random = 6


def split_item(stim: st.Stimulus, hw: HwConfig, placement: str,
               name: Optional[str] = None) -> Optional[MatvecItem]:
    """The stimulus run with CFG_FEAT.SPLIT and an explicit plan: the uniform plan of its
    rep_rows, or the load plan (10 % duplication budget water-filled onto the heaviest lanes;
    a smaller budget where that overflows SLOTS). None if no plan fits."""
    L = stim.layer
    layer = LayerConfig(L.M, L.N, L.mode, L.rep_rows, L.shift, L.feat | FEAT_SPLIT)
    for budget in ((0.1, 0.05, 0.02) if placement == "load" else (None,)):
        try:
            plan = (split_plan(stim.W, hw, layer, "load", budget) if placement == "load"
                    else split_plan(stim.W, hw, layer))
            check_split_plan(hw, layer, plan)
        except SpecError:
            continue
        item = MatvecItem.from_stimulus(
            st.Stimulus(name or f"{stim.name}_split_{placement}", stim.W, stim.x, stim.bias,
                        layer, set(stim.tags) | {f"split:{placement}"}))
        item.plan = plan
        # The sample includes plan registers (mem_sel 13): without it no regression test read
        # them back, and a read enable that left MEM_PLAN out survived (issue #16).
        item.check_sample = True
        return item
    return None


def split_item_events(item: MatvecItem, hw: HwConfig) -> set[tuple[str, str]]:
    """(split event, mode) bins the golden model says the item reaches."""
    run, rplan = simulate_product_run(item.W != 0, item.x != 0, hw, item.layer, item.plan)
    return {(ev, mode_name(item.layer.mode)) for ev in split_events(run, rplan)}


class SplitStealSequence(MasrBaseSequence):
    """CFG_FEAT.SPLIT (issue #12): unbalanced layers in both steal directions with the uniform
    and the load replica plan, then a model-guided pass until every reachable split corner
    (masr.split: a range emptied by its thief so the owner's head jumps over it, owner and thief
    meeting inside a range, a victim with ranges of different sizes losing rows, both thieves
    granted in one cycle, a LAST_ROW_RACE from one range alone) is reached in both modes."""

    hunt_tries = 40

    def items(self) -> Iterator[MatvecItem]:
        hw, rng = self.hw, self.rng
        modes = [m for m in (V_, H_) if axis_length(hw, m) >= 2]
        want = reachable_split_bins(hw)
        got: set[tuple[str, str]] = set()
        small = hw.n_lanes <= 16
        for mode in modes:
            for k, pat in enumerate(("victim_center", "alternating", "gradient")[:3 if small else 2]):
                stim = st.steal_layer(rng, hw, mode, pat)
                for placement in ("uniform", "load"):
                    item = split_item(stim, hw, placement)
                    if item is not None:
                        got |= split_item_events(item, hw)
                        yield item
        # model-guided closure: draw unbalanced layers until the missing corners are reached
        for ev, mname in sorted(want - got):
            if (ev, mname) in got:
                continue
            mode = V_ if mname == mode_name(V_) else H_
            # A race on one range alone is rare (~5 % of draws on 4x2 horizontal): more tries.
            tries = self.hunt_tries * (4 if ev.startswith("race_range") else 1)
            for t in range(tries):
                pat = str(rng.choice(STEAL_PATTERNS[:-1]))
                stim = st.steal_layer(rng, hw, mode, pat, light=float(rng.choice([0.0, 0.08, 0.3])),
                                      name=f"split_hunt_{ev}_{mname}_{t}")
                item = split_item(stim, hw, "load" if ev == "uneven_victim" else
                                  str(rng.choice(["uniform", "load"])))
                if item is None:
                    continue
                reached = split_item_events(item, hw)
                if (ev, mname) in reached:
                    got |= reached
                    yield item
                    break


class StealVerticalSequence(StealModeSequence):
    mode = V_


class StealHorizontalSequence(StealModeSequence):
    mode = H_


class CornerSequence(MasrBaseSequence):
    """Every encoding corner and every stealing corner pattern, back to back, then a
    model-guided closure pass: for (steal event, axis position, mode) bins the items so far did
    not reach, draw candidate layers until the golden model says one reaches them."""

    # Items the closure pass may add (simulation time), and golden-model draws per hunt (~1 ms
    # each on 4x2, ~6 ms on 8x8).  Measured with the golden model: 40 draws x 8 items left 37
    # (event, axis, mode) bins open on 8x8 over seeds 1..10; 400 x 20 left none on either
    # config over seeds 1..40, for about 1 s of Python per 8x8 seed.
    closure_budget = 20
    hunt_tries = 400

    def items(self) -> Iterator[MatvecItem]:
        hw, rng = self.hw, self.rng
        covered: set = set()
        for stim in st.corner_layers(rng, hw):
            yield MatvecItem.from_stimulus(stim, check_sample=True)
        covered_cells: set[tuple[str, str, str]] = set()     # (class, w_bin, a_bin)
        for item in self.steal_corners():
            combos = st.steal_combos(hw, st.Stimulus(item.get_name(), item.W, item.x,
                                                     item.bias, item.layer))
            covered |= combos
            covered_cells |= class_cells(item.W, item.x, combos)
            yield item
        yield from self.density_closure(covered_cells)
        missing = reachable_axis_combos(hw) - covered
        for _ in range(self.closure_budget):
            if not missing:
                break
            modes = sorted({m for _, _, m in missing})
            mode = V_ if str(rng.choice(modes)) == "vertical" else H_
            found = st.hunt(rng, hw, mode, {c for c in missing if c[2] == mode.name.lower()},
                            tries=self.hunt_tries)
            if found is None:
                continue
            stim, hit = found
            missing -= st.steal_combos(hw, stim)
            yield MatvecItem.from_stimulus(stim)

    def density_closure(self, covered: set[tuple[str, str, str]]) -> Iterator[MatvecItem]:
        """Steal class x weight density x activation density (the steal_x cross): one layer per
        cell whose classes the corner items did not all show, drawn until the golden model does."""
        for wb in W_DENS:
            for ab in A_DENS:
                want = {c for c in STEAL_CLASSES if (c, wb, ab) not in covered}
                while want:
                    found = st.density_steal_layer(self.rng, self.hw, wb, ab, want)
                    if found is None:
                        break
                    stim, hit = found
                    want -= hit
                    yield MatvecItem.from_stimulus(stim)

    def steal_corners(self) -> Iterator[MatvecItem]:
        hw, rng = self.hw, self.rng
        for mode in (V_, H_):
            for pat in ("victim_center", "alternating", "gradient"):
                yield MatvecItem.from_stimulus(st.steal_layer(rng, hw, mode, pat, rep_rows=1))
                yield MatvecItem.from_stimulus(st.steal_layer(rng, hw, mode, pat))
            yield MatvecItem.from_stimulus(st.steal_layer(rng, hw, mode, "victim_center",
                                                          zero_tail=True))
            yield MatvecItem.from_stimulus(st.balanced_layer(rng, hw, mode))
            if axis_length(hw, mode) >= 3:
                yield MatvecItem.from_stimulus(st.rr_contention_layer(rng, hw, mode))


def _long_enough(stim: st.Stimulus, hw: HwConfig, cycles: int) -> bool:
    perf = simulate_matvec(stim.W != 0, stim.x != 0, hw, stim.layer)
    return perf.cycles >= cycles


class ErrorSequence(MasrBaseSequence):
    """Every error code of contract section 7, each followed by proof that nothing broke."""

    def base_stimulus(self, mode: StealMode) -> st.Stimulus:
        hw, rng = self.hw, self.rng
        # M = M_MAX so the ERR_SLOTS override (rep_rows = R) can exceed SLOTS.
        for _ in range(50):
            stim = st.random_layer(rng, hw, mode=mode, dims="max", w_density=0.25,
                                   a_density=0.7, skew=0.1, name=f"err_base_{mode.name.lower()}")
            if _long_enough(stim, hw, 40):
                return stim
        raise RuntimeError("could not draw a long enough base layer")  # pragma: no cover

    def items(self) -> Iterator[MatvecItem]:
        hw = self.hw
        base = self.base_stimulus(H_)
        b = MatvecItem.from_stimulus(base, check_sample=True)
        yield b

        def again(name: str, **kw) -> MatvecItem:
            return b.clone_same_data(name, load=LOAD_NONE, **kw)

        R = -(-hw.M_MAX // hw.H)
        cases = [
            ("err_dim_m0", {"CFG_M": 0}, ERR_DIM),
            ("err_dim_n0", {"CFG_N": 0}, ERR_DIM),
            ("err_dim_m_big", {"CFG_M": hw.M_MAX + 1}, ERR_DIM),
            ("err_dim_n_big", {"CFG_N": hw.N_MAX + 1}, ERR_DIM),
            # the checks use the full 32-bit register (a truncating DUT would see a legal N)
            ("err_dim_n_high_bits", {"CFG_N": 0x10000 | base.N}, ERR_DIM),
            ("err_mode_3", {"CFG_MODE": 3}, ERR_MODE),
            ("err_mode_shift16", {"CFG_SHIFT": 16}, ERR_MODE),
            # CFG_FEAT: an undefined bit (full 32-bit value), ROW_SKIP or SCAN without
            # NULL_SKIP, PREFETCH without OVERLAP, RUN_AHEAD without PREFETCH
            ("err_feat_undefined", {"CFG_FEAT": 0x10000}, ERR_MODE),
            ("err_feat_row_skip_alone", {"CFG_FEAT": FEAT_ROW_SKIP}, ERR_MODE),
            ("err_feat_scan_alone", {"CFG_FEAT": FEAT_SCAN}, ERR_MODE),
            ("err_feat_prefetch_alone", {"CFG_FEAT": FEAT_PREFETCH}, ERR_MODE),
            ("err_feat_run_ahead_no_prefetch", {"CFG_FEAT": FEAT_OVERLAP | FEAT_RUN_AHEAD},
             ERR_MODE),
            ("err_slots_horizontal", {"CFG_MODE": 2, "CFG_REP_ROWS": R}, ERR_SLOTS),
        ]
        # Every defined bit this build does not offer (with the bits it needs): a QDEPTH = 1
        # build withholds NULL_SKIP, ROW_SKIP, SPLIT and RUN_AHEAD, and a check may forget any
        # one of them.
        missing = FEAT_DEFINED & ~hw.feat_available
        for bit in (1 << i for i in range(missing.bit_length()) if missing >> i & 1):
            suffix = "" if bit == missing & -missing else f"_{bit:#x}"
            cases.append((f"err_feat_unimplemented{suffix}",
                          {"CFG_FEAT": feat_with_needs(bit)}, ERR_MODE))
        if hw.V >= 3:
            cases.append(("err_slots_vertical", {"CFG_MODE": 1, "CFG_REP_ROWS": R}, ERR_SLOTS))
        for name, ov, code in cases:
            yield again(name, reg_overrides=ov, expect_err=code, check_sample=True)
            yield again(f"{name}_recovery", check_sample=True)
        yield again("err_busy_start", inject=INJ_BUSY_START, expect_err=ERR_BUSY_START)
        yield again("err_busy_mem", inject=INJ_BUSY_MEM, expect_err=ERR_BUSY_MEM)
        yield again("err_mem_range", inject=INJ_MEM_RANGE, expect_err=ERR_MEM_RANGE)
        yield again("err_mem_boundary", inject=INJ_MEM_BOUNDARY, expect_err=ERR_MEM_RANGE)
        yield again("err_reg", inject=INJ_REG, expect_err=ERR_REG)
        yield again("err_first_wins", inject=INJ_FIRST_WINS, expect_err=ERR_REG)
        yield again("after_errors_clean", check_sample=True)
        # A reset between products: registers back to reset values, memories kept.
        yield again("reset_keeps_memories", inject=INJ_RESET, check_sample=True)
        yield again("err_wptr", inject=INJ_WPTR, expect_err=ERR_WPTR)
        # An abort, then a restart three bus writes later, in each address generator: the
        # aborted row's ops must not leak into the restarted product.
        # Row 0 (the first row of lanes (0, v)) and x fully dense: ~P ops left to drain.
        W = base.W.copy()
        W[0] = np.where(W[0] == 0, 3, W[0])
        x = np.where(base.x == 0, 1, base.x).astype(base.x.dtype)
        for feat in dict.fromkeys((0, self.hw.feat_available & FEAT_NULL_SKIP)):
            L = base.layer
            layer = LayerConfig(L.M, L.N, L.mode, L.rep_rows, L.shift, feat)
            stim = st.Stimulus(f"wptr_restart_{'n1' if feat else 'v1'}", W, x, base.bias, layer,
                               set(base.tags))
            yield MatvecItem.from_stimulus(stim, inject=INJ_WPTR_RESTART, check_sample=True)
        # Last: the at-limit products load their own image (the items above reuse the base's).
        yield from self.slots_boundary(base)
        # recovery after an aborted product: reload and run a different mode
        yield MatvecItem.from_stimulus(self.base_stimulus(V_), check_sample=True)


    def slots_boundary(self, base: st.Stimulus) -> Iterator[MatvecItem]:
        """ERR_SLOTS exactly at its limit (the largest legal rep_rows runs a normal product) and
        one past it (rep_rows + 1 must be refused), per steal mode: an off-by-one in the slot
        check, or one that forgets a replica side, passes the far-past case above."""
        hw = self.hw
        modes = [b.split(".")[0] for b in slots_boundary_bins(hw)]
        for mode_name_ in dict.fromkeys(m for m in modes if m in ("horizontal", "vertical")):
            mode = STEAL_MODE_OF[mode_name_]
            # One side's replicas alone push a lane over (lane-rows of different sizes).
            for side in ("prev", "next"):
                found = one_side_slots_overflow(hw, mode, side)
                if found is None:
                    continue
                M, rep = found
                # its own (base) image: the one loaded now is the restart items' modified W
                item = MatvecItem.from_stimulus(
                    base, check_sample=True, expect_err=ERR_SLOTS,
                    reg_overrides={"CFG_MODE": int(mode), "CFG_M": M, "CFG_REP_ROWS": rep})
                item.set_name(f"err_slots_{mode_name_}_{side}_side_only")
                item.tags = {*item.tags, f"{SLOTS_BOUNDARY_TAG}{mode_name_}.{side}_side_only"}
                yield item
            limit = st.max_rep_rows(hw, base.layer.M, mode)
            stim = base.with_mode(mode, limit)
            if limit >= -(-base.layer.M // hw.H) or \
                    not st.weight_capacity_ok(stim.W, hw, stim.layer):
                continue                     # no limit to probe, or the layer does not fit
            at_limit = MatvecItem.from_stimulus(stim, check_sample=True)
            one_past = MatvecItem.from_stimulus(
                stim, load=LOAD_NONE, check_sample=True, expect_err=ERR_SLOTS,
                reg_overrides={"CFG_MODE": int(mode), "CFG_REP_ROWS": limit + 1})
            for item, where in ((at_limit, "at_limit"), (one_past, "one_past")):
                item.set_name(f"err_slots_{mode_name_}_{where}")
                item.tags = {*item.tags, f"{SLOTS_BOUNDARY_TAG}{mode_name_}.{where}"}
                yield item
        if split_boundary_possible(hw):
            yield from self.split_slots_boundary(base)

    def split_slots_boundary(self, base: st.Stimulus) -> Iterator[MatvecItem]:
        """The SPLIT start checks at their limits (horizontal, plan registers): lane T = (1, 0)
        imports Q_prev rows (range 1 of (0, 0)) and Q_next rows (range 0 of (2, 0)) with
        R_T + Q_prev + Q_next = SLOTS exactly -- a product -- and then one more row on one side
        -- ERR_SLOTS -- per side (a check that forgets a side passes the other). Then each plan
        condition one past its limit, on a lane whose neighbours' slot counts stay legal (so
        only the plan check can refuse): base_0 > base_1 on (0, V-1) (its range 1 of one row
        fits (1, V-1)), base_1 = R + 1 on (H-1, 0) (M = M_MAX - 1 makes R there R_MAX - 1, so
        the value is a legal register write); and the bad order again in mode none, which
        has no ranges and must run."""
        hw = self.hw
        if base.layer.M != hw.M_MAX:
            return
        M = hw.M_MAX - 1
        layer = LayerConfig(M, base.layer.N, H_, 0, base.layer.shift,
                            base.layer.feat | FEAT_SPLIT)
        stim = st.Stimulus("err_split_base", base.W[:M], base.x, base.bias[:M], layer,
                           set(base.tags))
        R = [rows_of_lane(hw, M, h) for h in range(hw.H)]
        room = hw.SLOTS - R[1]                  # import rows lane (1, 0) has room for
        if not 0 < room < R[0] + R[2]:
            return                              # nothing to overflow on this configuration
        lane = hw.lane_index

        def plan_for(q_prev: int, q_next: int) -> np.ndarray:
            plan = np.array([[R[h], R[h]] for h, _ in hw.lanes()], dtype=np.int64)
            plan[lane(0, 0)] = (R[0] - q_prev, R[0] - q_prev)        # range 1 -> (1, 0)
            plan[lane(2, 0)] = (R[2] - q_next, R[2])                 # range 0 -> (1, 0)
            return plan

        last: Optional[MatvecItem] = None
        for side in ("prev", "next"):
            # The other side takes what it can, this side the rest; then this side one more.
            other = min(room, R[2] if side == "prev" else R[0])
            mine = room - other
            if mine + 1 > (R[0] if side == "prev" else R[2]):
                continue
            q = (mine, other) if side == "prev" else (other, mine)
            at = MatvecItem.from_stimulus(stim, check_sample=True)
            at.plan = plan_for(*q)
            try:
                check_split_plan(hw, layer, at.plan)        # legal: exactly SLOTS on (1, 0)
                encode_matvec(stim.W, stim.x, stim.bias, hw, layer, plan=at.plan)
            except (SpecError, ImageError):
                continue                                    # the weights do not fit WDEPTH
            at.set_name(f"err_slots_split_{side}_at_limit")
            at.tags = {*at.tags, f"{SLOTS_BOUNDARY_TAG}split_{side}.at_limit"}
            yield at
            over = plan_for(q[0] + (side == "prev"), q[1] + (side == "next"))
            patch_lane = lane(0, 0) if side == "prev" else lane(2, 0)
            past = at.clone_same_data(f"err_slots_split_{side}_one_past", load=LOAD_BACKDOOR,
                                      inject=INJ_PLAN, expect_err=ERR_SLOTS, check_sample=True,
                                      plan_patch={patch_lane: tuple(int(b) for b in over[patch_lane])})
            past.tags = {*at.tags - {f"{SLOTS_BOUNDARY_TAG}split_{side}.at_limit"},
                         f"{SLOTS_BOUNDARY_TAG}split_{side}.one_past"}
            yield past
            last = at
        if last is not None:
            bad_order = {lane(0, hw.V - 1): (R[0], R[0] - 1)}
            for name, patch in (("plan_order", bad_order),
                                ("plan_rows", {lane(hw.H - 1, 0): (R[-1] + 1, R[-1] + 1)})):
                item = last.clone_same_data(f"err_slots_split_{name}_one_past",
                                            load=LOAD_BACKDOOR, inject=INJ_PLAN,
                                            expect_err=ERR_SLOTS, check_sample=True,
                                            plan_patch=patch)
                item.tags = {t for t in last.tags if not t.startswith(SLOTS_BOUNDARY_TAG)} | \
                    {f"{SLOTS_BOUNDARY_TAG}split_{name}.one_past"}
                yield item
            # Mode none has no ranges: the same bad plan must not stop a SPLIT product there.
            L = last.layer
            none = MatvecItem.from_stimulus(
                st.Stimulus("err_slots_split_plan_ignored_in_mode_none", last.W, last.x,
                            last.bias, LayerConfig(L.M, L.N, N_, 0, L.shift, L.feat)),
                inject=INJ_PLAN, check_sample=True, plan_patch=bad_order)
            yield none


class FrontdoorSequence(MasrBaseSequence):
    """Frontdoor loads with a full read-back, reloads over stale contents, backdoor cross-check."""

    def items(self) -> Iterator[MatvecItem]:
        hw, rng = self.hw, self.rng
        small = min(hw.M_MAX, 64), min(hw.N_MAX, 64)
        for i, mode in enumerate((N_, V_, H_)):
            stim = st.random_layer(rng, hw, mode=mode, max_m=small[0], max_n=small[1],
                                   w_density=0.3, a_density=0.6, skew=0.1, name=f"frontdoor_{mode.name.lower()}")
            yield MatvecItem.from_stimulus(stim, load=LOAD_FRONTDOOR, full_readback=True)
        # a smaller layer over the stale contents of the last one
        stim = st.random_layer(rng, hw, mode=V_, dims="odd", max_m=small[0] // 2 + 1,
                               max_n=small[1] // 2 + 1, name="frontdoor_over_stale")
        yield MatvecItem.from_stimulus(stim, load=LOAD_FRONTDOOR, full_readback=True)
        # the same product through the backdoor must give the same (golden) answer
        yield MatvecItem.from_stimulus(stim, load=LOAD_BACKDOOR, check_sample=True)
        stim = st.steal_layer(rng, hw, H_, "victim_center", M=min(hw.M_MAX, 4 * hw.H + 3),
                              N=min(hw.N_MAX, 3 * hw.V + 1))
        yield MatvecItem.from_stimulus(stim, load=LOAD_FRONTDOOR, check_sample=True)
        # Rows of K = KW_MAX words, then K = 1 over them with the null-skip AG: the activation
        # mask words past K keep the wide layer's bits, and the engine must not read them (a
        # row-word enable one word too wide survived every test that cleared memories first).
        wide = st.random_layer(rng, hw, mode=V_, dims="max", max_m=2 * hw.H, w_density=0.4,
                               a_density=0.9, name="frontdoor_wide_rows")
        yield MatvecItem.from_stimulus(wide, load=LOAD_FRONTDOOR, check_sample=True)
        narrow = st.random_layer(rng, hw, mode=V_, max_m=4 * hw.H, max_n=hw.V * hw.B,
                                 w_density=0.4, a_density=0.9, name="frontdoor_narrow_over_wide")
        narrow = st.with_feat(narrow, hw.feat_available & (FEAT_NULL_SKIP | FEAT_ROW_SKIP))
        yield MatvecItem.from_stimulus(narrow, load=LOAD_FRONTDOOR, check_sample=True)


class BackToBackSequence(MasrBaseSequence):
    """Products back to back without reset: time steps (same W, new activations every step),
    identical reruns (stats cleared at start), large-then-small dimensions, alternating modes."""

    n_steps = 6

    def items(self) -> Iterator[MatvecItem]:
        hw, rng = self.hw, self.rng
        for mode in (V_, H_):
            for stim in st.time_steps(rng, hw, mode, self.n_steps, name=f"b2b_{mode.name.lower()}"):
                yield MatvecItem.from_stimulus(stim)
        stim = st.steal_layer(rng, hw, V_, "victim_center")
        first = MatvecItem.from_stimulus(stim)
        yield first
        yield first.clone_same_data("b2b_rerun_identical", load=LOAD_NONE, keep_done=True)
        big = st.random_layer(rng, hw, mode=H_, dims="max", w_density=0.2, a_density=0.8,
                              name="b2b_big")
        yield MatvecItem.from_stimulus(big)
        tiny = st.random_layer(rng, hw, mode=V_, dims="tiny", name="b2b_tiny")
        yield MatvecItem.from_stimulus(tiny)
        for i in range(6):
            stim = st.random_layer(rng, hw, mode=(N_, V_, H_)[i % 3], name=f"b2b_mix_{i}")
            yield MatvecItem.from_stimulus(stim)


class NullSkipSequence(MasrBaseSequence):
    """CFG_FEAT.NULL_SKIP (rule N1), NULL_SKIP | ROW_SKIP (N2) and NULL_SKIP | SCAN (N3): in
    every steal mode, random layers, null-word layers (null words at row boundaries, claimed
    rows with no effective op) and an unbalanced steal pattern, each run with CFG_FEAT = 0, then
    N1, N1 + N2 and N1 + N3 on the same loaded image, so the summary compares their utilization
    on identical data. Every counter, lane statistic and FLAGS bit is checked against the v2
    model (golden.perf_v2.simulate_product)."""

    n_random = 1

    def pair(self, stim: st.Stimulus) -> Iterator[MatvecItem]:
        yield MatvecItem.from_stimulus(st.with_feat(stim, 0, f"{stim.name}_v1"))
        if not self.hw.feat_available & FEAT_NULL_SKIP:
            return                    # e.g. a QDEPTH = 1 build: CFG_FEAT would be ERR_MODE
        yield MatvecItem.from_stimulus(st.with_feat(stim, FEAT_NULL_SKIP, f"{stim.name}_n1"),
                                       load=LOAD_NONE)
        if self.hw.feat_available & FEAT_ROW_SKIP:
            yield MatvecItem.from_stimulus(
                st.with_feat(stim, FEAT_NULL_SKIP | FEAT_ROW_SKIP, f"{stim.name}_n2"),
                load=LOAD_NONE)
        if self.hw.feat_available & FEAT_SCAN:
            yield MatvecItem.from_stimulus(
                st.with_feat(stim, FEAT_NULL_SKIP | FEAT_SCAN, f"{stim.name}_n3"),
                load=LOAD_NONE)

    def items(self) -> Iterator[MatvecItem]:
        hw, rng = self.hw, self.rng
        small = hw.n_lanes <= 16
        for mode in (N_, V_, H_):
            m = mode.name.lower()
            for i in range(self.n_random * (2 if small else 1)):
                yield from self.pair(st.random_layer(rng, hw, mode=mode, name=f"nskip_{m}_{i}"))
            yield from self.pair(st.null_word_layer(rng, hw, mode, name=f"nskip_{m}_null_words"))
            if mode != N_:
                pat = str(rng.choice(["victim_center", "gradient", "alternating"]))
                yield from self.pair(st.steal_layer(rng, hw, mode, pat,
                                                    name=f"nskip_{m}_{pat}"))
                # Fewer rows than lane-rows: lanes with no rows at all ask to steal from the
                # first cycle, and their wide reads must stay on the rows they can be granted.
                # Full-width rows (K = KW_MAX words), so a wrapped row slot leaves the mask SRAM.
                yield from self.pair(st.steal_layer(rng, hw, mode, "gradient",
                                                    M=max(1, hw.H - 3), N=hw.N_MAX,
                                                    name=f"nskip_{m}_rowless_lanes"))
