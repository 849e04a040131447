"""Constrained-random and directed layer stimulus (pure Python: no cocotb, no pyuvm).

Every generator takes a ``numpy.random.Generator`` and the build configuration and returns a
:class:`Stimulus` (W int8 (M,N), x int16 (N,), bias int16 (M,), LayerConfig) that is *legal* for
the configuration: dimensions within M_MAX/N_MAX, ``R + Q_prev + Q_next <= SLOTS`` for every lane
and every lane's packed weights (own + replica rows) within WDEPTH.  The sequences wrap these into
UVM sequence items; the unit tests check the constraints here without a simulator.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import numpy as np

from golden.config import (HwConfig, LayerConfig, StealMode, ceil_div, partition_bounds,
                           partition_width, slots_needed)
from golden.encode import random_sparse_layer
from tb.matvec.bins import (a_density_bin, axis_position, densities, lane_events, mode_name,
                             steal_class, w_density_bin)

MODES = (StealMode.NONE, StealMode.VERTICAL, StealMode.HORIZONTAL)


@dataclass
class Stimulus:
    name: str
    W: np.ndarray
    x: np.ndarray
    bias: np.ndarray
    layer: LayerConfig
    tags: set[str] = field(default_factory=set)

    @property
    def M(self) -> int:
        return self.layer.M

    def with_mode(self, mode: StealMode, rep_rows: int = 0) -> "Stimulus":
        """The same data run in another steal mode (mode none needs no replicas)."""
        L = self.layer
        return Stimulus(f"{self.name}", self.W, self.x, self.bias,
                        LayerConfig(L.M, L.N, StealMode(int(mode)), rep_rows, L.shift, L.feat),
                        set(self.tags))

    @property
    def N(self) -> int:
        return self.layer.N


# -- capacity helpers ---------------------------------------------------------------------------

def nnz_row_partition(W: np.ndarray, hw: HwConfig) -> np.ndarray:
    """(M, V) non-zero weights of every row over every partition."""
    M, N = W.shape
    out = np.zeros((M, hw.V), dtype=np.int64)
    nz = W != 0
    for v in range(hw.V):
        lo, hi = partition_bounds(hw, N, v)
        if hi > lo:
            out[:, v] = nz[:, lo:hi].sum(axis=1)
    return out


def lane_weight_counts(W: np.ndarray, hw: HwConfig, layer: LayerConfig) -> dict[tuple[int, int], int]:
    """Weight SRAM words each lane needs (own rows + imported replica rows)."""
    from golden.perf import lane_weight_words
    words = lane_weight_words(np.asarray(W) != 0, hw, layer)
    return {(h, v): int(words[h, v]) for h, v in hw.lanes()}


@functools.lru_cache(maxsize=256)
def max_rep_rows(hw: HwConfig, M: int, mode: StealMode) -> int:
    """Largest rep_rows with R + Q_prev + Q_next <= SLOTS on every lane (0 for mode none)."""
    if StealMode(mode) == StealMode.NONE:
        return 0
    R = ceil_div(M, hw.H)
    best = 0
    for q in range(0, R + 1):
        layer = LayerConfig(M, 1, StealMode(mode), q)
        if all(slots_needed(hw, layer, h, v) <= hw.SLOTS for h, v in hw.lanes()):
            best = q
        else:
            break
    return best


def fits(W: np.ndarray, hw: HwConfig, layer: LayerConfig) -> bool:
    try:
        layer.check_fits(hw)
    except ValueError:
        return False
    return max(lane_weight_counts(W, hw, layer).values()) <= hw.WDEPTH


def shrink_to_fit(W: np.ndarray, hw: HwConfig, layer: LayerConfig) -> LayerConfig:
    """Lower rep_rows until the layer fits (slots and weight SRAM); mode none always fits."""
    while not fits(W, hw, layer):
        if layer.rep_rows == 0:
            raise ValueError(f"layer {layer} does not fit {hw.name} even without replicas")
        layer = LayerConfig(layer.M, layer.N, layer.mode, layer.rep_rows // 2 if layer.rep_rows > 1
                            else 0, layer.shift, layer.feat)
    return layer


def weight_capacity_ok(W: np.ndarray, hw: HwConfig, layer: LayerConfig) -> bool:
    return max(lane_weight_counts(W, hw, layer).values()) <= hw.WDEPTH


# -- dimension and knob choices ------------------------------------------------------------------

def pick_dims(rng: np.random.Generator, hw: HwConfig, kind: str = "random",
              max_m: Optional[int] = None, max_n: Optional[int] = None) -> tuple[int, int]:
    """(M, N) for a layer.  ``odd`` = M not a multiple of H, N not a multiple of V, partition
    width not a multiple of B; ``tiny`` = fewer rows than lane-rows / columns than partitions."""
    mm = min(hw.M_MAX, max_m or hw.M_MAX)
    nn = min(hw.N_MAX, max_n or hw.N_MAX)
    if kind == "tiny":
        return int(rng.integers(1, min(mm, hw.H) + 1)), int(rng.integers(1, min(nn, hw.V) + 1))
    if kind == "max":
        return mm, nn
    if kind == "aligned":
        step_n = hw.V * hw.B
        M = hw.H * int(rng.integers(1, mm // hw.H + 1))
        N = step_n * int(rng.integers(1, max(1, nn // step_n) + 1)) if nn >= step_n else nn
        return M, min(N, nn)
    if kind == "odd":
        for _ in range(1000):
            M = int(rng.integers(hw.H + 1, mm + 1)) if mm > hw.H else int(rng.integers(1, mm + 1))
            N = int(rng.integers(hw.V + 1, nn + 1)) if nn > hw.V else int(rng.integers(1, nn + 1))
            if (M % hw.H and N % hw.V and partition_width(hw, N) % hw.B) or mm <= hw.H:
                return M, N
        return M, N
    # random: log-uniform-ish so small and large layers both appear
    M = int(np.clip(round(np.exp(rng.uniform(0, np.log(mm)))), 1, mm))
    N = int(np.clip(round(np.exp(rng.uniform(0, np.log(nn)))), 1, nn))
    return M, N


DENSITIES = (0.0, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 0.9, 1.0)


def pick_density(rng: np.random.Generator, typical: float) -> float:
    """Half the time near the typical value, otherwise anywhere in [0, 1] incl. the extremes."""
    if rng.random() < 0.5:
        return float(np.clip(typical + rng.normal(0, 0.05), 0.0, 1.0))
    return float(rng.choice(DENSITIES))


def pick_mode(rng: np.random.Generator, mode: Optional[StealMode]) -> StealMode:
    return StealMode(int(rng.choice(MODES))) if mode is None else StealMode(int(mode))


def pick_rep_rows(rng: np.random.Generator, hw: HwConfig, M: int, mode: StealMode) -> int:
    top = max_rep_rows(hw, M, mode)
    if top == 0:
        return 0 if StealMode(mode) == StealMode.NONE else int(rng.integers(0, 3))
    choice = rng.random()
    if choice < 0.08:
        return 0                      # steal mode on, nothing replicated: no steal possible
    if choice < 0.2:
        return 1
    if choice < 0.3:
        return top
    # about 10% of a lane's rows (the brief's operating point) up to half of them
    R = ceil_div(M, hw.H)
    return int(np.clip(rng.integers(max(1, R // 10), max(2, R // 2) + 1), 1, top))


def pick_values_scale(rng: np.random.Generator) -> tuple[int, int, int]:
    """(w_max, a_max, bias_max): small values keep outputs in range, large ones saturate."""
    a_max = int(rng.choice([16, 256, 1024, 8192, 32767]))
    w_max = int(rng.choice([1, 16, 127]))
    bias_max = int(rng.choice([0, 256, 4096, 32767]))
    return w_max, a_max, bias_max


# -- random layers ---------------------------------------------------------------------------------

def random_layer(rng: np.random.Generator, hw: HwConfig, *, mode: Optional[StealMode] = None,
                 dims: str = "random", max_m: Optional[int] = None, max_n: Optional[int] = None,
                 w_density: Optional[float] = None, a_density: Optional[float] = None,
                 skew: Optional[float] = None, rep_rows: Optional[int] = None,
                 name: str = "random") -> Stimulus:
    """A random sparse layer from golden.encode.random_sparse_layer, constrained to fit ``hw``."""
    M, N = pick_dims(rng, hw, dims, max_m, max_n)
    wd = pick_density(rng, 0.1) if w_density is None else w_density
    ad = pick_density(rng, 0.5) if a_density is None else a_density
    sk = float(rng.choice([0.0, 0.05, 0.1, 0.2])) if skew is None else skew
    md = pick_mode(rng, mode)
    rr = pick_rep_rows(rng, hw, M, md) if rep_rows is None else rep_rows
    shift = int(rng.choice([0, 4, 6, 6, 6, 8, 15]))
    w_max, a_max, bias_max = pick_values_scale(rng)
    W, x, bias = random_sparse_layer(rng, M, N, wd, ad, sk, 1.5 + float(rng.random()),
                                     w_max=w_max, a_max=a_max, bias_max=bias_max)
    # Weight SRAM: a dense layer cannot also carry replicas; thin it or drop replicas.
    layer = LayerConfig(M, N, md, rr, shift)
    while not weight_capacity_ok(W, hw, LayerConfig(M, N, StealMode.NONE, 0, shift)):
        W = np.where(rng.random(W.shape) < 0.9, W, 0).astype(np.int8)
    layer = shrink_to_fit(W, hw, layer)
    tags = {f"dims:{dims}"}
    if sk > 0:
        tags.add("skewed")
    return Stimulus(name, W, x, bias, layer, tags)


# -- per-lane load patterns for stealing ---------------------------------------------------------

def _axis_len(hw: HwConfig, mode: StealMode) -> int:
    return hw.V if StealMode(mode) == StealMode.VERTICAL else hw.H


def load_profile(rng: np.random.Generator, n: int, pattern: str, light: float = 0.08) -> np.ndarray:
    """Relative work per lane along the steal axis (length n, values in (0, 1])."""
    heavy = 1.0
    f = np.full(n, light)
    if pattern == "victim_center":
        f[int(rng.integers(1, n - 1)) if n > 2 else int(rng.integers(0, n))] = heavy
    elif pattern == "victim_near_edge":
        # victim next to an edge lane: the edge lane is one of two thieves on it
        f[(1 if rng.random() < 0.5 else n - 2) if n > 2 else int(rng.integers(0, n))] = heavy
    elif pattern == "duel":
        # one victim, neighbours with random light loads: two thieves arriving in the same
        # cycle after one side already won once (round-robin pointer = 1)
        f = rng.uniform(0.0, 0.4, n)
        f[int(rng.integers(1, n - 1)) if n > 2 else int(rng.integers(0, n))] = heavy
    elif pattern == "victim_edge":
        f[0 if rng.random() < 0.5 else n - 1] = heavy
    elif pattern == "gradient":
        f = np.linspace(light, heavy, n)
        if rng.random() < 0.5:
            f = f[::-1].copy()
    elif pattern == "alternating":
        f[int(rng.integers(0, 2))::2] = heavy
    elif pattern == "balanced":
        f[:] = 0.5
    else:  # random
        f = rng.uniform(0.03, 1.0, n)
    return f


def _place_nonzeros(rng: np.random.Generator, mask_shape: tuple[int, int], counts: np.ndarray) -> np.ndarray:
    """Bool mask with exactly counts[r] set bits in row r at uniformly random positions."""
    M, w = mask_shape
    if w == 0:
        return np.zeros((M, 0), dtype=bool)
    counts = np.clip(counts, 0, w)
    keys = rng.random((M, w))
    kth = np.sort(keys, axis=1)[np.arange(M), np.maximum(counts - 1, 0)]
    return (keys <= kth[:, None]) & (counts[:, None] > 0)


def _values(rng: np.random.Generator, mask: np.ndarray, vmax: int, dtype) -> np.ndarray:
    mag = rng.integers(1, vmax + 1, size=mask.shape)
    vals = np.where(rng.random(mask.shape) < 0.5, -mag, mag)
    return np.where(mask, vals, 0).astype(dtype)


def steal_layer(rng: np.random.Generator, hw: HwConfig, mode: StealMode, pattern: str, *,
                M: Optional[int] = None, N: Optional[int] = None, rep_rows: Optional[int] = None,
                zero_tail: bool = False, a_density: Optional[float] = None,
                light: float = 0.08, base: Optional[float] = None,
                name: Optional[str] = None) -> Stimulus:
    """A layer whose work is deliberately unbalanced along the steal axis of ``mode``.

    Vertical mode: partition v gets weight density ~ f[v] (static imbalance) and, half the time,
    activation density ~ f[v] as well (dynamic imbalance).  Horizontal mode: lane-row h's rows
    get density ~ f[h].  ``zero_tail``: the heaviest lane's replicated tail rows get no work at
    all (ZERO_WORK_STEAL), its head rows stay heavy.  ``balanced``: every lane does identical
    work (identical row patterns per lane-row, identical partitions) so no lane ever steals.
    """
    mode = StealMode(int(mode))
    if M is None or N is None:
        M0, N0 = pick_dims(rng, hw, "random", max_m=hw.M_MAX, max_n=hw.N_MAX)
        M = M if M is not None else max(M0, 2 * hw.H)
        N = N if N is not None else max(N0, hw.V * 4)
        M, N = min(M, hw.M_MAX), min(N, hw.N_MAX)
    if pattern == "balanced":
        return balanced_layer(rng, hw, mode, M=M, N=N, rep_rows=rep_rows, name=name)
    n_axis = _axis_len(hw, mode if mode != StealMode.NONE else StealMode.HORIZONTAL)
    f = load_profile(rng, n_axis, pattern, light)
    base = float(rng.uniform(0.3, 0.9)) if base is None else base
    wmask = np.zeros((M, N), dtype=bool)
    a_dens = np.full(hw.V, 1.0 if a_density is None else a_density)
    for v in range(hw.V):
        lo, hi = partition_bounds(hw, N, v)
        if hi <= lo:
            continue
        width = hi - lo
        if mode == StealMode.VERTICAL:
            dens = np.full(M, base * f[v])
            if a_density is None and rng.random() < 0.5:
                a_dens[v] = max(0.05, float(f[v]))
        else:
            dens = base * f[np.arange(M) % hw.H]
        counts = np.floor(dens * width + rng.random(M)).astype(np.int64)
        wmask[:, lo:hi] = _place_nonzeros(rng, (M, width), counts)
    heavy_axis = int(np.argmax(f))
    rr = rep_rows
    if rr is None:
        top = max_rep_rows(hw, M, mode)
        rr = int(rng.integers(1, top + 1)) if top > 0 else 0
    if zero_tail and mode != StealMode.NONE:
        R = ceil_div(M, hw.H)
        q = max(1, min(rr, R))
        rows = np.arange(M)
        tail = (rows // hw.H) >= (R - q)
        if mode == StealMode.HORIZONTAL:
            sel = tail & (rows % hw.H == heavy_axis)
            wmask[sel, :] = False
            # make the victim's head rows heavy
            head = (~tail) & (rows % hw.H == heavy_axis)
            wmask[head, :] |= rng.random((int(head.sum()), N)) < 0.9
        else:
            lo, hi = partition_bounds(hw, N, heavy_axis)
            wmask[np.ix_(tail, np.arange(lo, hi))] = False
            wmask[np.ix_(~tail, np.arange(lo, hi))] |= rng.random((int((~tail).sum()), hi - lo)) < 0.9
    xmask = np.zeros(N, dtype=bool)
    for v in range(hw.V):
        lo, hi = partition_bounds(hw, N, v)
        xmask[lo:hi] = rng.random(hi - lo) < a_dens[v]
    W = _values(rng, wmask, 127, np.int8)
    x = _values(rng, xmask, 512, np.int16)
    bias = rng.integers(-1024, 1025, size=M).astype(np.int16)
    layer = LayerConfig(M, N, mode, rr, 6)
    if not weight_capacity_ok(W, hw, LayerConfig(M, N, StealMode.NONE, 0)):
        W = np.where(rng.random(W.shape) < 0.6, W, 0).astype(np.int8)
    layer = shrink_to_fit(W, hw, layer)
    tags = {f"pattern:{pattern}"} | ({"zero_tail"} if zero_tail else set())
    return Stimulus(name or f"steal_{mode.name.lower()}_{pattern}", W, x, bias, layer, tags)


def dual_thief_winners(hw: HwConfig, stim: Stimulus, perf: Any = None) -> dict[str, int]:
    """From the golden model's steal trace: how often two thieves hit one victim in one cycle
    and which side won (prev_side = round-robin pointer 0, next_side = pointer 1), or none.
    ``perf``: a traced PerfResult of this very product, if the caller already has one."""
    from golden.perf import simulate_matvec
    if perf is None or perf.trace is None:
        perf = simulate_matvec(stim.W != 0, stim.x != 0, hw, stim.layer, trace=True)
    by_cycle: dict[tuple, list] = {}
    for e in perf.trace or []:
        by_cycle.setdefault((e.cycle, e.victim), []).append(e)
    out = {"prev_side": 0, "next_side": 0, "none": 0}
    for evs in by_cycle.values():
        if len(evs) == 2:
            won = [e for e in evs if e.granted]
            # a thief that asked its 'prev' neighbour is the victim's next-side thief
            out["none" if not won else "next_side" if won[0].side == "prev" else "prev_side"] += 1
    return out


def rr_contention_layer(rng: np.random.Generator, hw: HwConfig, mode: StealMode,
                        tries: int = 200) -> Stimulus:
    """A layer where two thieves reach one victim in the same cycle while the round-robin
    pointer favours the next side (model-guided search: candidates are drawn at random and the
    golden trace decides).  Falls back to the last candidate if none qualifies."""
    stim = None
    for _ in range(tries):
        M = int(rng.integers(2 * hw.H, hw.M_MAX // 2 + 1))
        stim = steal_layer(rng, hw, mode, "duel", M=M, N=int(rng.integers(hw.V, hw.N_MAX + 1)),
                           name=f"rr_contention_{StealMode(mode).name.lower()}")
        if dual_thief_winners(hw, stim)["next_side"]:
            stim.tags.add("arb:next_side_win")
            return stim
    assert stim is not None
    return stim


def balanced_layer(rng: np.random.Generator, hw: HwConfig, mode: StealMode, *,
                   M: Optional[int] = None, N: Optional[int] = None,
                   rep_rows: Optional[int] = None, name: Optional[str] = None) -> Stimulus:
    """Every lane has the same row-cost sequence: M multiple of H, N multiple of V, the same
    mask pattern in every partition and the same row pattern for every lane-row."""
    mode = StealMode(int(mode))
    M = hw.H * max(1, (M or hw.M_MAX // 2) // hw.H)
    N = hw.V * max(1, (N or hw.N_MAX // 2) // hw.V)
    P = N // hw.V
    R = M // hw.H
    # one pattern per local row index i, shared by all lane-rows and all partitions
    row_pat = rng.random((R, P)) < rng.uniform(0.2, 0.8)
    x_pat = rng.random(P) < rng.uniform(0.4, 1.0)
    wmask = np.zeros((M, N), dtype=bool)
    for r in range(M):
        wmask[r] = np.tile(row_pat[r // hw.H], hw.V)
    xmask = np.tile(x_pat, hw.V)
    W = _values(rng, wmask, 127, np.int8)
    x = _values(rng, xmask, 512, np.int16)
    bias = rng.integers(-1024, 1025, size=M).astype(np.int16)
    rr = rep_rows if rep_rows is not None else max(1, max_rep_rows(hw, M, mode) // 2)
    layer = LayerConfig(M, N, mode, rr if mode != StealMode.NONE else 0, 6)
    if not weight_capacity_ok(W, hw, LayerConfig(M, N, StealMode.NONE, 0)):
        raise AssertionError("balanced layer pattern density too high")  # pragma: no cover
    layer = shrink_to_fit(W, hw, layer)
    return Stimulus(name or f"balanced_{mode.name.lower()}", W, x, bias, layer, {"balanced"})


# -- encoding corners ------------------------------------------------------------------------------

def _dense_values(rng: np.random.Generator, shape, vmax: int, dtype) -> np.ndarray:
    return _values(rng, np.ones(shape, dtype=bool), vmax, dtype)


def corner_layers(rng: np.random.Generator, hw: HwConfig) -> list[Stimulus]:
    """The encoding corners of the brief (section 3), each a legal layer."""
    out: list[Stimulus] = []
    B, H, V = hw.B, hw.H, hw.V
    Nw = min(hw.N_MAX, V * B * 2)          # two whole words per partition
    Mw = min(hw.M_MAX, 2 * H)

    # all-one mask words (weights and activations fully dense over whole words) + zero words
    W = _dense_values(rng, (Mw, Nw), 127, np.int8)
    for v in range(V):                     # second word of every partition all zero in W
        lo, _ = partition_bounds(hw, Nw, v)
        W[: Mw // 2, lo + B: lo + 2 * B] = 0
    x = _dense_values(rng, Nw, 256, np.int16)
    out.append(Stimulus("ones_and_zero_words", W, x, rng.integers(-99, 99, Mw).astype(np.int16),
                        LayerConfig(Mw, Nw, StealMode.NONE, 0, 6), {"corner:mask_words"}))

    # empty rows (every third row has no weights) and an all-zero activation word
    M, N = pick_dims(rng, hw, "odd")
    W, x, b = random_sparse_layer(rng, M, N, 0.3, 0.7)
    W[::3] = 0
    x[: min(N, B)] = 0
    out.append(Stimulus("empty_rows", W, x, b, LayerConfig(M, N, StealMode.HORIZONTAL,
                        min(2, max_rep_rows(hw, M, StealMode.HORIZONTAL)), 6), {"corner:empty_rows"}))

    # empty partitions: N < V leaves partitions with no columns; also an all-zero partition
    N = max(1, V - 1) if V > 1 else 1
    M = min(hw.M_MAX, 3 * H + 1)
    W, x, b = random_sparse_layer(rng, M, N, 0.8, 1.0)
    out.append(Stimulus("empty_partitions_structural", W, x, b,
                        LayerConfig(M, N, StealMode.VERTICAL, 1, 6), {"corner:empty_partition"}))
    M, N = pick_dims(rng, hw, "random", max_n=hw.N_MAX)
    N = max(N, 2 * V)
    W, x, b = random_sparse_layer(rng, M, N, 0.4, 0.8)
    lo, hi = partition_bounds(hw, N, int(rng.integers(0, V)))
    W[:, lo:hi] = 0
    out.append(Stimulus("empty_partition_weights", W, x, b,
                        LayerConfig(M, N, StealMode.VERTICAL,
                                    min(2, max_rep_rows(hw, M, StealMode.VERTICAL)), 6),
                        {"corner:empty_partition"}))

    # all-zero activation vector
    M, N = pick_dims(rng, hw, "random")
    W, _, b = random_sparse_layer(rng, M, N, 0.3, 0.0)
    out.append(Stimulus("zero_activations", W, np.zeros(N, dtype=np.int16), b,
                        LayerConfig(M, N, StealMode.VERTICAL,
                                    min(1, max_rep_rows(hw, M, StealMode.VERTICAL)), 6),
                        {"corner:zero_act"}))

    # single non-zero weight (and matching activation) at a word boundary
    M, N = pick_dims(rng, hw, "odd")
    W = np.zeros((M, N), dtype=np.int8)
    c = int(rng.integers(0, N))
    W[int(rng.integers(0, M)), c] = 127
    x = np.zeros(N, dtype=np.int16)
    x[c] = -32768
    out.append(Stimulus("single_nonzero", W, x, rng.integers(-5, 5, M).astype(np.int16),
                        LayerConfig(M, N, StealMode.NONE, 0, 0), {"corner:single_nz"}))

    # non-zeros exactly at word boundaries (bit 0 and bit B-1 of every word)
    M, N = min(hw.M_MAX, 4 * H - 1), min(hw.N_MAX, V * (2 * B + 3))
    W = np.zeros((M, N), dtype=np.int8)
    x = np.zeros(N, dtype=np.int16)
    for v in range(V):
        lo, hi = partition_bounds(hw, N, v)
        for k in range(ceil_div(hi - lo, B)):
            for b_ in (0, B - 1):
                c = lo + k * B + b_
                if c < hi:
                    W[:, c] = rng.integers(1, 127)
                    x[c] = rng.integers(1, 300)
    out.append(Stimulus("word_boundaries", W, x, rng.integers(-9, 9, M).astype(np.int16),
                        LayerConfig(M, N, StealMode.HORIZONTAL,
                                    min(1, max_rep_rows(hw, M, StealMode.HORIZONTAL)), 6),
                        {"corner:word_boundary"}))

    # dimensions not multiples of H, V, B (and M < H: lanes without rows)
    M, N = pick_dims(rng, hw, "odd")
    W, x, b = random_sparse_layer(rng, M, N, 0.25, 0.6, 0.1)
    out.append(Stimulus("odd_dims", W, x, b,
                        shrink_to_fit(W, hw, LayerConfig(M, N, StealMode.VERTICAL,
                                                         max_rep_rows(hw, M, StealMode.VERTICAL), 6)),
                        {"corner:odd_dims"}))
    M, N = pick_dims(rng, hw, "tiny")
    W, x, b = random_sparse_layer(rng, M, N, 0.9, 0.9)
    out.append(Stimulus("tiny_dims", W, x, b, LayerConfig(M, N, StealMode.HORIZONTAL, 1, 6),
                        {"corner:tiny"}))

    # full weight SRAM: M_MAX x N_MAX fully dense, mode none -> every lane holds exactly
    # R_MAX * P_MAX weights (= WDEPTH on both regression configurations)
    M, N = hw.M_MAX, hw.N_MAX
    W = _dense_values(rng, (M, N), 3, np.int8)
    x = _dense_values(rng, N, 64, np.int16)
    out.append(Stimulus("full_weight_sram", W, x, rng.integers(-50, 50, M).astype(np.int16),
                        LayerConfig(M, N, StealMode.NONE, 0, 8), {"corner:full_wsram"}))

    # saturation both ways
    M, N = min(hw.M_MAX, 2 * H + 3), min(hw.N_MAX, 3 * V + 1)
    W = np.full((M, N), 127, dtype=np.int8)
    W[::2] = -128
    x = np.full(N, 32767, dtype=np.int16)
    out.append(Stimulus("saturation", W, x, np.zeros(M, dtype=np.int16),
                        LayerConfig(M, N, StealMode.NONE, 0, 0), {"corner:saturation"}))
    return out


# -- time steps (same weights, changing activations) --------------------------------------------

def time_steps(rng: np.random.Generator, hw: HwConfig, mode: StealMode, steps: int,
               name: str = "tsteps") -> list[Stimulus]:
    """One weight matrix, ``steps`` activation vectors whose sparsity per partition changes every
    step (the dynamic-activation imbalance that vertical stealing targets)."""
    base = steal_layer(rng, hw, mode, "random", a_density=1.0)
    out = []
    M, N = base.M, base.N
    for t in range(steps):
        dens = rng.uniform(0.05, 1.0, hw.V)
        xmask = np.zeros(N, dtype=bool)
        for v in range(hw.V):
            lo, hi = partition_bounds(hw, N, v)
            xmask[lo:hi] = rng.random(hi - lo) < dens[v]
        x = _values(rng, xmask, 512, np.int16)
        out.append(Stimulus(f"{name}_t{t}", base.W, x, base.bias, base.layer,
                            {"time_step", f"group:{name}"}))
    return out


# -- properties used by coverage and bounds ------------------------------------------------------

def work_upper_bound(W: np.ndarray, x: np.ndarray, hw: HwConfig, layer: LayerConfig) -> int:
    """A serial bound on busy cycles: every row task one after the other, every op stalling."""
    K = max(1, ceil_div(partition_width(hw, layer.N), hw.B))
    ops = int(((W != 0) & (x != 0)[None, :]).sum())
    tasks = layer.M * hw.V * K
    return (hw.QDEPTH + 2) * (ops + tasks) + layer.M + 64


# -- model-guided closure of rare stealing corners -------------------------------------------------

def steal_combos(hw: HwConfig, stim: Stimulus) -> set[tuple[str, str, str]]:
    """(event, axis position, mode) combinations the golden model says this layer produces."""
    from golden.perf import simulate_matvec
    L = stim.layer
    if L.mode == StealMode.NONE:
        return set()
    perf = simulate_matvec(stim.W != 0, stim.x != 0, hw, L)
    out = set()
    for h, v in hw.lanes():
        for ev in lane_events(perf.lanes.words(h, v)):
            out.add((ev, axis_position(hw, L.mode, h, v), mode_name(L.mode)))
    return out


# Draw ranges that land a steal_layer in one (weight, activation) density bin of tb.matvec.coverage
# most of the time: (weight base density, light-lane factor) and activation density.
_W_DRAW = {"w_sparse": ((0.05, 0.25), 0.0), "w_mid": ((0.3, 0.7), 0.3), "w_dense": ((0.75, 1.0), 0.7)}
_A_DRAW = {"a_sparse": (0.1, 0.3), "a_mid": (0.35, 0.7), "a_dense": (0.75, 1.0)}


def density_steal_layer(rng: np.random.Generator, hw: HwConfig, w_bin: str, a_bin: str,
                        wanted: set[str], tries: int = 300) -> Optional[tuple[Stimulus, set[str]]]:
    """An unbalanced layer in the (w_bin, a_bin) density cell on which the golden model shows
    steal classes (steal, lost, refused, contention) from ``wanted``; returns (stimulus, classes
    hit) or None.  Random layers reach the sparse cells' steals rarely (1 in 25 sparse-sparse
    draws on 8x8), so a nightly needed 2 to 7 seeds to close that cross without this."""
    (w_lo, w_hi), light = _W_DRAW[w_bin]

    def draw() -> Stimulus:
        mode = StealMode.HORIZONTAL if rng.random() < 0.5 else StealMode.VERTICAL
        return steal_layer(rng, hw, mode, str(rng.choice(HUNT_PATTERNS)),
                           base=float(rng.uniform(w_lo, w_hi)),
                           a_density=float(rng.uniform(*_A_DRAW[a_bin])), light=light,
                           name=f"density_steal_{w_bin}_{a_bin}_{mode.name.lower()}")

    def classes_hit(stim: Stimulus) -> set:
        wd, ad = densities(stim.W, stim.x)
        if (w_density_bin(wd), a_density_bin(ad)) != (w_bin, a_bin):
            return set()                       # outside the cell: no golden run needed
        return {steal_class(e) for e, _, _ in steal_combos(hw, stim)} & wanted

    found = _first_hit(tries, draw, classes_hit)
    if found is not None:
        found[0].tags.add(f"density_steal:{w_bin}:{a_bin}")
    return found


def _first_hit(tries: int, draw: Callable[[], Stimulus],
               hits: Callable[[Stimulus], set]) -> Optional[tuple[Stimulus, set]]:
    """Model-guided search: the first of ``tries`` drawn layers for which ``hits`` (the golden
    model's verdict) is not empty, with what it hit."""
    for _ in range(tries):
        stim = draw()
        hit = hits(stim)
        if hit:
            return stim, hit
    return None


HUNT_PATTERNS = ("duel", "victim_center", "victim_near_edge", "alternating", "gradient", "random")


def hunt(rng: np.random.Generator, hw: HwConfig, mode: StealMode,
         wanted: set[tuple[str, str, str]], tries: int = 40) -> Optional[tuple[Stimulus, set]]:
    """Draw small unbalanced layers until one produces a wanted (event, axis, mode) combination;
    returns (stimulus, combos it hits) or None.  The golden model is the oracle."""
    def draw() -> Stimulus:
        pat = str(rng.choice(HUNT_PATTERNS))
        M = int(rng.integers(2 * hw.H, max(2 * hw.H + 1, hw.M_MAX // 2)))
        return steal_layer(rng, hw, mode, pat, M=M, N=int(rng.integers(hw.V, hw.N_MAX + 1)),
                           rep_rows=int(rng.choice([1, 1, 2, 3])) if rng.random() < 0.6 else None,
                           zero_tail=bool(rng.random() < 0.25), light=float(rng.choice([0.0, 0.08, 0.3])),
                           name=f"hunt_{StealMode(mode).name.lower()}")

    found = _first_hit(tries, draw, lambda stim: steal_combos(hw, stim) & wanted)
    if found is not None:
        stim, hit = found
        stim.tags |= {f"hunt:{e}@{a}" for e, a, _ in hit}
    return found


# -- CFG_FEAT.NULL_SKIP (rule N1) ----------------------------------------------------------------

def with_feat(stim: Stimulus, feat: int, name: Optional[str] = None) -> Stimulus:
    """The same product with another CFG_FEAT value (the memory image does not depend on it)."""
    L = stim.layer
    return Stimulus(name or stim.name, stim.W, stim.x, stim.bias,
                    LayerConfig(L.M, L.N, L.mode, L.rep_rows, L.shift, feat), set(stim.tags))


def null_word_layer(rng: np.random.Generator, hw: HwConfig, mode: StealMode,
                    name: str = "null_words") -> Stimulus:
    """Row tasks whose null mask words sit at the row boundaries (what N1 skips): per row, at
    random, its first word or its last word has no effective op, or none of its words has one
    while the row still has weights (claimed, all null), or it is dense.  Full-size (K >= 2
    where the partition is wider than B); about a quarter of each lane-row replicated."""
    M, N = hw.M_MAX, hw.N_MAX
    P, B = partition_width(hw, N), hw.B
    x = np.where(rng.random(N) < 0.7, rng.integers(-900, 900, N), 0).astype(np.int16)
    W = np.zeros((M, N), dtype=np.int8)
    for r in range(M):
        kind = int(rng.integers(0, 4))          # 0 first null, 1 last null, 2 all null, 3 dense
        for v in range(hw.V):
            lo, hi = partition_bounds(hw, N, v)
            if hi <= lo:
                continue
            cols = np.arange(lo, hi)
            word = (cols - v * P) // B
            last = int(word.max())
            keep = {0: word > 0, 1: word < last, 2: np.zeros(cols.size, bool),
                    3: np.ones(cols.size, bool)}[kind]
            dens = rng.random(cols.size) < 0.6
            vals = rng.integers(1, 127, cols.size) * rng.choice([-1, 1], cols.size)
            nz = (keep & dens) if kind != 2 else (dens & (x[cols] == 0))
            W[r, cols] = np.where(nz, vals, 0)
    bias = rng.integers(-300, 300, M).astype(np.int16)
    rep = 0 if mode == StealMode.NONE else max(1, -(-M // hw.H) // 4)
    layer = shrink_to_fit(W, hw, LayerConfig(M, N, mode, rep, 7))
    return Stimulus(name, W, x, bias, layer, {"null_words"})
