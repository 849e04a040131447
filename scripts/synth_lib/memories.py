"""Memory classes of the macros, and how much of each is replica storage for work stealing.

Classes follow docs/architecture.md section 3 (per-lane and per-PE memories, global memories):
each macro is classified by the RTL module that holds it and its instance (or memory) name.
"""
from __future__ import annotations

import re

from .netlist import Macro, Params

# (RTL module, instance or memory name) -> class. Unknown macros fall into "other" (reported).
CLASS_RULES: list[tuple[str, re.Pattern[str], str]] = [
    ("masr_lane", re.compile(r"u_weight"), "weight"),
    ("masr_lane", re.compile(r"u_mask"), "mask"),
    ("masr_lane", re.compile(r"u_rowptr"), "rowptr"),
    ("masr_lane", re.compile(r"acc_q"), "accumulators"),
    ("masr_pe", re.compile(r"(g_set1\.)?u_(amask|aval)1?"), "act_rf"),   # set 1: PREFETCH
    ("masr_top", re.compile(r"u_bias|(g_out\[\d+\]\.)?u_y"), "bias_y"),
    ("masr_gru_seq", re.compile(r"u_xbuf|u_hbuf|u_hout|gx_q|gh_q|step_q"), "gru_buffers"),
    # The sigmoid / tanh lookup tables: constant arrays Yosys keeps as ROMs ($mem_v2).
    ("masr_sigmoid", re.compile(r".*"), "gru_luts"),
    ("masr_tanh", re.compile(r".*"), "gru_luts"),
]
CLASSES = ["weight", "mask", "rowptr", "act_rf", "accumulators", "bias_y", "gru_buffers",
           "gru_luts", "other"]

# The activation register file has three segments: own partition v, and copies of partitions
# v-1 and v+1 that only vertical stealing reads (architecture.md section 3).
ACT_RF_SEGMENTS = 3
ACT_RF_REPLICA_SEGMENTS = 2


def classify(hdlname: str, macro: Macro) -> str:
    for module, pattern, klass in CLASS_RULES:
        if hdlname == module and pattern.fullmatch(macro.instance):
            return klass
    return "other"


def replica_fraction(hdlname: str, params: Params, klass: str) -> float:
    """Share of a macro's bits that holds neighbours' replicas.

    Lane: row slots 0..R_MAX-1 can hold own rows, slots R_MAX..SLOTS-1 only replicas, so the
    mask SRAM (SLOTS*KW_MAX words) and the rowptr SRAM (SLOTS words) are (SLOTS-R_MAX)/SLOTS
    replica. The weight SRAM is packed (no fixed slot regions); we charge it the same slot share,
    i.e. assume replica rows as dense as own rows. PE: two of the three act RF segments.
    """
    if hdlname == "masr_lane" and klass in ("weight", "mask", "rowptr"):
        slots, r_max = int(params["SLOTS"]), int(params["R_MAX"])
        return max(0, slots - r_max) / slots
    if hdlname == "masr_pe" and klass == "act_rf":
        return ACT_RF_REPLICA_SEGMENTS / ACT_RF_SEGMENTS
    return 0.0
