"""GRU transactions: the layer item sequences generate and the per-phase result the monitor sees.

``GruLayerItem`` is one whole GRU layer (contract docs/gru-layer.md section 8): sizes I, Hd, T,
the steal configuration, the threshold, the directions (forward, backward or both), the quantized
weights of every direction, the input sequence and h_0.  The driver runs it as phases
(X then H per direction).  An item can instead describe an illegal start (``err``): the driver
writes the item's registers with the error case's overrides, issues the case's CTRL word and the
scoreboard checks the error code and that nothing else changed.

``GruPhaseResult`` is what the monitor publishes after every phase (or rejected start).

Randomness: :func:`random_layer_item` and friends draw everything from the numpy Generator they
are given; the tests seed it from ``cocotb.RANDOM_SEED`` only, so a run reproduces from
(test, seed).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from pyuvm import uvm_sequence_item

from golden.config import (FEAT_NULL_SKIP, FEAT_OVERLAP, FEAT_ROW_SKIP, HwConfig, LayerConfig,
                           StealMode)
from golden.gru import GruParamsQ
from tb.gru.bfm import (DIR_BWD, DIR_FWD, DIR_NAMES, PHASE_H, PHASE_M, PHASE_X, GruGeometry,
                        geometry)

LOAD_BACKDOOR = "backdoor"
LOAD_FRONTDOOR = "frontdoor"
# An item tag: the monitor also reads the activation RFs after each phase of a backdoor-loaded
# item (frontdoor items always): K mask words per filled segment, the encoder's zero pad words
# included, and the values (tb.gru.checks.compare_act_rf)
ACT_RF_TAG = "act_rf"

# Error codes (architecture section 7 + gru-layer 8.5).
ERR_OK, ERR_MODE, ERR_SLOTS, ERR_BUSY_START, ERR_BUSY_MEM, ERR_MEM_RANGE, ERR_WPTR, ERR_REG = \
    0, 2, 3, 4, 5, 6, 7, 8
BUSY_CODES = {"start": ERR_BUSY_START, "mem": ERR_BUSY_MEM}
ERR_SEQ_LEN, ERR_THR, ERR_GRU_DIM, ERR_CMD = 9, 10, 11, 12
GRU_ERR_NAMES = {0: "OK", 1: "ERR_DIM", 2: "ERR_MODE", 3: "ERR_SLOTS", 4: "ERR_BUSY_START",
                 5: "ERR_BUSY_MEM", 6: "ERR_MEM_RANGE", 7: "ERR_WPTR", 8: "ERR_REG",
                 9: "ERR_SEQ_LEN", 10: "ERR_THR", 11: "ERR_GRU_DIM", 12: "ERR_CMD"}

DIRECTIONS = {"fwd": (DIR_FWD,), "bwd": (DIR_BWD,), "bi": (DIR_FWD, DIR_BWD)}

# The CFG_FEAT bits the reset scenarios start their phases with (SPLIT needs the split image,
# which those scenarios do not load; PREFETCH and WIDE_ENC change the encoder's stream, which
# they time).
GRU_FEATS = FEAT_OVERLAP | FEAT_NULL_SKIP | FEAT_ROW_SKIP


@dataclass(frozen=True)
class GruErrCase:
    """One illegal GRU start: register overrides, the CTRL word, the code that must follow."""

    name: str
    regs: dict                 # register name -> raw 32-bit value (after the legal config)
    ctrl: int                  # CTRL word written (one or several start bits)
    expect: int                # ERR_CODE
    phase: str = PHASE_X       # the phase whose legal configuration is written first
    mem_ops: tuple = ()        # ERR_MEM_RANGE cases: (sel, addr, write?) memory accesses
    reg_ops: tuple = ()        # ERR_REG cases: register addresses written (unknown/read-only)
    wptr: bool = False         # ERR_WPTR: load the phase, point a row with work at step
                               # wptr_step past WDEPTH, start legally: the whole phase is
                               # aborted (8.5)
    wptr_step: int = 0         # the step whose product aborts (steps before it complete)
    wptr_ahead: bool = False   # RUN_AHEAD: the bad row is product wptr_step + 1's, reached by a
                               # lane that ran ahead while product wptr_step still computes


@dataclass(frozen=True)
class GruLayerSpec:
    """The data of a legal layer as a plain (picklable) value: what the golden models need."""

    name: str
    I: int
    Hd: int
    T: int
    mode: StealMode
    rep_rows: int
    shift: int
    threshold: int
    directions: tuple
    params: dict
    h0: dict
    x_seq: np.ndarray
    feat: int = 0              # CFG_FEAT

    @property
    def M(self) -> int:
        return 3 * self.Hd

    def get_name(self) -> str:
        return self.name

    def weights(self, direction: int, phase: str) -> tuple[np.ndarray, np.ndarray]:
        p = self.params[direction]
        return (p.W_ih, p.b_ih) if phase == PHASE_X else (p.W_hh, p.b_hh)


class GruLayerItem(uvm_sequence_item):
    """One GRU layer (or one illegal start on a layer's configuration)."""

    def __init__(self, name: str = "gru_layer") -> None:
        super().__init__(name)
        self.I = 1
        self.Hd = 1
        self.T = 1
        self.mode = StealMode.NONE
        self.rep_rows = 0
        self.shift = 6
        self.feat = 0                                 # CFG_FEAT of every phase
        self.threshold = 0
        self.directions: tuple[int, ...] = (DIR_FWD,)
        self.params: dict[int, GruParamsQ] = {}
        self.h0: dict[int, np.ndarray] = {}
        self.x_seq: Optional[np.ndarray] = None       # (T, I) int16, time order
        self.junk_x: Optional[np.ndarray] = None      # (N_MAX,) stale activation-RF contents
        self.load = LOAD_BACKDOOR
        self.err: Optional[GruErrCase] = None
        # injection while the item's last (H) phase runs: "start" = a GRU_X start (ERR_BUSY_START),
        # "mem" = a HOUT read and an HBUF/XBUF write (ERR_BUSY_MEM); the phase must go on
        self.busy_inject: Optional[str] = None
        # a plain product (W, x, bias, LayerConfig), loaded over the frontdoor and started with
        # CTRL.start between the first X and H phase: GX/HOUT/STEP/XBUF/HBUF must survive it
        self.interlude: Optional[tuple] = None
        # rst_ni in the middle of the item's first phase of kind reset_phase: X: the encoder's
        # stream of x_s, s = reset_step; H (s = 0, forward): step 0's element-wise pass, after
        # reset_written cell outputs reached HBUF/HOUT. Every register back to its reset value,
        # the memories (activation RFs: exactly the writes before the reset) kept; then the
        # phase runs again from its start (H: from a clean load, HBUF holds part of h_0's step)
        self.reset_step: Optional[int] = None
        self.reset_phase = PHASE_X
        self.reset_written = 0
        self.cfg_mn = (1, 1)                          # CFG_M/CFG_N: unused by a phase (8.2)
        self.tags: set[str] = set()

    # -- derived ----------------------------------------------------------------------------------
    @property
    def M(self) -> int:
        return 3 * self.Hd

    @property
    def direction_kind(self) -> str:
        return {(DIR_FWD,): "fwd", (DIR_BWD,): "bwd"}.get(tuple(self.directions), "bi")

    def phases(self) -> list[tuple[int, str]]:
        """(direction, phase) in the order the driver runs them (8.2)."""
        if self.err is not None:
            return [(self.directions[0], self.err.phase)]
        out = [(d, p) for d in self.directions for p in (PHASE_X, PHASE_H)]
        if self.interlude is not None:
            out.insert(1, (self.directions[0], PHASE_M))
        return out

    def layer_config(self, phase: str) -> LayerConfig:
        return LayerConfig(self.M, self.I if phase == PHASE_X else self.Hd, self.mode,
                           self.rep_rows, self.shift, self.feat)

    def phase_regs(self, direction: int, phase: str) -> dict[str, int]:
        """The registers a legal phase start needs (8.2/8.3)."""
        return {"CFG_M": self.cfg_mn[0], "CFG_N": self.cfg_mn[1], "CFG_MODE": int(self.mode),
                "CFG_REP_ROWS": self.rep_rows, "CFG_SHIFT": self.shift, "CFG_FEAT": self.feat,
                "CFG_GRU_I": self.I,
                "CFG_GRU_HD": self.Hd, "CFG_GRU_T": self.T, "CFG_GRU_THR": self.threshold,
                "CFG_GRU_DIR": direction}

    def weights(self, direction: int, phase: str) -> tuple[np.ndarray, np.ndarray]:
        p = self.params[direction]
        return (p.W_ih, p.b_ih) if phase == PHASE_X else (p.W_hh, p.b_hh)

    def spec(self) -> GruLayerSpec:
        return GruLayerSpec(self.get_name(), self.I, self.Hd, self.T, StealMode(int(self.mode)),
                            self.rep_rows, self.shift, self.threshold, tuple(self.directions),
                            dict(self.params), dict(self.h0), np.asarray(self.x_seq),
                            self.feat)

    def describe(self) -> str:
        s = (f"I={self.I} Hd={self.Hd} T={self.T} dir={self.direction_kind} "
             f"mode={StealMode(self.mode).name} rep={self.rep_rows} S={self.shift} "
             + (f"feat={self.feat:#x} " if self.feat else "")
             + f"thr={self.threshold} load={self.load}")
        if self.err is not None:
            s += f" err={self.err.name}->{self.err.expect}"
        if self.busy_inject:
            s += f" busy_inject={self.busy_inject}"
        if self.reset_step is not None:
            s += (f" reset_in_step={self.reset_step}" if self.reset_phase == PHASE_X else
                  f" reset_in_h_step={self.reset_step}_after_{self.reset_written}_outputs")
        if self.interlude is not None:
            s += f" interlude={self.interlude[3].M}x{self.interlude[3].N}"
        return s

    def __str__(self) -> str:
        return f"{self.get_name()} [{self.describe()}]"


@dataclass
class GruPhaseResult:
    """What the monitor observed after one phase (or one rejected start) of an item."""

    item: GruLayerItem
    index: int                       # phase number within the test
    direction: int
    phase: str
    phase_no: int                    # position of this phase within its item (0-based)
    last_phase: bool                 # the item's last phase (layer complete)
    done: bool = False
    timed_out: bool = False
    wait_cycles: int = 0
    irq_pulses: int = 0
    dump: Any = None                 # GruDump after the phase
    before: Any = None               # GruDump before the start (error items)
    frontdoor: dict = field(default_factory=dict)    # name -> array read over the bus
    checks: list = field(default_factory=list)       # (what, expected, got) from driver/monitor
    notes: list[str] = field(default_factory=list)   # exceptions: always a failure
    passed: Optional[bool] = None                    # set by the scoreboard
    expected: Any = None                             # GoldenLayer (scoreboard), for coverage

    @property
    def dir_name(self) -> str:
        return DIR_NAMES[self.direction]


# -- constrained-random generation ----------------------------------------------------------------

def _sparse(rng: np.random.Generator, shape: tuple[int, ...], density: float, vmax: int,
            dtype) -> np.ndarray:
    keep = rng.random(shape) < density
    vals = rng.integers(1, vmax + 1, shape) * rng.choice([-1, 1], shape)
    return np.where(keep, vals, 0).astype(dtype)


def fits_phase(hw: HwConfig, W: np.ndarray, layer: LayerConfig) -> bool:
    from tb.matvec.stimulus import fits
    return fits(W, hw, layer)


def fit_rep_rows(hw: HwConfig, item: GruLayerItem) -> None:
    """Lower rep_rows until every phase image of the item fits (slots and weight SRAM)."""
    from tb.matvec.stimulus import max_rep_rows
    if item.mode == StealMode.NONE:
        item.rep_rows = 0
    item.rep_rows = min(item.rep_rows, max_rep_rows(hw, item.M, item.mode)
                        if item.mode != StealMode.NONE else 0)
    while True:
        ok = all(fits_phase(hw, item.weights(d, p)[0], item.layer_config(p))
                 for d in item.directions for p in (PHASE_X, PHASE_H))
        if ok:
            return
        if item.rep_rows == 0:
            raise ValueError(f"{item}: weights do not fit {hw.name} even without replicas")
        item.rep_rows = item.rep_rows // 2


def make_params(rng: np.random.Generator, I: int, Hd: int, w_density: float, w_max: int,
                b_max: int, shift: int, h_density: Optional[float] = None) -> GruParamsQ:
    hd = w_density if h_density is None else h_density
    return GruParamsQ(_sparse(rng, (3 * Hd, I), w_density, w_max, np.int8),
                      _sparse(rng, (3 * Hd, Hd), hd, w_max, np.int8),
                      _sparse(rng, (3 * Hd,), 0.8, b_max, np.int16) if b_max else
                      np.zeros(3 * Hd, dtype=np.int16),
                      _sparse(rng, (3 * Hd,), 0.8, b_max, np.int16) if b_max else
                      np.zeros(3 * Hd, dtype=np.int16),
                      shift)


def x_sequence(rng: np.random.Generator, T: int, I: int, density: float | np.ndarray,
               a_max: int) -> np.ndarray:
    """(T, I) inputs; ``density`` may vary per step (the activation masks change every step)."""
    dens = np.broadcast_to(np.asarray(density, dtype=float), (T,))
    return np.stack([_sparse(rng, (I,), float(d), a_max, np.int16) for d in dens]) \
        if T else np.zeros((0, I), dtype=np.int16)


def build_item(rng: np.random.Generator, hw: HwConfig, name: str, *, I: int, Hd: int, T: int,
               mode: StealMode, rep_rows: int, directions: str = "bi", threshold: int = 0,
               w_density: float = 0.4, h_density: Optional[float] = None,
               x_density: float | np.ndarray = 0.6, w_max: int = 127, b_max: int = 256,
               a_max: int = 512, shift: int = 6, h0_density: float = 0.0, h0_max: int = 256,
               load: str = LOAD_BACKDOOR, tags: tuple[str, ...] = ()) -> GruLayerItem:
    geo = geometry(hw)
    if not (1 <= I <= hw.N_MAX and 1 <= Hd <= geo.HD_MAX and 1 <= T <= geo.T_MAX):
        raise ValueError(f"{name}: I={I} Hd={Hd} T={T} outside {hw.name} limits "
                         f"(N_MAX={hw.N_MAX}, HD_MAX={geo.HD_MAX}, T_MAX={geo.T_MAX})")
    item = GruLayerItem(name)
    item.I, item.Hd, item.T = I, Hd, T
    item.mode, item.rep_rows, item.shift = StealMode(int(mode)), int(rep_rows), int(shift)
    item.threshold = int(threshold)
    item.directions = DIRECTIONS[directions]
    item.load = load
    item.tags = set(tags)
    item.x_seq = x_sequence(rng, T, I, x_density, a_max)
    for d in item.directions:
        item.params[d] = make_params(rng, I, Hd, w_density, w_max, b_max, shift, h_density)
        item.h0[d] = _sparse(rng, (Hd,), h0_density, h0_max, np.int16)
    item.junk_x = rng.integers(-300, 300, hw.N_MAX).astype(np.int16)
    item.cfg_mn = (int(rng.integers(1, hw.M_MAX + 1)), int(rng.integers(1, hw.N_MAX + 1)))
    fit_rep_rows(hw, item)
    return item


def pick_T(rng: np.random.Generator, geo: GruGeometry) -> int:
    """1 .. T_MAX: short sequences often, T = 1 and T = T_MAX regularly."""
    c = rng.random()
    if c < 0.12:
        return 1
    if c < 0.24:
        return geo.T_MAX
    if c < 0.7:
        return int(rng.integers(2, 9))
    return int(rng.integers(2, geo.T_MAX + 1))


def pick_threshold(rng: np.random.Generator) -> int:
    c = rng.random()
    if c < 0.25:
        return 0
    if c < 0.6:
        return int(rng.integers(1, 64))
    if c < 0.85:
        return int(rng.integers(64, 256))
    if c < 0.95:
        return int(rng.integers(256, 32767))
    return 32767


def random_layer_item(rng: np.random.Generator, hw: HwConfig, name: str, *,
                      max_I: Optional[int] = None, max_Hd: Optional[int] = None,
                      T: Optional[int] = None, max_work: Optional[int] = None,
                      threshold: Optional[int] = None, load: str = LOAD_BACKDOOR) -> GruLayerItem:
    """A constrained-random layer.  ``max_work`` bounds T * 3Hd * (I + Hd) * densities (the
    simulated work) so a regression stays inside its time budget."""
    from tb.matvec.stimulus import pick_rep_rows
    geo = geometry(hw)
    T = pick_T(rng, geo) if T is None else T
    top_I = min(hw.N_MAX, max_I or hw.N_MAX)
    top_H = min(geo.HD_MAX, max_Hd or geo.HD_MAX)
    for _ in range(200):
        I = int(np.clip(round(np.exp(rng.uniform(0, np.log(top_I)))), 1, top_I))
        Hd = int(np.clip(round(np.exp(rng.uniform(0, np.log(top_H)))), 1, top_H))
        wd = float(rng.choice([0.05, 0.15, 0.3, 0.5, 0.8, 1.0]))
        xd = float(rng.choice([0.1, 0.3, 0.6, 0.9, 1.0]))
        work = T * 3 * Hd * (I + Hd) * max(wd, 0.05)
        if max_work is None or work <= max_work:
            break
    mode = StealMode(int(rng.integers(0, 3)))
    rep = pick_rep_rows(rng, hw, 3 * Hd, mode)
    dens = rng.uniform(max(0.0, xd - 0.4), min(1.0, xd + 0.3), T) if rng.random() < 0.6 else xd
    w_max = int(rng.choice([8, 32, 127]))
    return build_item(rng, hw, name, I=I, Hd=Hd, T=T, mode=mode, rep_rows=rep,
                      directions=str(rng.choice(["fwd", "bwd", "bi", "bi"])),
                      threshold=pick_threshold(rng) if threshold is None else threshold,
                      w_density=wd, x_density=dens, w_max=w_max,
                      b_max=int(rng.choice([0, 64, 512])), a_max=int(rng.choice([64, 256, 1024])),
                      shift=int(rng.choice([4, 5, 6, 6, 7])),
                      h0_density=float(rng.choice([0.0, 0.0, 0.5, 1.0])), load=load)
