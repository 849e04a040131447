"""Transactions: the layer-level sequence item and the monitor's result.

``MatvecItem`` is what sequences generate and the driver executes: one matrix-vector product
(W, x, bias, LayerConfig), how to load it, and, for error scenarios, what to do wrong and which
error code must follow.  ``MatvecResult`` is what the monitor observed after the product; it
carries its item so the scoreboard and the coverage collector need nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from pyuvm import uvm_sequence_item

from golden.config import LayerConfig

LOAD_BACKDOOR = "backdoor"
LOAD_FRONTDOOR = "frontdoor"
LOAD_NONE = "none"          # reuse what is loaded (error recovery, back-to-back checks)

# Injections: what the driver does wrong, and when (contract section 7).
INJ_BUSY_START = "busy_start"        # second CTRL.start while busy           -> 4
INJ_BUSY_MEM = "busy_mem"            # memory write + read while busy          -> 5
INJ_MEM_RANGE = "mem_range"          # out-of-range address/unit, write to y   -> 6
INJ_REG = "reg"                      # unknown / read-only register writes     -> 8
INJ_WPTR = "wptr"                    # rowptr patched past WDEPTH              -> 7
INJ_FIRST_WINS = "first_wins"        # reg error then mem-range error          -> 8 (first)
INJ_MEM_BOUNDARY = "mem_boundary"    # reads at each range limit and one past  -> 6 (last probe)
INJ_RESET = "reset"                  # rst_ni between products: registers reset -> 0
                                     # memories kept (the product reuses them)
INJ_PLAN = "plan"                    # plan registers patched (plan_patch)     -> 3
INJ_WPTR_RESTART = "wptr_restart"    # ERR_WPTR abort in a long first row, the rowptr
                                     # restored and the product restarted at once  -> 0
INJECTIONS = (INJ_BUSY_START, INJ_BUSY_MEM, INJ_MEM_RANGE, INJ_REG, INJ_WPTR, INJ_FIRST_WINS,
              INJ_MEM_BOUNDARY, INJ_RESET, INJ_PLAN, INJ_WPTR_RESTART)

# Error codes (contract section 7).
ERR_OK, ERR_DIM, ERR_MODE, ERR_SLOTS, ERR_BUSY_START, ERR_BUSY_MEM, ERR_MEM_RANGE, ERR_WPTR, \
    ERR_REG = range(9)
ERR_NAMES = {0: "OK", 1: "ERR_DIM", 2: "ERR_MODE", 3: "ERR_SLOTS", 4: "ERR_BUSY_START",
             5: "ERR_BUSY_MEM", 6: "ERR_MEM_RANGE", 7: "ERR_WPTR", 8: "ERR_REG"}
# Codes after which the product does not run (start ignored / aborted).
ERR_NO_PRODUCT = (ERR_DIM, ERR_MODE, ERR_SLOTS, ERR_WPTR)


class MatvecItem(uvm_sequence_item):
    """One matrix-vector product y = W x + bias on the lane array."""

    def __init__(self, name: str = "matvec_item") -> None:
        super().__init__(name)
        self.W: Optional[np.ndarray] = None
        self.x: Optional[np.ndarray] = None
        self.bias: Optional[np.ndarray] = None
        self.layer: Optional[LayerConfig] = None
        self.load: str = LOAD_BACKDOOR
        self.expect_err: int = ERR_OK
        self.inject: Optional[str] = None
        # Raw register values written after the legal configuration (ERR_DIM/MODE/SLOTS).
        self.reg_overrides: dict[str, int] = {}
        self.check_sample: bool = False      # read back a sample of loaded memories
        self.full_readback: bool = False     # read back every word written (frontdoor test)
        self.tags: set[str] = set()
        self.group: Optional[str] = None     # products sharing weights (time steps)
        # CFG_FEAT.SPLIT: the plan registers [base_0, base_1] per lane the image holds (None:
        # the encoder's uniform plan of rep_rows)
        self.plan: Optional[np.ndarray] = None
        # Start without CTRL.clear (the last product's done still set: the start must drop it)
        self.keep_done: bool = False
        # INJ_PLAN: lane index -> (base_0, base_1) written over the loaded plan before start
        self.plan_patch: dict[int, tuple[int, int]] = {}

    @classmethod
    def from_stimulus(cls, stim: Any, load: str = LOAD_BACKDOOR, **kw: Any) -> "MatvecItem":
        item = cls(stim.name)
        item.W, item.x, item.bias, item.layer = stim.W, stim.x, stim.bias, stim.layer
        item.load = load
        item.tags = set(stim.tags)
        for t in item.tags:
            if t.startswith("group:"):
                item.group = t.split(":", 1)[1]
        for k, v in kw.items():
            if not hasattr(item, k):
                raise AttributeError(f"MatvecItem has no field {k!r}")
            setattr(item, k, v)
        return item

    def clone_same_data(self, name: str, **kw: Any) -> "MatvecItem":
        """A new item on the same W/x/bias/layer (e.g. a legal rerun after an error)."""
        item = MatvecItem(name)
        item.W, item.x, item.bias, item.layer = self.W, self.x, self.bias, self.layer
        item.tags = set(self.tags)
        item.group = self.group
        item.plan = self.plan
        for k, v in kw.items():
            setattr(item, k, v)
        return item

    def __str__(self) -> str:
        L = self.layer
        lay = (f"M={L.M} N={L.N} mode={L.mode.name} rep={L.rep_rows} S={L.shift}"
               + (f" feat={L.feat:#x}" if L.feat else "")
               if L is not None else "no layer")
        extra = f" inject={self.inject}" if self.inject else ""
        extra += f" overrides={self.reg_overrides}" if self.reg_overrides else ""
        extra += f" expect_err={self.expect_err}" if self.expect_err else ""
        return f"{self.get_name()} [{lay} load={self.load}{extra}]"


@dataclass
class Check:
    """A scalar observation the driver or monitor made, with the value the contract requires."""

    what: str
    expected: int
    got: int


@dataclass
class MatvecResult:
    """Everything observed after one product."""

    item: MatvecItem
    index: int                                   # product number within the test
    image: Any = None                            # golden MatvecImage that was loaded
    done: bool = False
    timed_out: bool = False
    wait_cycles: int = 0
    status: int = 0
    busy: int = 0
    err_code: int = 0
    y: Optional[np.ndarray] = None               # int16 (M,) as read from the y memory
    y_before: dict[int, int] = field(default_factory=dict)   # shadow of y before this product
    counters: dict[str, int] = field(default_factory=dict)
    lane_stats: dict[tuple[int, int], dict[str, int]] = field(default_factory=dict)
    readback: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    patched: dict[tuple[int, int, int], int] = field(default_factory=dict)
    irq_pulses: int = 0
    notes: list[str] = field(default_factory=list)   # driver/monitor exceptions: always a failure
    passed: Optional[bool] = None                      # set by the scoreboard
    expected_perf: Any = None                          # golden PerfResult (scoreboard), traced
    expected_facts: Any = None                         # golden tb.matvec.coverage.ProductFacts
