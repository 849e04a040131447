"""What a cell of the synthesized netlist is, and what it costs in CMOS transistors.

After `abc -g AND,NAND,OR,NOR,XOR,XNOR,MUX` a module holds only Yosys's internal gate cells
(`$_AND_` ...), fine-grained flops (`$_DFFE_PN0P_` ...), kept memories (`$mem_v2`), instances of
the memory macro (`masr_sram`, read as a blackbox) and instances of other modules. Anything else
is an unmapped cell and fails the flow.
"""
from __future__ import annotations

import re

# Transistors per gate: Yosys's own CMOS table (kernel/cost.h, what `stat -tech cmos` uses),
# so our gate numbers equal Yosys's estimate (tests/test_synth.py checks that).
GATE_TRANSISTORS: dict[str, int] = {
    "$_NOT_": 2, "$_AND_": 6, "$_NAND_": 4, "$_OR_": 6, "$_NOR_": 4,
    "$_ANDNOT_": 6, "$_ORNOT_": 6, "$_XOR_": 12, "$_XNOR_": 12,
    "$_AOI3_": 6, "$_OAI3_": 6, "$_AOI4_": 8, "$_OAI4_": 8, "$_MUX_": 12, "$_NMUX_": 10,
}

# Flops. Yosys prices only the plain $_DFF_P_/$_DFF_N_ (16 transistors, a master-slave flop) and
# leaves every other flop out of its estimate; we price the extras with Yosys's gate costs:
DFF_BASE = 16          # plain master-slave D flop (Yosys's $_DFF_P_)
DFF_ENABLE = 12        # clock enable = a $_MUX_ in front of D
DFF_ASYNC = 4          # async reset or set: two NAND2 replace two inverters of the latches
DFF_SET_RESET = 8      # separate async set and reset: both of the above
DFF_SYNC_RESET = 6     # sync reset = a $_AND_ in front of D
DFF_ASYNC_LOAD = 12    # async load = a $_MUX_

# $_DFF_PN0_, $_DFFE_PN0P_, $_SDFFCE_PP0P_, $_DFFSR_PPP_, $_ALDFFE_PPP_ ...
FLOP_RE = re.compile(r"\$_(?P<kind>DFF|DFFE|SDFF|SDFFE|SDFFCE|DFFSR|DFFSRE|ALDFF|ALDFFE)"
                     r"_(?P<pol>[NP01]+)_")
# Latches, fine-grained or coarse (a latch left by `proc` that synthesis kept).
LATCH_RE = re.compile(r"\$(_DLATCH_|_DLATCHSR_|_SR_|dlatch$|adlatch$|dlatchsr$|sr$)")
MEMORY_CELL = "$mem_v2"


def flop_transistors(cell_type: str) -> int | None:
    """Transistors of one flop bit, or None if the type is not a flop."""
    m = FLOP_RE.fullmatch(cell_type)
    if not m:
        return None
    kind, pol = m["kind"], m["pol"]
    cost = DFF_BASE
    if kind.endswith("E"):
        cost += DFF_ENABLE
    if kind.startswith("SDFF"):
        cost += DFF_SYNC_RESET
    elif kind.startswith("DFFSR"):
        cost += DFF_SET_RESET
    elif kind.startswith("ALDFF"):
        cost += DFF_ASYNC_LOAD
    elif len(pol) == (4 if kind == "DFFE" else 3):   # clock, reset polarity, reset value (, en)
        cost += DFF_ASYNC
    return cost


def is_latch(cell_type: str) -> bool:
    return bool(LATCH_RE.match(cell_type))
