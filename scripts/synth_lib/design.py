"""A configuration as a tree of synthesis units, and its totals (per-module numbers x instances).

The tree comes from the RTL itself: the unit of masr_top is synthesized with the split-off modules
(masr_array, masr_gru_seq) as blackboxes; every blackbox instance Yosys elaborated there, with the
parameters masr_top gave it, becomes a unit of its own, and so on down to the lanes and PEs. So the
instance counts and per-module parameters of 16x16 and 32x32 are what the RTL's generate loops
produce, not a re-derivation in Python; each distinct (module, parameters) is synthesized once.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import memories
from .netlist import MACRO_MODULE, ModuleStats, Params
from .yosys import ROOT, Unit, UnitResult, lint_yosys, synthesize_all

TOP = "masr_top"
SPLIT = frozenset({"masr_array", "masr_gru_seq", "masr_lane", "masr_pe"})
# Parameters that only name a lane's / PE's backdoor files (`ifndef SYNTHESIS code and the
# blackboxed SRAMs' BdName): lanes at every position synthesize alike, so one unit serves all.
# The whole-4x2 cross-check synthesizes every position and reports whether they differ.
POSITION_PARAMS = {"masr_lane": ("HIDX", "VIDX"), "masr_pe": ("GIDX", "VIDX")}
STEAL_LOGIC = "masr_steal_arb"


def module_key(hdlname: str, params: Params) -> str:
    """Identity of a module across units: RTL name and synthesis-relevant parameters."""
    skip = POSITION_PARAMS.get(hdlname, ())
    kv = ",".join(f"{k}={v}" for k, v in sorted(params.items())
                  if k not in skip and isinstance(v, int))
    return f"{hdlname}({kv})"


def project_unit(top: str, params: dict[str, int], split: frozenset[str]) -> Unit:
    files = [ROOT / f for f in lint_yosys.rtl_files()]
    blackboxes = {MACRO_MODULE} | (split - {top})
    return Unit(top=top, params=tuple(sorted(params.items())),
                sources=tuple(str(f) for f in files if f.stem not in blackboxes),
                lib_sources=tuple(str(f) for f in files if f.stem in blackboxes),
                include_dirs=(str(ROOT / lint_yosys.RTL),),
                split_modules=frozenset(split - {top}))


def child_params(hdlname: str, params: Params) -> dict[str, int]:
    skip = POSITION_PARAMS.get(hdlname, ())
    return {k: v for k, v in params.items() if k not in skip and isinstance(v, int)}


@dataclass
class Totals:
    """Numbers of a subtree; `instances` counts every module (by module_key) in it."""
    flops: int = 0
    logic_cells: int = 0
    transistors: int = 0
    mem_bits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(memories.CLASSES, 0))
    replica_bits: float = 0.0
    instances: dict[str, int] = field(default_factory=dict)
    stats: dict[str, ModuleStats] = field(default_factory=dict)
    variants_differ: set[str] = field(default_factory=set)   # same key, different numbers

    @staticmethod
    def own(m: ModuleStats) -> Totals:
        t = Totals(flops=m.flops, logic_cells=m.logic_cells, transistors=m.transistors)
        for macro in m.macros:
            klass = memories.classify(m.hdlname, macro)
            t.mem_bits[klass] += macro.bits
            t.replica_bits += macro.bits * memories.replica_fraction(m.hdlname, m.params, klass)
        key = module_key(m.hdlname, m.params)
        t.instances[key] = 1
        t.stats[key] = m
        return t

    def add(self, other: Totals, times: int = 1) -> None:
        self.flops += times * other.flops
        self.logic_cells += times * other.logic_cells
        self.transistors += times * other.transistors
        for k, v in other.mem_bits.items():
            self.mem_bits[k] += times * v
        self.replica_bits += times * other.replica_bits
        for k, n in other.instances.items():
            self.instances[k] = self.instances.get(k, 0) + times * n
        for k, m in other.stats.items():
            mine = self.stats.setdefault(k, m)
            if (mine.flops, mine.gates, mine.levels) != (m.flops, m.gates, m.levels):
                self.variants_differ.add(k)
        self.variants_differ |= other.variants_differ

    @property
    def memory_bits(self) -> int:
        return sum(self.mem_bits.values())

    def module_transistors(self, hdlname: str) -> int:
        return sum(n * self.stats[k].transistors for k, n in self.instances.items()
                   if self.stats[k].hdlname == hdlname)


class Design:
    """Synthesizes unit trees (breadth first, each level in parallel) and sums them."""

    def __init__(self, build: Path, jobs: int, use_cache: bool, split: frozenset[str] = SPLIT):
        self.build, self.jobs, self.use_cache, self.split = build, jobs, use_cache, split
        self.results: dict[Unit, UnitResult] = {}
        self._totals: dict[Unit, Totals] = {}

    def unit(self, top: str, params: dict[str, int]) -> Unit:
        return project_unit(top, params, self.split)

    def children(self, unit: Unit) -> list[Unit]:
        return [self.unit(hdl, child_params(hdl, p))
                for m in self.results[unit].modules.values() for hdl, p in m.split]

    def synthesize(self, roots: list[Unit]) -> None:
        pending = roots
        while pending:
            new = [u for u in dict.fromkeys(pending) if u not in self.results]
            self.results.update(synthesize_all(new, self.build, self.jobs, self.use_cache))
            pending = [c for u in new for c in self.children(u)]

    def totals(self, unit: Unit) -> Totals:
        if unit not in self._totals:
            res = self.results[unit]
            self._totals[unit] = self._module_totals(res, res.top)
        return self._totals[unit]

    def _module_totals(self, res: UnitResult, name: str) -> Totals:
        m = res.modules[name]
        t = Totals.own(m)
        for child, count in m.children.items():
            t.add(self._module_totals(res, child), count)
        for hdl, p in m.split:
            t.add(self.totals(self.unit(hdl, child_params(hdl, p))))
        return t
