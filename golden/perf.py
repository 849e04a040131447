"""Cycle-exact performance model of the MASR lane array.

The contract is ``docs/architecture.md`` section 5 (cycle behaviour) and section 6 (performance
counters, per-lane statistics, FLAGS).  ``docs/perf-model.md`` restates the rules exactly as they
are implemented here and lists the ambiguities this model had to resolve.

Performance depends only on the two non-zero masks (weights W, activations a), so the model works
on boolean masks.  Row costs are computed vectorised up front.  Two engines then run the claim /
arbiter / AG / queue / MAC rules:
- ``_Engine``, the reference: one cycle per loop iteration, vectorised over all H*V lanes (every
  per-lane quantity is a flat numpy array indexed by lane ``l = h*V + v``); it handles any
  QDEPTH and records the steal-event trace;
- ``_EventEngine``, the default for QDEPTH >= 2: it visits only the cycles in
  which some lane claims a row and works lane by lane (about 7x faster on the 8x8 array, where
  the testbench runs it once per product).  The tests check the two agree on every counter,
  lane statistic and FLAGS bit.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import IntFlag
from typing import Any

import numpy as np

from golden.config import (HwConfig, LayerConfig, StealMode, ceil_div, neighbours,
                           partition_width, replica_rows, rows_of_lane, words_per_row)
from golden.config import out_cycles as _out_cycles
from golden.errors import SpecError

__all__ = [
    "PerfFlag", "LaneStats", "StealEvent", "PerfResult", "SequenceResult", "SpecError",
    "simulate_matvec", "simulate_sequence", "lane_weight_words", "simulate_layer", "row_costs",
    "rep_rows_for_fraction", "duplication_fraction", "load_imbalance", "random_masks",
    "scaling_study",
]


class PerfFlag(IntFlag):
    """Per-lane sticky FLAGS bits (architecture.md section 6, lane stat address 6)."""

    DUAL_THIEF = 1 << 0
    LAST_ROW_RACE = 1 << 1
    REFUSED_EXHAUSTED = 1 << 2
    REFUSED_DONE = 1 << 3
    VICTIM_THEN_THIEF = 1 << 4
    ZERO_WORK_STEAL = 1 << 5
    STOLE_PREV = 1 << 6
    STOLE_NEXT = 1 << 7
    REFUSED_CONTENTION = 1 << 8


# Lane statistics in mem_sel = 7 address order (architecture.md section 6).
LANE_STAT_NAMES = ("MAC_BUSY", "ROWS_OWN", "ROWS_STOLEN", "ROWS_LOST", "REFUSED", "IDLE", "FLAGS")


@dataclass(frozen=True)
class LaneStats:
    """Per-lane statistics, every array of shape (H, V), int64."""

    mac_busy: np.ndarray
    rows_own: np.ndarray
    rows_stolen: np.ndarray
    rows_lost: np.ndarray
    refused: np.ndarray
    idle: np.ndarray
    flags: np.ndarray
    stall: np.ndarray  # not a lane stat register; kept for debugging PERF_STALL

    def words(self, h: int, v: int) -> dict[str, int]:
        """The lane's stats keyed like the mem_sel = 7 registers."""
        arrays = (self.mac_busy, self.rows_own, self.rows_stolen, self.rows_lost,
                  self.refused, self.idle, self.flags)
        return {name: int(arr[h, v]) for name, arr in zip(LANE_STAT_NAMES, arrays)}


@dataclass(frozen=True)
class StealEvent:
    """One thief request and its outcome (only recorded with ``trace=True``)."""

    cycle: int
    thief: tuple[int, int]
    victim: tuple[int, int]
    side: str  # "prev" or "next": which of the thief's neighbours was asked
    granted: bool
    reason: str  # GRANTED, REFUSED_CONTENTION, REFUSED_EXHAUSTED or REFUSED_DONE
    row: int | None  # global row index r of the granted row, None when refused


@dataclass(frozen=True)
class PerfResult:
    """Counters of one matrix-vector product (names follow the PERF_* registers)."""

    cycles: int
    compute_cycles: int
    out_cycles: int
    mac_busy: int
    steals_granted: int
    steals_refused: int
    stall: int
    idle: int
    rows_done: int
    lanes: LaneStats
    trace: list[StealEvent] | None = None

    @property
    def n_lanes(self) -> int:
        return int(self.lanes.mac_busy.size)

    @property
    def utilization(self) -> float:
        """MAC utilisation over the whole busy time (compute and output phase)."""
        return self.mac_busy / (self.cycles * self.n_lanes)

    @property
    def flags(self) -> np.ndarray:
        return self.lanes.flags

    def counters(self) -> dict[str, int]:
        """The performance registers exactly as the RTL exposes them."""
        return {
            "PERF_CYCLES": self.cycles,
            "PERF_MAC_BUSY": self.mac_busy,
            "PERF_STEAL_GRANTED": self.steals_granted,
            "PERF_STEAL_REFUSED": self.steals_refused,
            "PERF_STALL": self.stall,
            "PERF_IDLE": self.idle,
            "PERF_ROWS_DONE": self.rows_done,
        }


# --------------------------------------------------------------------------------------------
# Input checks and static geometry
# --------------------------------------------------------------------------------------------

def _check_mask(name: str, mask: Any, shape: tuple[int, ...]) -> None:
    if not isinstance(mask, np.ndarray):
        raise SpecError(f"{name} must be a numpy array, got {type(mask).__name__}")
    if mask.dtype != np.bool_:
        raise SpecError(f"{name} must have dtype bool, got {mask.dtype}")
    if mask.shape != shape:
        raise SpecError(f"{name} has shape {mask.shape}, expected {shape}")


@dataclass(frozen=True)
class _Geometry:
    """Static per-lane facts of one product (section 3), flat over lanes l = h*V + v."""

    H: int
    V: int
    K: int        # mask words per row per partition
    P: int        # partition width
    Rm: int       # max own rows of any lane = ceil_div(M, H)
    mode: StealMode
    R: np.ndarray          # own rows per lane
    Q: np.ndarray          # replica rows exported per lane (0 in mode none: nobody imports)
    rep_start: np.ndarray  # first exported local row
    prev: np.ndarray       # flat index of the prev neighbour (0 where missing, masked)
    next: np.ndarray
    has_prev: np.ndarray
    has_next: np.ndarray

    @property
    def n(self) -> int:
        return self.H * self.V


@functools.lru_cache(maxsize=32)
def _geometry(hw: HwConfig, layer: LayerConfig) -> _Geometry:
    """Decomposition from golden.config (one source of truth), cached per configuration.

    Raises SpecError for layers that do not fit (ERR_DIM, ERR_SLOTS conditions).
    """
    layer.check_fits(hw)
    mode = layer.mode
    lanes = list(hw.lanes())
    R = np.array([rows_of_lane(hw, layer.M, h) for h, _ in lanes], dtype=np.int64)
    Q = np.array([replica_rows(hw, layer, h) if mode != StealMode.NONE else 0
                  for h, _ in lanes], dtype=np.int64)
    nb = [neighbours(hw, mode, h, v) for h, v in lanes]
    has_prev = np.array([p is not None for p, _ in nb])
    has_next = np.array([q is not None for _, q in nb])
    prev = np.array([hw.lane_index(*p) if p else 0 for p, _ in nb], dtype=np.int64)
    nxt = np.array([hw.lane_index(*q) if q else 0 for _, q in nb], dtype=np.int64)
    for arr in (R, Q, has_prev, has_next, prev, nxt):
        arr.flags.writeable = False  # shared through the cache
    return _Geometry(H=hw.H, V=hw.V, K=words_per_row(hw, layer.N),
                     P=partition_width(hw, layer.N), Rm=ceil_div(layer.M, hw.H), mode=mode,
                     R=R, Q=Q, rep_start=R - Q, prev=prev, next=nxt,
                     has_prev=has_prev, has_next=has_next)


def _imported(geo: _Geometry, per_victim: np.ndarray) -> np.ndarray:
    """Sum over a lane's neighbours of a per-victim quantity (what the lane stores as replicas)."""
    return (np.where(geo.has_prev, per_victim[geo.prev], 0)
            + np.where(geo.has_next, per_victim[geo.next], 0))


def _word_popcounts(mask: np.ndarray, hw: HwConfig, geo: _Geometry) -> np.ndarray:
    """popcount of every mask word of every row task: shape (H*V, Rm, K).

    Task (l, i) is local row i of lane l = h*V + v, i.e. global row r = i*H + h over partition v.
    Word k holds columns v*P + k*B .. v*P + k*B + B-1 (bits past the partition end are 0).
    """
    M, N = mask.shape
    H, V, P, K, B, Rm = geo.H, geo.V, geo.P, geo.K, hw.B, geo.Rm
    padded = np.zeros((Rm * H, V, K * B), dtype=bool)
    cols = np.zeros((M, V * P), dtype=bool)
    cols[:, :N] = mask
    padded[:M, :, :P] = cols.reshape(M, V, P)
    counts = padded.reshape(Rm * H, V, K, B).sum(axis=3, dtype=np.int64)
    # rows r = i*H + h  ->  (i, h) ; reorder to (h, v, i, k)
    return counts.reshape(Rm, H, V, K).transpose(1, 2, 0, 3).reshape(H * V, Rm, K)


def _tail_sum(geo: _Geometry, per_task: np.ndarray) -> np.ndarray:
    """Per victim lane: sum of a per-task quantity over its exported (replica) rows."""
    exported = np.arange(geo.Rm)[None, :] >= geo.rep_start[:, None]
    return np.where(exported, per_task, 0).sum(axis=1)


def _check_wdepth(hw: HwConfig, geo: _Geometry, w_words: np.ndarray) -> None:
    """Every lane's packed weights (own + replica rows) must fit its weight SRAM.

    Not a register check: the encoder cannot build such an image (the RTL would hit ERR_WPTR).
    """
    need = _lane_weight_need(geo, w_words)
    worst = int(np.argmax(need))
    if need[worst] > hw.WDEPTH:
        h, v = divmod(worst, geo.V)
        raise SpecError(f"lane ({h},{v}) needs {need[worst]} weight SRAM entries, WDEPTH is "
                        f"{hw.WDEPTH} (over by {need[worst] - hw.WDEPTH})")


def _lane_weight_need(geo: _Geometry, w_words: np.ndarray) -> np.ndarray:
    """Weight SRAM words per lane: own rows plus the replica rows imported from neighbours."""
    per_task = w_words.sum(axis=2)
    return per_task.sum(axis=1) + _imported(geo, _tail_sum(geo, per_task))


def lane_weight_words(w_nonzero: np.ndarray, hw: HwConfig, layer: LayerConfig) -> np.ndarray:
    """(H, V) weight SRAM entries each lane's image needs (what the encoder packs)."""
    _check_mask("w_nonzero", w_nonzero, (layer.M, layer.N))
    geo = _geometry(hw, layer)
    return _lane_weight_need(geo, _word_popcounts(w_nonzero, hw, geo)).reshape(geo.H, geo.V)


def _prepare(w_nonzero: np.ndarray, hw: HwConfig, layer: LayerConfig) -> _Geometry:
    """Validate the weight mask and the configuration once per (W, hw, layer)."""
    _check_mask("w_nonzero", w_nonzero, (layer.M, layer.N))
    geo = _geometry(hw, layer)
    _check_wdepth(hw, geo, _word_popcounts(w_nonzero, hw, geo))
    return geo


def _task_words(w_nonzero: np.ndarray, a_nonzero: np.ndarray, hw: HwConfig,
                layer: LayerConfig, geo: _Geometry) -> np.ndarray:
    """e_k = popcount(Mw[k] & Ma[k]) per task and word, shape (H*V, Rm, K)."""
    _check_mask("a_nonzero", a_nonzero, (layer.N,))
    return _word_popcounts(w_nonzero & a_nonzero[None, :], hw, geo)


def row_costs(w_nonzero: np.ndarray, a_nonzero: np.ndarray, hw: HwConfig,
              layer: LayerConfig) -> tuple[np.ndarray, np.ndarray]:
    """(cycles, ops) of every row task, shape (H, V, ceil_div(M, H)); padding tasks are 0.

    cycles = sum_k max(1, e_k) and ops = sum_k e_k with e_k = popcount(Mw[k] & Ma[k]).
    """
    geo = _prepare(w_nonzero, hw, layer)
    e = _task_words(w_nonzero, a_nonzero, hw, layer, geo)
    valid = np.arange(geo.Rm)[None, :] < geo.R[:, None]
    cyc = np.where(valid, np.maximum(e, 1).sum(axis=2), 0)
    shape = (geo.H, geo.V, geo.Rm)
    return cyc.reshape(shape), e.sum(axis=2).reshape(shape)


# --------------------------------------------------------------------------------------------
# The cycle engine
# --------------------------------------------------------------------------------------------

_F = {f.name: np.int64(f.value) for f in PerfFlag}


class _Engine:
    """Registered state of all lanes and the per-cycle update (architecture.md section 5).

    Naming: a value read at the start of a cycle is the registered value; ``*2`` is the value
    after this cycle's grants (what the registers hold at the start of the next cycle).
    """

    def __init__(self, geo: _Geometry, e_words: np.ndarray, qdepth: int, trace: bool) -> None:
        n = geo.n
        self.geo, self.K, self.Rm, self.qdepth = geo, geo.K, geo.Rm, qdepth
        self.steal = geo.mode != StealMode.NONE
        self.e_flat = e_words.reshape(-1)                    # word popcounts, task-major
        self.ops_task = e_words.sum(axis=2).reshape(-1)      # ops per task (l*Rm + i)
        self.idx = np.arange(n)
        z = lambda: np.zeros(n, dtype=np.int64)  # noqa: E731
        # claim state (per lane as owner / victim): head = 0, tail = R at start
        self.head, self.tail, self.rr = z(), geo.R.copy(), z()
        # address generator: active row, flat word pointer, words left in the row
        # (incl. the current one), ops left in the current word
        self.active = np.zeros(n, dtype=bool)
        self.wptr, self.words, self.bits = z(), z(), z()
        self.cur_stolen = np.zeros(n, dtype=bool)
        self.cur_ops = z()
        self.q = z()                                         # decoupling-queue occupancy
        # statistics
        self.mac, self.own, self.stolen, self.lost = z(), z(), z(), z()
        self.refused, self.idle, self.stall, self.flags = z(), z(), z(), z()
        self.events: list[StealEvent] | None = [] if trace else None

    # -- per cycle -----------------------------------------------------------------------------
    def stealable(self, head: np.ndarray, tail: np.ndarray) -> np.ndarray:
        """Stealable = max(0, tail - max(head, rep_start))."""
        return np.maximum(tail - np.maximum(head, self.geo.rep_start), 0)

    def neighbour_counts(self, st: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """s_prev, s_next: registered stealable counts of the neighbours (0 where missing)."""
        g = self.geo
        return np.where(g.has_prev, st[g.prev], 0), np.where(g.has_next, st[g.next], 0)

    def step(self, cycle: int) -> bool:
        """Run one compute cycle; return True if it was the final one (all lanes finished)."""
        own = self.tail - self.head
        if self.steal:
            s_prev, s_next = self.neighbour_counts(self.stealable(self.head, self.tail))
            avail = (s_prev > 0) | (s_next > 0)
        else:
            s_prev = s_next = np.zeros_like(own)
            avail = np.zeros(own.shape, dtype=bool)
        # End of compute: every lane finished = AG idle, cannot claim, queue empty (all on the
        # registered state at the start of the cycle).  That cycle still counts, as idle.
        if not (self.active.any() or (own > 0).any() or avail.any() or self.q.any()):
            self.idle += 1
            return True

        ag_idle = ~self.active
        # Queue / MAC: the MAC pops an op pushed in an earlier cycle; the AG stalls when the
        # queue is full (registered occupancy == QDEPTH) and it has an op to emit.
        pop = self.q > 0
        op_cycle = self.active & (self.bits > 0)
        stall = op_cycle & (self.q >= self.qdepth)
        emit = op_cycle & ~stall
        # Word ends when it is empty (1 idle AG cycle) or this cycle emits its last op; the
        # row ends at the end of its last word.  A stalled cycle never ends a word.
        word_end = self.active & ~stall & (self.bits <= 1)
        row_end = word_end & (self.words == 1)
        need = ~self.active | row_end

        owner = need & (own > 0)                          # claim rule 1
        thief = need & (own == 0) & avail                 # claim rule 2 (mode != none)
        req_prev = thief & (s_prev >= s_next)             # larger count; tie -> prev
        req_next = thief & ~req_prev

        head2 = self.head + owner                         # arbiter 1: owner first
        from_prev, from_next, g_prev, g_next = self.arbitrate(head2, req_prev, req_next)
        g_any = g_prev | g_next
        tail2 = self.tail - g_any                         # granted thief takes row tail-1

        g = self.geo
        victim = np.where(req_prev, g.prev, g.next)
        granted = (req_next & g_prev[g.next]) | (req_prev & g_next[g.prev])
        refused = thief & ~granted
        if thief.any():
            self.steal_flags(cycle, owner, head2, tail2, from_prev, from_next,
                             req_prev, req_next, victim, granted, refused)
        # ZERO_WORK_STEAL: a stolen row that issued no op finishes this cycle.
        self.flags |= np.where(row_end & self.cur_stolen & (self.cur_ops == 0),
                               _F["ZERO_WORK_STEAL"], 0)

        got = owner | granted
        self.advance_ag(need, got, stall, word_end, row_end, owner, granted, victim)

        # Statistics and register updates at the end of the cycle.
        self.idle += ag_idle & ~got          # AG idle and no row this cycle
        self.mac += pop
        self.stall += stall
        self.q += emit.astype(np.int64) - pop
        self.own += owner
        self.stolen += granted
        self.lost += g_any
        self.refused += refused
        self.head, self.tail = head2, tail2
        return False

    def arbitrate(self, head2: np.ndarray, req_prev: np.ndarray,
                  req_next: np.ndarray) -> tuple[np.ndarray, ...]:
        """Victim arbiter steps 2-3: at most one thief per victim, round-robin on conflicts.

        Returns per victim (from_prev, from_next, g_prev, g_next): the prev-side / next-side
        thief requested / was granted.
        """
        g = self.geo
        # A prev-side thief of victim L is L's prev neighbour requesting its own next.
        from_prev = g.has_prev & req_next[g.prev]
        from_next = g.has_next & req_prev[g.next]
        grantable = self.stealable(head2, self.tail) > 0
        g_prev = grantable & from_prev & (~from_next | (self.rr == 0))
        g_next = grantable & from_next & ~g_prev
        # rr points to the side opposite the one just granted (any grant, contested or not).
        self.rr = np.where(g_prev, 1, np.where(g_next, 0, self.rr))
        return from_prev, from_next, g_prev, g_next

    def steal_flags(self, cycle: int, owner: np.ndarray, head2: np.ndarray, tail2: np.ndarray,
                    from_prev: np.ndarray, from_next: np.ndarray, req_prev: np.ndarray,
                    req_next: np.ndarray, victim: np.ndarray, granted: np.ndarray,
                    refused: np.ndarray) -> None:
        """FLAGS bits 0-4, 6-8 (section 6); 'after the cycle' = head2/tail2."""
        F = _F
        any_req = from_prev | from_next
        st_before = self.stealable(self.head, self.tail)
        st_owner = self.stealable(head2, self.tail)       # after the owner claim only
        f = np.where(from_prev & from_next, F["DUAL_THIEF"], 0)
        f |= np.where(any_req & owner & (st_before == 1) & (st_owner == 0),
                      F["LAST_ROW_RACE"], 0)
        f |= np.where(granted & (self.lost > 0), F["VICTIM_THEN_THIEF"], 0)
        f |= np.where(granted & req_prev, F["STOLE_PREV"], 0)
        f |= np.where(granted & req_next, F["STOLE_NEXT"], 0)
        reason = np.zeros(self.geo.n, dtype=np.int64)
        if refused.any():
            v_own = (tail2 - head2)[victim]
            v_st = self.stealable(head2, tail2)[victim]
            reason = np.select(
                [refused & (v_st > 0), refused & (v_own > 0), refused],
                [F["REFUSED_CONTENTION"], F["REFUSED_EXHAUSTED"], F["REFUSED_DONE"]], 0)
            f |= reason
        self.flags |= f
        if self.events is not None:
            self.record(cycle, req_prev | req_next, req_prev, victim, granted, reason)

    def record(self, cycle: int, req: np.ndarray, req_prev: np.ndarray, victim: np.ndarray,
               granted: np.ndarray, reason: np.ndarray) -> None:
        V, H = self.geo.V, self.geo.H
        names = {int(f.value): f.name for f in PerfFlag}
        for t in np.flatnonzero(req):
            vic = int(victim[t])
            row = None
            if granted[t]:
                # the granted row is the victim's tail-1 at the start of the cycle
                row = (int(self.tail[vic]) - 1) * H + vic // V
            self.events.append(StealEvent(  # type: ignore[union-attr]
                cycle=cycle, thief=divmod(int(t), V), victim=divmod(vic, V),
                side="prev" if req_prev[t] else "next", granted=bool(granted[t]),
                reason="GRANTED" if granted[t] else names[int(reason[t])], row=row))

    def advance_ag(self, need: np.ndarray, got: np.ndarray, stall: np.ndarray,
                   word_end: np.ndarray, row_end: np.ndarray, owner: np.ndarray,
                   granted: np.ndarray, victim: np.ndarray) -> None:
        """AG state after the cycle: next op, next word, or the newly granted row (no bubble)."""
        inside = self.active & ~stall & ~word_end        # emitted an op, word continues
        next_word = word_end & ~row_end
        self.bits = self.bits - inside
        self.wptr = self.wptr + next_word
        self.words = self.words - next_word
        self.bits = np.where(next_word, self.e_flat[self.wptr], self.bits)
        # New row: own row `head`, or the victim's row tail-1 (registered tail).
        src = np.where(owner, self.idx, victim)
        row = np.where(owner, self.head, self.tail[victim] - 1)
        task = np.where(got, src * self.Rm + row, 0)
        base = task * self.K
        self.wptr = np.where(got, base, self.wptr)
        self.words = np.where(got, self.K, self.words)
        self.bits = np.where(got, self.e_flat[base], self.bits)
        self.cur_stolen = np.where(got, granted, self.cur_stolen)
        self.cur_ops = np.where(got, self.ops_task[task], self.cur_ops)
        self.active = np.where(need, got, self.active)

    def run(self, limit: int) -> int:
        cycle = 0
        while not self.step(cycle):
            cycle += 1
            if cycle > limit:  # a model bug, never a property of the input
                raise RuntimeError(f"performance model did not terminate in {limit} cycles")
        return cycle + 1


class _EventEngine:
    """The same rules as :class:`_Engine`, evaluated only in cycles where a lane claims.

    With ``QDEPTH >= 2`` the decoupling queue never holds more than one op (the MAC pops every
    cycle it is not empty), so the AG never stalls: a row granted in cycle ``c`` occupies the AG
    in cycles ``c+1 .. c+D`` with ``D = sum_k max(1, e_k)``, and every op reaches the MAC before
    the compute phase ends.  Between claims nothing a counter or a FLAGS bit depends on changes
    (head, tail and rr only change on grants), so the engine jumps from one claiming cycle to the
    next and works lane by lane on the few lanes that claim.  That makes it several times faster
    than the per-cycle vectorised engine on the 8x8 array, where the testbench's scoreboard runs
    it once per product.  ``_Engine`` stays the reference (it also handles ``QDEPTH = 1``); the
    tests check both engines agree on every counter, stat, flag and traced steal event.
    """

    def __init__(self, geo: _Geometry, e_words: np.ndarray, trace: bool = False) -> None:
        n, self.K, self.Rm, self.H, self.V = geo.n, geo.K, geo.Rm, geo.H, geo.V
        self.events: list[StealEvent] | None = [] if trace else None
        self.steal = geo.mode != StealMode.NONE
        self.dur = np.maximum(e_words, 1).sum(axis=2).reshape(-1).tolist()   # AG cycles per task
        self.ops = e_words.sum(axis=2).reshape(-1).tolist()
        self.last_nonempty = (e_words[:, :, -1] > 0).reshape(-1).tolist()
        self.prev = [int(p) if hp else -1 for p, hp in zip(geo.prev, geo.has_prev)]
        self.next = [int(q) if hq else -1 for q, hq in zip(geo.next, geo.has_next)]
        self.rep_start = geo.rep_start.tolist()
        self.head, self.tail, self.rr = [0] * n, geo.R.tolist(), [0] * n
        self.busy_until = [-1] * n          # row-end cycle of the active row, -1 = AG idle
        self.idle_since = [0] * n
        self.cur_stolen, self.cur_ops = [False] * n, [0] * n
        self.emit_end = [-2] * n            # last row-end cycle whose last word issued an op
        self.mac, self.own, self.stolen, self.lost = [0] * n, [0] * n, [0] * n, [0] * n
        self.refused, self.idle, self.flags = [0] * n, [0] * n, [0] * n
        self.ends: dict[int, list[int]] = {}   # cycle -> lanes whose row ends in that cycle
        self.waiting: set[int] = set(range(n))  # AG-idle lanes that may still claim

    def stealable(self, l: int) -> int:
        return max(0, self.tail[l] - max(self.head[l], self.rep_start[l]))

    def wants(self, l: int) -> tuple[str, int]:
        """("own", l), ("thief", victim) or ("", -1) on the registered state."""
        if self.tail[l] > self.head[l]:
            return "own", l
        if not self.steal:
            return "", -1
        p, q = self.prev[l], self.next[l]
        sp = self.stealable(p) if p >= 0 else 0
        sn = self.stealable(q) if q >= 0 else 0
        if sp == 0 and sn == 0:
            return "", -1
        return "thief", (p if sp >= sn else q)

    def run(self) -> int:
        c = 0
        while True:
            claimers = self.ends.pop(c, [])
            for l in claimers:          # a stolen row that issued no op ends in this cycle
                if self.cur_stolen[l] and self.cur_ops[l] == 0:
                    self.flags[l] |= int(PerfFlag.ZERO_WORK_STEAL)
            claimers = claimers + sorted(self.waiting)
            if claimers:
                self.cycle(c, claimers)
            if self.waiting:
                c += 1
            elif self.ends:
                c = min(self.ends)
            else:
                break
        # Final cycle: every AG idle and every queue empty (a row whose last word issued an op
        # leaves that op in the queue for one more cycle); it counts as idle for every lane.
        final = max(max(b + 1 for b in self.busy_until), max(e + 2 for e in self.emit_end))
        for l in range(len(self.idle)):
            self.idle[l] += final - self.idle_since[l] + 1
        return final + 1

    def cycle(self, c: int, claimers: list[int]) -> None:
        """Claims, victim arbitration and FLAGS of cycle c, on the registered state."""
        F = PerfFlag
        owners: list[int] = []
        requests: dict[int, list[tuple[int, int]]] = {}     # victim -> [(thief, side)]
        for l in claimers:
            kind, victim = self.wants(l)
            if kind == "own":
                owners.append(l)
            elif kind == "thief":
                side = 0 if victim == self.prev[l] else 1      # 0: thief is the victim's next
                requests.setdefault(victim, []).append((l, side))
        owner_set = set(owners)
        head2 = {l: self.head[l] + 1 for l in owners}
        grants: dict[int, int] = {}                          # thief -> victim
        for v, reqs in requests.items():
            h2 = head2.get(v, self.head[v])
            st_before = self.stealable(v)
            st_owner = max(0, self.tail[v] - max(h2, self.rep_start[v]))
            from_prev = [t for t, side in reqs if side == 1]   # thief v-1 asked its next
            from_next = [t for t, side in reqs if side == 0]
            if from_prev and from_next:
                self.flags[v] |= int(F.DUAL_THIEF)
            if v in owner_set and st_before == 1 and st_owner == 0:
                self.flags[v] |= int(F.LAST_ROW_RACE)
            if st_owner > 0:
                if from_prev and (not from_next or self.rr[v] == 0):
                    winner, self.rr[v] = from_prev[0], 1
                else:
                    winner, self.rr[v] = from_next[0], 0
                grants[winner] = v
        # Grants take row tail-1 on the registered tail; then every register updates.
        new_rows: dict[int, tuple[int, bool]] = {l: (l * self.Rm + self.head[l], False)
                                                 for l in owners}
        granted_row = {t: (self.tail[v] - 1) * self.H + v // self.V for t, v in grants.items()}
        for t, v in grants.items():
            new_rows[t] = (v * self.Rm + self.tail[v] - 1, True)
            if self.lost[t] > 0:
                self.flags[t] |= int(F.VICTIM_THEN_THIEF)
            self.flags[t] |= int(F.STOLE_PREV if v == self.prev[t] else F.STOLE_NEXT)
        for l in owners:
            self.head[l] += 1
            self.own[l] += 1
        for t, v in grants.items():
            self.tail[v] -= 1
            self.lost[v] += 1
            self.stolen[t] += 1
        reasons: dict[int, PerfFlag] = {}
        for v, reqs in requests.items():
            for t, _ in reqs:
                if t in grants:
                    continue
                self.refused[t] += 1
                if self.stealable(v) > 0:
                    reasons[t] = F.REFUSED_CONTENTION
                elif self.tail[v] > self.head[v]:
                    reasons[t] = F.REFUSED_EXHAUSTED
                else:
                    reasons[t] = F.REFUSED_DONE
                self.flags[t] |= int(reasons[t])
        if self.events is not None:
            thief_of = sorted((t, v) for v, reqs in requests.items() for t, _ in reqs)
            for t, v in thief_of:
                self.events.append(StealEvent(
                    cycle=c, thief=divmod(t, self.V), victim=divmod(v, self.V),
                    side="prev" if v == self.prev[t] else "next", granted=t in grants,
                    reason="GRANTED" if t in grants else reasons[t].name,
                    row=granted_row.get(t)))
        # AG: a granted row runs in cycles c+1 .. c+D; a lane left without one goes idle.
        for l in claimers:
            was_idle = self.busy_until[l] < c
            if l in new_rows:
                task, stolen = new_rows[l]
                if was_idle:
                    self.idle[l] += c - self.idle_since[l]
                end = c + self.dur[task]
                self.busy_until[l] = end
                self.ends.setdefault(end, []).append(l)
                self.cur_stolen[l], self.cur_ops[l] = stolen, self.ops[task]
                self.mac[l] += self.ops[task]
                if self.last_nonempty[task]:
                    self.emit_end[l] = end
                self.waiting.discard(l)
            else:
                if not was_idle:
                    self.idle_since[l] = c + 1
                self.waiting.add(l)
        # An AG-idle lane that can neither own-claim nor find stealable rows never will again
        # (own and stealable counts only decrease).
        self.waiting = {l for l in self.waiting if self.wants(l)[0]}

    def lane_arrays(self) -> dict[str, np.ndarray]:
        n = len(self.mac)
        arr = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
        return {"mac": arr(self.mac), "own": arr(self.own), "stolen": arr(self.stolen),
                "lost": arr(self.lost), "refused": arr(self.refused), "idle": arr(self.idle),
                "flags": arr(self.flags), "stall": np.zeros(n, dtype=np.int64)}


def simulate_matvec(w_nonzero: np.ndarray, a_nonzero: np.ndarray, hw: HwConfig,
                    layer: LayerConfig, trace: bool = False) -> PerfResult:
    """Cycle-exact counters of one product y = W a (architecture.md section 5).

    w_nonzero: bool (M, N) non-zero mask of W; a_nonzero: bool (N,) non-zero mask of a.
    trace=True also records every thief request (PerfResult.trace).
    """
    geo = _prepare(w_nonzero, hw, layer)
    return _simulate(w_nonzero, a_nonzero, hw, layer, geo, trace)


def _simulate(w_nonzero: np.ndarray, a_nonzero: np.ndarray, hw: HwConfig, layer: LayerConfig,
              geo: _Geometry, trace: bool, engine: str = "auto") -> PerfResult:
    """engine: "cycle" (the per-cycle reference), "event" (QDEPTH >= 2) or "auto"."""
    e = _task_words(w_nonzero, a_nonzero, hw, layer, geo)
    out = _out_cycles(hw, layer.M)
    use_event = engine == "event" or (engine == "auto" and hw.QDEPTH >= 2)
    if use_event:
        if hw.QDEPTH < 2:
            raise ValueError("the event engine needs QDEPTH >= 2")
        ev = _EventEngine(geo, e, trace)
        compute = ev.run()
        return _result(ev.lane_arrays(), geo, compute, out, ev.events)
    eng = _Engine(geo, e, hw.QDEPTH, trace)
    # Generous bound: every AG cycle, every op stalling QDEPTH times, plus slack.
    work = int(np.maximum(e, 1).sum() + e.sum())
    compute = eng.run(limit=(hw.QDEPTH + 2) * work + 16)
    arrays = {"mac": eng.mac, "own": eng.own, "stolen": eng.stolen, "lost": eng.lost,
              "refused": eng.refused, "idle": eng.idle, "flags": eng.flags, "stall": eng.stall}
    return _result(arrays, geo, compute, out, eng.events)


def _result(a: dict[str, np.ndarray], geo: _Geometry, compute: int, out: int,
            events: list[StealEvent] | None) -> PerfResult:
    shape = (geo.H, geo.V)
    lanes = LaneStats(mac_busy=a["mac"].reshape(shape), rows_own=a["own"].reshape(shape),
                      rows_stolen=a["stolen"].reshape(shape), rows_lost=a["lost"].reshape(shape),
                      refused=a["refused"].reshape(shape), idle=a["idle"].reshape(shape),
                      flags=a["flags"].reshape(shape), stall=a["stall"].reshape(shape))
    return PerfResult(cycles=compute + out, compute_cycles=compute, out_cycles=out,
                      mac_busy=int(a["mac"].sum()), steals_granted=int(a["stolen"].sum()),
                      steals_refused=int(a["refused"].sum()), stall=int(a["stall"].sum()),
                      idle=int(a["idle"].sum()), rows_done=int((a["own"] + a["stolen"]).sum()),
                      lanes=lanes, trace=events)


# --------------------------------------------------------------------------------------------
# Sequences (RNN time steps)
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SequenceResult:
    """Products run back to back; ``steps[t]`` lists the products of time step t in order."""

    steps: list[list[PerfResult]]

    @property
    def products(self) -> list[PerfResult]:
        return [p for step in self.steps for p in step]

    @property
    def step_cycles(self) -> list[int]:
        return [sum(p.cycles for p in step) for step in self.steps]

    def total(self, name: str) -> int:
        """Sum of a PerfResult field over every product, e.g. total('cycles')."""
        return int(sum(getattr(p, name) for p in self.products))

    @property
    def cycles(self) -> int:
        return self.total("cycles")

    @property
    def mac_busy(self) -> int:
        return self.total("mac_busy")

    @property
    def utilization(self) -> float:
        lanes = self.products[0].n_lanes
        return self.mac_busy / (self.cycles * lanes)


def simulate_sequence(w_nonzero: np.ndarray, a_masks: np.ndarray | Sequence[np.ndarray],
                      hw: HwConfig, layer: LayerConfig, trace: bool = False) -> SequenceResult:
    """One weight matrix applied to T activation masks in order (T products, e.g. U h_{t-1})."""
    geo = _prepare(w_nonzero, hw, layer)
    return SequenceResult(steps=[[_simulate(w_nonzero, a, hw, layer, geo, trace)]
                                 for a in _as_steps(a_masks)])


def simulate_layer(weights: Sequence[np.ndarray],
                   act_masks: Sequence[np.ndarray | Sequence[np.ndarray]],
                   hw: HwConfig, mode: StealMode | int = StealMode.NONE, rep_rows: int = 0,
                   trace: bool = False) -> SequenceResult:
    """An RNN layer: per time step t, product j = weights[j] x act_masks[j][t], j in order.

    For a GRU: weights = [W (3H x I), U (3H x H)], act_masks = [x masks (T, I), h_{t-1}
    masks (T, H)].  Each product is a separate start of the engine, so the step's cycles are
    the sum of the products' PERF_CYCLES (host overhead between starts is not modelled).
    """
    if len(weights) != len(act_masks):
        raise SpecError(f"{len(weights)} weight masks but {len(act_masks)} activation streams")
    streams = [_as_steps(a) for a in act_masks]
    steps_n = {len(s) for s in streams}
    if len(steps_n) > 1:
        raise SpecError(f"activation streams have different lengths {sorted(steps_n)}")
    layers = [LayerConfig(M=w.shape[0], N=w.shape[1], mode=StealMode(int(mode)),
                          rep_rows=rep_rows) for w in weights]
    geos = [_prepare(w, hw, lay) for w, lay in zip(weights, layers)]
    T = steps_n.pop() if steps_n else 0
    return SequenceResult(steps=[
        [_simulate(w, s[t], hw, lay, geo, trace)
         for w, s, lay, geo in zip(weights, streams, layers, geos)]
        for t in range(T)])


def _as_steps(a_masks: np.ndarray | Sequence[np.ndarray]) -> list[np.ndarray]:
    if isinstance(a_masks, np.ndarray):
        if a_masks.ndim != 2:
            raise SpecError(f"activation masks must be (T, N), got shape {a_masks.shape}")
        return list(a_masks)
    return list(a_masks)


# --------------------------------------------------------------------------------------------
# Workloads and the scaling study (brief section 4 trends)
# --------------------------------------------------------------------------------------------

def rep_rows_for_fraction(fraction: float, M: int, H: int) -> int:
    """rep_rows for replicating about `fraction` of each lane's own rows (at least 1)."""
    return max(1, round(fraction * ceil_div(M, H)))


def duplication_fraction(w_nonzero: np.ndarray, hw: HwConfig, layer: LayerConfig) -> float:
    """Replica weight entries stored by all lanes / weight non-zeros of W."""
    geo = _prepare(w_nonzero, hw, layer)
    tail = _tail_sum(geo, _word_popcounts(w_nonzero, hw, geo).sum(axis=2))
    total = int(w_nonzero.sum())
    return float(_imported(geo, tail).sum() / total) if total else 0.0


def load_imbalance(w_nonzero: np.ndarray, a_masks: np.ndarray | Sequence[np.ndarray],
                   hw: HwConfig, layer: LayerConfig) -> float:
    """Mean over products of (effective ops of the busiest lane) / (mean ops per lane).

    Counts each lane's own rows only, i.e. the imbalance stealing has to fix.
    """
    geo = _prepare(w_nonzero, hw, layer)
    ratios = []
    for a in _as_steps(a_masks):
        per_lane = _task_words(w_nonzero, a, hw, layer, geo).sum(axis=(1, 2))
        mean = per_lane.mean()
        ratios.append(per_lane.max() / mean if mean else 1.0)
    return float(np.mean(ratios)) if ratios else 1.0


def random_masks(rng: np.random.Generator, M: int, N: int, w_density: float, a_density: float,
                 T: int, skew: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """W mask (M, N) and T activation masks (T, N).

    skew > 0 makes the load uneven: per-row weight density and per-column activation density
    are scaled by lognormal(0, skew) factors (mean-normalised), like pruned layers whose
    neurons differ in fan-in and in how often they fire.
    """
    def factors(k: int) -> np.ndarray:
        if skew <= 0:
            return np.ones(k)
        f = rng.lognormal(0.0, skew, k)
        return f / f.mean()

    w_p = np.clip(w_density * factors(M)[:, None], 0.0, 1.0)
    w = rng.random((M, N)) < w_p
    a_p = np.clip(a_density * factors(N)[None, :], 0.0, 1.0)
    a = rng.random((T, N)) < a_p
    return w, a


def _study_hw(H: int, V: int, M: int, N: int, rep_rows: int) -> HwConfig:
    """A paper-scale array with capacities large enough for the study's layer."""
    R = ceil_div(M, H)
    P = ceil_div(N, V)
    slots = R + 2 * min(R, rep_rows)
    return HwConfig(H=H, V=V, M_MAX=M, N_MAX=N, SLOTS=slots, WDEPTH=max(16, slots * P))


def scaling_study(arrays: Iterable[tuple[int, int]] = ((8, 8), (16, 16), (32, 32)),
                  M: int = 800, N: int = 800, w_density: float = 0.1, a_density: float = 0.5,
                  T: int = 20, rep_fraction: float = 0.1, skew: float = 0.0, seed: int = 0,
                  modes: Iterable[StealMode] = tuple(StealMode)) -> list[dict[str, Any]]:
    """Cycles, utilisation and speedups per array size and steal mode on one random workload.

    Returns one dict per (array, mode): lanes, H, V, mode, rep_rows, dup_fraction,
    load_imbalance, cycles, compute_cycles, mac_busy, utilization, steals_granted,
    steals_refused, speedup_vs_none (same array) and
    scaling_vs_smallest (same mode, cycles of the first array / cycles of this one).
    """
    rng = np.random.default_rng(seed)
    w, a = random_masks(rng, M, N, w_density, a_density, T, skew)
    rows: list[dict[str, Any]] = []
    for H, V in arrays:
        rep = rep_rows_for_fraction(rep_fraction, M, H)
        hw = _study_hw(H, V, M, N, rep)
        for mode in modes:
            layer = LayerConfig(M=M, N=N, mode=mode, rep_rows=rep if mode else 0)
            seq = simulate_sequence(w, a, hw, layer)
            rows.append(dict(
                lanes=H * V, H=H, V=V, mode=StealMode(mode).name, rep_rows=layer.rep_rows,
                dup_fraction=duplication_fraction(w, hw, layer),
                load_imbalance=load_imbalance(w, a, hw, layer), cycles=seq.cycles,
                compute_cycles=seq.total("compute_cycles"),
                mac_busy=seq.mac_busy, utilization=seq.utilization,
                steals_granted=seq.total("steals_granted"),
                steals_refused=seq.total("steals_refused")))
    _add_speedups(rows)
    return rows


def _add_speedups(rows: list[dict[str, Any]]) -> None:
    none = {r["lanes"]: r["cycles"] for r in rows if r["mode"] == "NONE"}
    first: dict[str, int] = {}
    for r in rows:
        base = none.get(r["lanes"])
        r["speedup_vs_none"] = base / r["cycles"] if base else math.nan
        first.setdefault(r["mode"], r["cycles"])
        r["scaling_vs_smallest"] = first[r["mode"]] / r["cycles"]
