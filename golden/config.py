"""Build-time (HwConfig) and run-time (LayerConfig) parameters and the work decomposition.

Everything here is a pure function of the configuration (no weights), implementing
docs/architecture.md sections 1 and 3. The performance model imports these helpers, so the
decomposition (which lane owns which row, which slot holds which replica) lives in one place.
"""

from __future__ import annotations

from collections.abc import Callable

import enum
from dataclasses import dataclass, field
from typing import Iterator, Optional

import numpy as np

from golden.errors import SpecError

Lane = tuple[int, int]

# Widths fixed by the contract (section 3 and the register map of section 6).
ROWPTR_BITS = 16
WEIGHT_BITS = 8
ACT_BITS = 16
BIAS_BITS = 16
ADDR_SPACE = 1 << 16  # mem_addr_i / mem_unit_i are 16 bits wide
MAX_SHIFT = 15

# CFG_FEAT bits (register 0x12, docs/architecture.md section 6; rules: docs/perf-model.md
# "v2 rules"). LayerConfig.feat holds the register value, HwConfig.FEAT_IMPL the bits a build
# implements (masr_top parameter FEAT_IMPL, read back in CAPS5).
FEAT_NULL_SKIP = 1 << 0   # N1: the address generator skips null mask words
FEAT_ROW_SKIP = 1 << 1    # N2: empty-row lookahead (needs FEAT_NULL_SKIP)
FEAT_OVERLAP = 1 << 2     # O1: overlapped output phase
FEAT_SPLIT = 1 << 3       # split replica ranges
FEAT_PREFETCH = 1 << 4    # X phase: x_{t+1} encoded into a second RF set (needs FEAT_OVERLAP)
FEAT_WIDE_ENC = 1 << 5    # X phase: the encoder takes a whole mask word of x_t per cycle
FEAT_RUN_AHEAD = 1 << 6   # X phase: lanes run ahead into the next product (O2, needs PREFETCH)
FEAT_SCAN = 1 << 7        # N3: a row scanner retires empty rows (needs FEAT_NULL_SKIP)
FEAT_DEFINED = (FEAT_NULL_SKIP | FEAT_ROW_SKIP | FEAT_OVERLAP | FEAT_SPLIT | FEAT_PREFETCH |
                FEAT_WIDE_ENC | FEAT_RUN_AHEAD | FEAT_SCAN)
FEAT_NAMES = {FEAT_NULL_SKIP: "NULL_SKIP", FEAT_ROW_SKIP: "ROW_SKIP", FEAT_OVERLAP: "OVERLAP",
              FEAT_SPLIT: "SPLIT", FEAT_PREFETCH: "PREFETCH", FEAT_WIDE_ENC: "WIDE_ENC",
              FEAT_RUN_AHEAD: "RUN_AHEAD", FEAT_SCAN: "SCAN"}
# The bit each feature needs set beside it (feat_error).
FEAT_NEEDS = {FEAT_ROW_SKIP: FEAT_NULL_SKIP, FEAT_PREFETCH: FEAT_OVERLAP,
              FEAT_RUN_AHEAD: FEAT_PREFETCH, FEAT_SCAN: FEAT_NULL_SKIP}


def feat_with_needs(bit: int) -> int:
    """``bit`` with every bit it needs, transitively (RUN_AHEAD: PREFETCH and OVERLAP): the
    smallest CFG_FEAT value setting it that no needs-rule rejects."""
    feat = bit
    while True:
        grown = feat | sum(need for b, need in FEAT_NEEDS.items() if feat & b)
        if grown == feat:
            return feat
        feat = grown


# What the RTL implements by default (masr_top FEAT_IMPL's default value).
FEAT_IMPLEMENTED = FEAT_DEFINED


def feat_names(feat: int) -> str:
    """'NULL_SKIP|ROW_SKIP' for a CFG_FEAT value ('0' when no bit is set)."""
    names = [n for bit, n in FEAT_NAMES.items() if feat & bit]
    rest = feat & ~FEAT_DEFINED
    if rest:
        names.append(f"{rest:#x}")
    return "|".join(names) if names else "0"


def feat_error(feat: int, implemented: int = FEAT_DEFINED) -> Optional[str]:
    """Why a CFG_FEAT value is ERR_MODE on a build implementing ``implemented`` (None: legal)."""
    if feat < 0 or feat & ~FEAT_DEFINED:
        return (f"CFG_FEAT={feat:#x} sets undefined bits {feat & ~FEAT_DEFINED:#x} "
                f"(defined: {FEAT_DEFINED:#x})")
    if feat & FEAT_ROW_SKIP and not feat & FEAT_NEEDS[FEAT_ROW_SKIP]:
        return (f"CFG_FEAT={feat:#x}: ROW_SKIP tests a row in one wide mask read, which needs "
                f"NULL_SKIP")
    if feat & FEAT_SCAN and not feat & FEAT_NEEDS[FEAT_SCAN]:
        return (f"CFG_FEAT={feat:#x}: SCAN tests a row in one wide mask read, which needs "
                f"NULL_SKIP")
    if feat & FEAT_PREFETCH and not feat & FEAT_NEEDS[FEAT_PREFETCH]:
        return (f"CFG_FEAT={feat:#x}: PREFETCH starts product t+1 beside product t's output "
                f"phase, which needs OVERLAP's second accumulator bank")
    if feat & FEAT_RUN_AHEAD and not feat & FEAT_NEEDS[FEAT_RUN_AHEAD]:
        return (f"CFG_FEAT={feat:#x}: RUN_AHEAD lets lanes claim in product t+1 while product t "
                f"computes, which needs PREFETCH's second activation RF set")
    if feat & ~implemented:
        return (f"CFG_FEAT={feat:#x} ({feat_names(feat)}): the build does not implement "
                f"{feat_names(feat & ~implemented)} (CAPS5 = {implemented:#x})")
    return None


def ceil_div(a: int, b: int) -> int:
    return (a + b - 1) // b


def _is_pow2(x: int) -> bool:
    return x >= 1 and (x & (x - 1)) == 0


def _require_int(owner: str, name: str, value: object) -> int:
    # bool is an int subclass; a True/False here is always a caller bug. numpy integers (from
    # rng.integers) are accepted and normalised to int by the callers.
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise SpecError(f"{owner}.{name} must be an int, got {value!r} ({type(value).__name__})")
    return int(value)


def _normalise_ints(obj: object, owner: str, names: tuple[str, ...]) -> None:
    for name in names:
        object.__setattr__(obj, name, _require_int(owner, name, getattr(obj, name)))


class StealMode(enum.IntEnum):
    NONE = 0
    VERTICAL = 1
    HORIZONTAL = 2


@dataclass(frozen=True)
class HwConfig:
    """Build-time parameters (Verilog parameters of the top level)."""

    H: int
    V: int
    B: int = 16
    G: int = 2
    # Capacities have no sensible default; keyword-only lets them follow the defaulted fields.
    M_MAX: int = field(kw_only=True)
    N_MAX: int = field(kw_only=True)
    SLOTS: int = field(kw_only=True)
    WDEPTH: int = field(kw_only=True)
    QDEPTH: int = 8
    T_MAX: int = 32     # GRU: max sequence length (docs/gru-layer.md 8.1)
    FEAT_IMPL: int = FEAT_IMPLEMENTED   # CFG_FEAT bits the build implements (CAPS5)

    def __post_init__(self) -> None:
        _normalise_ints(self, "HwConfig",
                        ("H", "V", "B", "G", "M_MAX", "N_MAX", "SLOTS", "WDEPTH", "QDEPTH",
                         "T_MAX", "FEAT_IMPL"))
        if self.FEAT_IMPL & ~FEAT_DEFINED or self.FEAT_IMPL < 0:
            raise SpecError(f"HwConfig.FEAT_IMPL={self.FEAT_IMPL:#x} has bits outside the "
                            f"defined CFG_FEAT bits {FEAT_DEFINED:#x}")
        for name in ("H", "V"):
            value = getattr(self, name)
            if not _is_pow2(value):
                raise SpecError(f"HwConfig.{name}={value} must be a power of two >= 1")
        if self.B not in (8, 16, 32):
            raise SpecError(f"HwConfig.B={self.B} must be one of 8, 16, 32")
        if self.G < 1 or self.H % self.G != 0:
            raise SpecError(f"HwConfig.G={self.G} must be >= 1 and divide H={self.H}")
        for name in ("M_MAX", "N_MAX", "SLOTS", "WDEPTH", "QDEPTH", "T_MAX"):
            value = getattr(self, name)
            if value < 1:
                raise SpecError(f"HwConfig.{name}={value} must be >= 1")

    @property
    def feat_available(self) -> int:
        """CFG_FEAT bits a start may set on this build (CAPS5): FEAT_IMPL, without NULL_SKIP,
        ROW_SKIP, SPLIT, RUN_AHEAD and SCAN when QDEPTH < 2 (the v2 product rules, and run-ahead's,
        assume an AG that never stalls; the other GRU sequencing bits keep the v1 product
        rules)."""
        if self.QDEPTH < 2:
            return self.FEAT_IMPL & ~(FEAT_NULL_SKIP | FEAT_ROW_SKIP | FEAT_SPLIT |
                                      FEAT_RUN_AHEAD | FEAT_SCAN)
        return self.FEAT_IMPL

    # -- derived sizes (contract section 1) --------------------------------------------------
    @property
    def P_MAX(self) -> int:
        return ceil_div(self.N_MAX, self.V)

    @property
    def KW_MAX(self) -> int:
        return ceil_div(self.P_MAX, self.B)

    @property
    def R_MAX(self) -> int:
        return ceil_div(self.M_MAX, self.H)

    @property
    def MDEPTH(self) -> int:
        return self.SLOTS * self.KW_MAX

    @property
    def AMASK_DEPTH(self) -> int:
        return 3 * self.KW_MAX

    @property
    def AVAL_DEPTH(self) -> int:
        return 3 * self.P_MAX

    @property
    def n_lanes(self) -> int:
        return self.H * self.V

    @property
    def n_pes(self) -> int:
        return (self.H // self.G) * self.V

    @property
    def name(self) -> str:
        return f"{self.H}x{self.V}"

    # -- indices used by the frontdoor (contract section 6) ----------------------------------
    def lane_index(self, h: int, v: int) -> int:
        return h * self.V + v

    def pe_index(self, g: int, v: int) -> int:
        return g * self.V + v

    def pe_of_lane(self, h: int, v: int) -> tuple[int, int]:
        return (h // self.G, v)

    def lanes(self) -> Iterator[Lane]:
        for h in range(self.H):
            for v in range(self.V):
                yield (h, v)

    def pes(self) -> Iterator[tuple[int, int]]:
        for g in range(self.H // self.G):
            for v in range(self.V):
                yield (g, v)

    def check_rtl_limits(self) -> None:
        """Limits imposed by the register map and 16-bit memory ports (not by the perf model)."""
        limits = {
            "H": (self.H, 128, "CAPS[15:8]"),
            "V": (self.V, 128, "CAPS[23:16]"),
            "M_MAX": (self.M_MAX, 0xFFFF, "CAPS2[31:16]"),
            "N_MAX": (self.N_MAX, 0xFFFF, "CAPS2[15:0]"),
            "WDEPTH": (self.WDEPTH, 0xFFFF, "CAPS3[31:16]"),
            "SLOTS": (self.SLOTS, 0xFFFF, "CAPS3[15:0]"),
            "MDEPTH": (self.MDEPTH, ADDR_SPACE, "mem_addr_i"),
            "AVAL_DEPTH": (self.AVAL_DEPTH, ADDR_SPACE, "mem_addr_i"),
            "n_lanes": (self.n_lanes, ADDR_SPACE, "mem_unit_i"),
            "T_MAX": (self.T_MAX, 0xFFFF, "CAPS4[31:16]"),
            "T_MAX*N_MAX": (self.T_MAX * self.N_MAX, ADDR_SPACE, "mem_addr_i (XBUF)"),
            "T_MAX*M_MAX": (self.T_MAX * self.M_MAX, ADDR_SPACE, "mem_addr_i (GX)"),
        }
        for name, (value, limit, where) in limits.items():
            if value > limit:
                raise SpecError(f"HwConfig.{name}={value} exceeds {limit}, the limit of {where}")


BRINGUP_4X2 = HwConfig(H=4, V=2, B=16, G=2, M_MAX=64, N_MAX=64, SLOTS=32, WDEPTH=512,
                       T_MAX=32)
REGRESSION_8X8 = HwConfig(H=8, V=8, B=16, G=2, M_MAX=256, N_MAX=256, SLOTS=48, WDEPTH=1024,
                          T_MAX=32)


@dataclass(frozen=True)
class LayerConfig:
    """Run-time registers of one matrix-vector product (CFG_M .. CFG_SHIFT, CFG_FEAT)."""

    M: int
    N: int
    mode: StealMode = StealMode.NONE
    rep_rows: int = 0
    shift: int = 6
    feat: int = 0       # CFG_FEAT: v2 feature enables (FEAT_* bits)

    def __post_init__(self) -> None:
        _normalise_ints(self, "LayerConfig", ("M", "N", "mode", "rep_rows", "shift", "feat"))
        reason = feat_error(self.feat)
        if reason is not None:
            raise SpecError(f"LayerConfig.feat: {reason}")
        if self.M < 1:
            raise SpecError(f"LayerConfig.M={self.M} must be >= 1")
        if self.N < 1:
            raise SpecError(f"LayerConfig.N={self.N} must be >= 1")
        if int(self.mode) not in (0, 1, 2):
            raise SpecError(f"LayerConfig.mode={int(self.mode)} must be 0 (none), "
                            f"1 (vertical) or 2 (horizontal)")
        object.__setattr__(self, "mode", StealMode(int(self.mode)))
        if self.rep_rows < 0:
            raise SpecError(f"LayerConfig.rep_rows={self.rep_rows} must be >= 0")
        if not 0 <= self.shift <= MAX_SHIFT:
            raise SpecError(f"LayerConfig.shift={self.shift} must be in 0..{MAX_SHIFT}")

    @property
    def perf_features(self):
        """The performance model's ``golden.perf_v2.PerfFeatures`` for this CFG_FEAT value."""
        from golden.perf_v2 import features_of_feat
        return features_of_feat(self.feat)

    def check_feat(self, hw: HwConfig) -> None:
        """Raise SpecError if ``hw`` does not implement the CFG_FEAT bits (ERR_MODE)."""
        reason = feat_error(self.feat, hw.feat_available)
        if reason is not None and feat_error(self.feat, hw.FEAT_IMPL) is None:
            reason += (f" (NULL_SKIP, ROW_SKIP, SPLIT, RUN_AHEAD and SCAN need QDEPTH >= 2, the "
                       f"build has {hw.QDEPTH})")
        if reason is not None:
            raise SpecError(f"LayerConfig.feat: {reason}")

    def check_fits(self, hw: HwConfig) -> None:
        """Raise SpecError if the layer cannot run on ``hw`` (ERR_DIM / ERR_SLOTS conditions, and
        ERR_MODE for CFG_FEAT bits the build does not implement)."""
        self.check_feat(hw)
        if self.M > hw.M_MAX:
            raise SpecError(f"LayerConfig.M={self.M} exceeds M_MAX={hw.M_MAX} "
                            f"(over by {self.M - hw.M_MAX})")
        if self.N > hw.N_MAX:
            raise SpecError(f"LayerConfig.N={self.N} exceeds N_MAX={hw.N_MAX} "
                            f"(over by {self.N - hw.N_MAX})")
        if self.feat & FEAT_SPLIT:
            # Split replica ranges: the slots follow the plan registers; this checks the
            # uniform plan the encoder builds from rep_rows (a load plan: check_split_plan).
            check_split_plan(hw, self, uniform_split_plan(hw, self))
            return
        for h, v in hw.lanes():
            need = slots_needed(hw, self, h, v)
            if need > hw.SLOTS:
                q_prev, q_next = _neighbour_replicas(hw, self, h, v)
                raise SpecError(
                    f"lane ({h},{v}) needs {need} row slots (R={rows_of_lane(hw, self.M, h)}, "
                    f"Q_prev={q_prev}, Q_next={q_next}), SLOTS is {hw.SLOTS} "
                    f"(over by {need - hw.SLOTS})"
                )


# -- decomposition helpers (contract section 3) ------------------------------------------------

def rows_of_lane(hw: HwConfig, M: int, h: int) -> int:
    """R_h: number of rows owned by lane-row h (rows h, h+H, h+2H, ...)."""
    return ceil_div(M - h, hw.H) if h < M else 0


def row_of(hw: HwConfig, h: int, i: int) -> int:
    """Global row index of local row i of lane-row h."""
    return i * hw.H + h


def lane_row_of(hw: HwConfig, r: int) -> tuple[int, int]:
    """(h, i) of global row r."""
    return (r % hw.H, r // hw.H)


def partition_width(hw: HwConfig, N: int) -> int:
    """P = ceil(N / V)."""
    return ceil_div(N, hw.V)


def words_per_row(hw: HwConfig, N: int) -> int:
    """K = ceil(P / B): mask words per row per partition."""
    return ceil_div(partition_width(hw, N), hw.B)


def partition_bounds(hw: HwConfig, N: int, v: int) -> tuple[int, int]:
    """Half-open column range [lo, hi) of partition v (lo == hi for an empty partition)."""
    P = partition_width(hw, N)
    lo = min(N, v * P)
    return lo, min(N, (v + 1) * P)


def out_cycles(hw: HwConfig, M: int) -> int:
    return ceil_div(M, hw.H)


def neighbours(hw: HwConfig, mode: StealMode, h: int,
               v: int) -> tuple[Optional[Lane], Optional[Lane]]:
    """(prev, next) neighbours of lane (h, v) in the steal direction; None at the array edge."""
    mode = StealMode(int(mode))
    if mode == StealMode.VERTICAL:
        prev = (h, v - 1) if v > 0 else None
        nxt = (h, v + 1) if v + 1 < hw.V else None
    elif mode == StealMode.HORIZONTAL:
        prev = (h - 1, v) if h > 0 else None
        nxt = (h + 1, v) if h + 1 < hw.H else None
    else:
        prev = nxt = None
    return prev, nxt


def replica_rows(hw: HwConfig, layer: LayerConfig, h: int) -> int:
    """Q_L = min(R_L, rep_rows): tail rows lane-row h exports to each thief that may steal."""
    return min(rows_of_lane(hw, layer.M, h), layer.rep_rows)


def rep_start(hw: HwConfig, layer: LayerConfig, h: int) -> int:
    """First local row of lane-row h that thieves may steal."""
    return rows_of_lane(hw, layer.M, h) - replica_rows(hw, layer, h)


def _neighbour_replicas(hw: HwConfig, layer: LayerConfig, h: int, v: int) -> tuple[int, int]:
    prev, nxt = neighbours(hw, layer.mode, h, v)
    q_prev = replica_rows(hw, layer, prev[0]) if prev is not None else 0
    q_next = replica_rows(hw, layer, nxt[0]) if nxt is not None else 0
    return q_prev, q_next


def slots_needed(hw: HwConfig, layer: LayerConfig, h: int, v: int) -> int:
    """R + Q_prev + Q_next for lane (h, v)."""
    q_prev, q_next = _neighbour_replicas(hw, layer, h, v)
    return rows_of_lane(hw, layer.M, h) + q_prev + q_next


def replica_base(hw: HwConfig, layer: LayerConfig, h: int, v: int, side: str) -> int:
    """First slot of the prev ('prev') or next ('next') neighbour's replicas in lane (h, v)."""
    R = rows_of_lane(hw, layer.M, h)
    if side == "prev":
        return R
    if side == "next":
        return R + _neighbour_replicas(hw, layer, h, v)[0]
    raise SpecError(f"side={side!r} must be 'prev' or 'next'")


def act_segment(mode: StealMode, kind: str) -> int:
    """Activation RF segment a slot of this kind reads (0 own, 1 partition v-1, 2 partition v+1)."""
    if kind == "own" or StealMode(int(mode)) != StealMode.VERTICAL:
        return 0
    return 1 if kind == "prev" else 2


@dataclass(frozen=True)
class SlotRef:
    """What one row slot of lane (h, v) holds."""

    h: int
    v: int
    slot: int
    kind: str          # "own", "prev" (prev neighbour's replica) or "next"
    victim: Lane       # lane owning the row's accumulator (== (h, v) for own rows)
    local_row: int     # index i in the victim's row list
    row: int           # global row r
    partition: int     # partition u whose columns the mask covers
    seg: int           # activation RF segment used by the address unit


def _slots_with_replicas(hw: HwConfig, layer: LayerConfig, h: int, v: int,
                         replica_rows_of: Callable[[str, int, int], range]) -> list[SlotRef]:
    """Own rows, then per existing neighbour (prev, next) the victim's local rows
    ``replica_rows_of(kind, vh, vv)`` that this lane stores."""
    slots = [SlotRef(h, v, i, "own", (h, v), i, row_of(hw, h, i), v, 0)
             for i in range(rows_of_lane(hw, layer.M, h))]
    prev, nxt = neighbours(hw, layer.mode, h, v)
    for kind, victim in (("prev", prev), ("next", nxt)):
        if victim is None:
            continue
        vh, vv = victim
        for i in replica_rows_of(kind, vh, vv):
            slots.append(SlotRef(h, v, len(slots), kind, victim, i, row_of(hw, vh, i), vv,
                                 act_segment(layer.mode, kind)))
    return slots


def slot_layout(hw: HwConfig, layer: LayerConfig, h: int, v: int) -> list[SlotRef]:
    """Slots of lane (h, v) in slot order: own rows, prev replicas, next replicas."""
    def tail(kind: str, vh: int, vv: int) -> range:
        start = rep_start(hw, layer, vh)
        return range(start, start + replica_rows(hw, layer, vh))

    return _slots_with_replicas(hw, layer, h, v, tail)


def split_slot_layout(hw: HwConfig, layer: LayerConfig, h: int, v: int,
                      plan: np.ndarray) -> list[SlotRef]:
    """Slots of lane (h, v) with split replica ranges (CFG_FEAT.SPLIT, architecture.md 3).

    ``plan`` is the (H*V, 2) array of per-lane plan registers [base_0, base_1] (lane h*V + v).
    Victim L's range 0 = [base_0, base_1) is stored by its prev neighbour only, range 1 =
    [base_1, R_L) by its next neighbour only. So lane (h, v) holds, after its own rows, range 1
    of its prev neighbour ("prev" slots) and then range 0 of its next neighbour ("next" slots).
    Mode none: no replicas.
    """
    plan = np.asarray(plan, dtype=np.int64)

    def held_range(kind: str, vh: int, vv: int) -> range:
        b0, b1 = (int(x) for x in plan[hw.lane_index(vh, vv)])
        return range(b1, rows_of_lane(hw, layer.M, vh)) if kind == "prev" else range(b0, b1)

    return _slots_with_replicas(hw, layer, h, v, held_range)


def uniform_split_plan(hw: HwConfig, layer: LayerConfig) -> np.ndarray:
    """Plan registers of the uniform split plan (min(R, rep_rows) rows per existing thief,
    docs/perf-model.md R4 with no budget); it does not depend on the weights."""
    from golden.perf_v2 import PerfFeatures, plan_registers, plan_replicas

    zeros = np.zeros((layer.M, layer.N), dtype=bool)
    return plan_registers(plan_replicas(zeros, hw, layer, PerfFeatures(replicas="split")),
                          hw, layer)


def check_split_plan(hw: HwConfig, layer: LayerConfig, plan: np.ndarray) -> None:
    """SpecError unless the plan registers describe ranges inside every lane and fit SLOTS
    (the RTL's ERR_SLOTS conditions with CFG_FEAT.SPLIT, architecture.md section 7)."""
    plan = np.asarray(plan, dtype=np.int64)
    if plan.shape != (hw.n_lanes, 2):
        raise SpecError(f"split plan has shape {plan.shape}, expected ({hw.n_lanes}, 2)")
    for h, v in hw.lanes():
        b0, b1 = (int(x) for x in plan[hw.lane_index(h, v)])
        R = rows_of_lane(hw, layer.M, h)
        if not 0 <= b0 <= b1 <= R:
            raise SpecError(f"lane ({h},{v}) plan base_0={b0}, base_1={b1}: needs "
                            f"0 <= base_0 <= base_1 <= R={R}")
    for h, v in hw.lanes():
        need = len(split_slot_layout(hw, layer, h, v, plan))
        if need > hw.SLOTS:
            raise SpecError(f"lane ({h},{v}) needs {need} row slots with split replica ranges "
                            f"(R={rows_of_lane(hw, layer.M, h)} plus imports), SLOTS is "
                            f"{hw.SLOTS} (over by {need - hw.SLOTS})")


def max_slots_needed(hw: HwConfig, layer: LayerConfig) -> int:
    return max(slots_needed(hw, layer, h, v) for h, v in hw.lanes())
