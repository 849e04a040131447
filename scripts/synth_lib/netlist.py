"""One unit's synthesized modules, read from Yosys's JSON netlist (`write_json`) and `ltp` log."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from . import cells

MACRO_MODULE = "masr_sram"      # the behavioural SRAM / register file, read as a blackbox
LTP_RE = re.compile(r"^Longest topological path in (?P<mod>\S+) \(length=(?P<len>-?\d+)\)")
LOOP_RE = re.compile(r"^Warning: Detected loop at (?P<at>.+) in (?P<mod>\S+)$")

Params = dict[str, int | str]


@dataclass
class Macro:
    """A memory kept as a macro: a `masr_sram` instance or a register file Yosys kept as $mem_v2."""
    instance: str
    width: int
    depth: int

    @property
    def bits(self) -> int:
        return self.width * self.depth


@dataclass
class ModuleStats:
    """One synthesized module's own numbers (submodule instances excluded)."""
    name: str                     # Yosys's module name (one per parameter set)
    hdlname: str                  # the RTL module
    params: Params
    gates: dict[str, int]         # gate type -> count
    flops: int                    # flop bits
    transistors: int              # gates + flops (cells.py costs)
    levels: int                   # longest combinational path, gate levels (ltp -noff)
    macros: list[Macro] = field(default_factory=list)
    children: dict[str, int] = field(default_factory=dict)    # module name -> instances
    # Instances of modules synthesized in their own unit: (RTL module, cell parameters).
    split: list[tuple[str, Params]] = field(default_factory=list)
    loops: list[str] = field(default_factory=list)

    @property
    def logic_cells(self) -> int:
        return sum(self.gates.values())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @staticmethod
    def from_json(d: dict[str, Any]) -> ModuleStats:
        d = dict(d)
        d["macros"] = [Macro(**m) for m in d["macros"]]
        d["split"] = [(m, p) for m, p in d["split"]]
        return ModuleStats(**d)


def decode_param(value: Any) -> int | str:
    """write_json gives bit vectors as binary strings; anything else is a string parameter."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value and set(value) <= {"0", "1"}:
        return int(value, 2)
    return str(value)


def decode_params(raw: dict[str, Any] | None) -> Params:
    return {k: decode_param(v) for k, v in (raw or {}).items()}


def parse_ltp(log: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Longest path per module and the combinational loops `ltp` met (by module name)."""
    levels: dict[str, int] = {}
    loops: dict[str, list[str]] = {}
    for line in log.splitlines():
        if m := LTP_RE.match(line):
            levels[m["mod"]] = max(0, int(m["len"]))     # -1: no gate in the module
        elif m := LOOP_RE.match(line):
            loops.setdefault(m["mod"], []).append(m["at"])
    return levels, loops


def module_stats(netlist: dict[str, Any], ltp_log: str,
                 split_modules: frozenset[str]) -> tuple[dict[str, ModuleStats], list[str]]:
    """Every synthesized (non-blackbox) module's numbers, and the problems found
    (latches, unmapped cells), each naming its module."""
    modules = netlist["modules"]
    synthesized = {n for n, m in modules.items()
                   if not int(decode_param(m.get("attributes", {}).get("blackbox", "0")))}
    levels, loops = parse_ltp(ltp_log)
    stats: dict[str, ModuleStats] = {}
    problems: list[str] = []
    latches: dict[str, int] = {}          # "latch in module m at file:line" -> latch bits
    for name in sorted(synthesized):
        mod = modules[name]
        hdlname = str(mod.get("attributes", {}).get("hdlname", name))
        st = ModuleStats(name=name, hdlname=hdlname,
                         params=decode_params(mod.get("parameter_default_values")),
                         gates={}, flops=0, transistors=0, levels=levels.get(name, 0),
                         loops=loops.get(name, []))
        for cell_name, cell in sorted(mod["cells"].items()):
            ctype = cell["type"]
            where = f"{hdlname}: cell {cell_name} ({ctype})"
            src = cell.get("attributes", {}).get("src")
            if ctype in cells.GATE_TRANSISTORS:
                st.gates[ctype] = st.gates.get(ctype, 0) + 1
                st.transistors += cells.GATE_TRANSISTORS[ctype]
            elif (ft := cells.flop_transistors(ctype)) is not None:
                st.flops += 1
                st.transistors += ft
            elif cells.is_latch(ctype):
                latch_at = f"latch in module {hdlname} at {src or cell_name}"
                latches[latch_at] = latches.get(latch_at, 0) + 1
            elif ctype == cells.MEMORY_CELL:
                p = decode_params(cell["parameters"])
                memid = str(p.get("MEMID", cell_name)).lstrip("\\")
                st.macros.append(Macro(memid, int(p["WIDTH"]), int(p["SIZE"])))
            elif ctype == MACRO_MODULE:
                p = decode_params(cell["parameters"])
                st.macros.append(Macro(cell_name, int(p["Width"]), int(p["Depth"])))
            elif ctype in synthesized:
                st.children[ctype] = st.children.get(ctype, 0) + 1
            elif ctype in split_modules:
                st.split.append((ctype, decode_params(cell.get("parameters"))))
            else:
                problems.append(f"unmapped cell in module {where}" + (f" at {src}" if src else ""))
        stats[name] = st
    problems += [f"{where} ({bits} bits)" for where, bits in latches.items()]
    return stats, problems
