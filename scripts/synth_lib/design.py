"""A configuration as synthesis units, and its totals (per-module numbers x instance counts).

masr_top and masr_array are single instances whose own logic ("glue": register file, PERF sums over
every lane, frontdoor muxes, reduction adders) grows with the lane count; everything below them is
a handful of distinct (module, parameters) units instantiated many times (lanes, PEs, the GRU
sequencer). A configuration is
    glue(masr_top) + glue(masr_array) + sum over units of instances x unit totals,
with the units' instance counts and parameters derived from HwConfig exactly as masr_top and
masr_array pass them (derived_instances). Wherever the glue is synthesized, Yosys's own
elaboration of it must list the same instances and macros, or the flow fails: the derivation is
checked against the RTL. The glue of large arrays (more than `glue_max_lanes` lanes) is too slow
for Yosys on two cores (16x16 masr_top alone: about 4 minutes) and is extrapolated linearly in the
lane count from the two largest synthesized configurations (docs/synthesis.md: how close that is).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from golden.config import (FEAT_OVERLAP, FEAT_PREFETCH, FEAT_RUN_AHEAD, FEAT_SCAN, FEAT_WIDE_ENC,
                           HwConfig)

from . import memories
from . import SynthError
from .netlist import MACRO_MODULE, Macro, ModuleStats, Params
from .yosys import ROOT, Unit, UnitResult, lint_yosys, synthesize_all

TOP = "masr_top"
GLUE = ("masr_top", "masr_array")
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
    # Same module and parameters synthesized more than once (lanes at different positions in
    # the whole top) with different results: key -> (fewest, most) transistors.
    variants: dict[str, tuple[int, int]] = field(default_factory=dict)

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
        for k, lo_hi in other.variants.items():
            self._note_variant(k, *lo_hi)
        for k, m in other.stats.items():
            mine = self.stats.setdefault(k, m)
            if (mine.flops, mine.gates) != (m.flops, m.gates):
                self._note_variant(k, mine.transistors, m.transistors)

    def _note_variant(self, key: str, a: int, b: int) -> None:
        lo, hi = self.variants.get(key, (a, a))
        self.variants[key] = (min(lo, a, b), max(hi, a, b))

    @property
    def memory_bits(self) -> int:
        return sum(self.mem_bits.values())

    def module_transistors(self, hdlname: str) -> int:
        return sum(n * self.stats[k].transistors for k, n in self.instances.items()
                   if self.stats[k].hdlname == hdlname)


def derived_instances(hw: HwConfig) -> dict[str, list[tuple[str, dict[str, int], int]]]:
    """Per glue module: the split-off modules it instantiates (parameters as the RTL passes them,
    position parameters dropped) and how many times."""
    # masr_top gives the array (and it every lane) a second accumulator bank when the build
    # implements CFG_FEAT.OVERLAP; 1 is the modules' default, which Yosys does not list.
    # Likewise PREFETCH gives every PE a second set of activation RFs, WIDE_ENC the encoder's
    # word mode (B value write ports per PE), RUN_AHEAD a second bank of lane statistics, SCAN
    # a row scanner per lane with KW_MAX more act mask read ports per lane in every PE.
    banks = {"ACC_BANKS": 2} if hw.FEAT_IMPL & FEAT_OVERLAP else {}
    ahead = {"RUN_AHEAD": 1} if hw.FEAT_IMPL & FEAT_RUN_AHEAD else {}
    sets = {"ACT_SETS": 2} if hw.FEAT_IMPL & FEAT_PREFETCH else {}
    enc_w = {"ENC_W": hw.B} if hw.FEAT_IMPL & FEAT_WIDE_ENC else {}
    scan = {"SCAN": 1} if hw.FEAT_IMPL & FEAT_SCAN else {}
    lane_mp = {"LANE_MP": 2 * hw.KW_MAX} if scan else {}
    array = {k: getattr(hw, k) for k in ("H", "V", "B", "G", "M_MAX", "N_MAX", "SLOTS", "WDEPTH",
                                         "QDEPTH")} | banks | sets | enc_w | ahead | scan
    gru = {k: getattr(hw, k) for k in ("H", "V", "B", "M_MAX", "N_MAX", "T_MAX")} | \
        ({"WIDE": 1} if enc_w else {})
    lane = {k: getattr(hw, k) for k in ("B", "KW_MAX", "P_MAX", "R_MAX", "SLOTS", "WDEPTH",
                                        "QDEPTH")} | banks | ahead | scan
    pe = {k: getattr(hw, k) for k in ("B", "G", "KW_MAX", "P_MAX")} | sets | enc_w | lane_mp
    return {"masr_top": [("masr_array", array, 1), ("masr_gru_seq", gru, 1)],
            "masr_array": [("masr_lane", lane, hw.n_lanes), ("masr_pe", pe, hw.n_pes)]}


def derived_macros(hw: HwConfig) -> dict[str, list[Macro]]:
    """Per glue module: its memory macros (bias, and y as H banks of R_MAX rows)."""
    return {"masr_top": [Macro("u_bias", 16, hw.M_MAX)]
            + [Macro(f"g_out[{h}].u_y", 16, hw.R_MAX) for h in range(hw.H)],
            "masr_array": []}


def check_derivation(name: str, glue: str, hw: HwConfig, m: ModuleStats) -> None:
    """Yosys's elaboration of a glue module must match derived_instances / derived_macros."""
    want = Counter({module_key(h, p): n for h, p, n in derived_instances(hw)[glue]})
    got = Counter(module_key(h, p) for h, p in m.split)
    want_mem = sorted((x.instance, x.width, x.depth) for x in derived_macros(hw)[glue])
    got_mem = sorted((x.instance, x.width, x.depth) for x in m.macros)
    if want != got or want_mem != got_mem:
        raise SynthError(f"synth: {name}: the RTL's {glue} instantiates {dict(got)} with macros "
                         f"{got_mem}, but design.py derives {dict(want)} with {want_mem}; "
                         "update derived_instances / derived_macros")


def extrapolate(a: ModuleStats, na: int, b: ModuleStats, nb: int, n: int,
                params: Params) -> ModuleStats:
    """Glue logic at n lanes, linear in the lane count through (na, a) and (nb, b); no path."""
    def lin(x: int, y: int) -> int:
        return max(0, round(y + (y - x) * (n - nb) / (nb - na)))
    gates = {g: lin(a.gates.get(g, 0), b.gates.get(g, 0)) for g in sorted({*a.gates, *b.gates})}
    return replace(b, name=f"{b.hdlname} (extrapolated)", params=params, gates=gates,
                   flops=lin(a.flops, b.flops), transistors=lin(a.transistors, b.transistors),
                   levels=-1, macros=[], split=[], children={}, loops=[])


def folded(res: UnitResult, name: str) -> ModuleStats:
    """A glue module's own logic with its submodules that are not split off folded in: they grow
    with the array like the glue itself (masr_perf_stats in masr_top), so they take part in its
    extrapolation. ``levels`` stays the module's own (a path ends at a submodule's ports)."""
    m = res.modules[name]
    out = replace(m, gates=dict(m.gates), macros=list(m.macros), split=list(m.split),
                  children={})
    for child, count in m.children.items():
        c = folded(res, child)
        out.flops += count * c.flops
        out.transistors += count * c.transistors
        for gate, n in c.gates.items():
            out.gates[gate] = out.gates.get(gate, 0) + count * n
        out.macros += c.macros * count
        out.split += c.split * count
    return out


class Design:
    """Synthesizes units (in parallel) and sums them."""

    def __init__(self, build: Path, jobs: int, use_cache: bool, split: frozenset[str] = SPLIT):
        self.build, self.jobs, self.use_cache, self.split = build, jobs, use_cache, split
        self.results: dict[Unit, UnitResult] = {}
        self._totals: dict[Unit, Totals] = {}

    def unit(self, top: str, params: dict[str, int]) -> Unit:
        return project_unit(top, params, self.split)

    def synthesize(self, units: list[Unit]) -> None:
        new = [u for u in dict.fromkeys(units) if u not in self.results]
        self.results.update(synthesize_all(new, self.build, self.jobs, self.use_cache))

    def totals(self, unit: Unit) -> Totals:
        if unit not in self._totals:
            res = self.results[unit]
            self._totals[unit] = self._module_totals(res, res.top, with_split=True)
        return self._totals[unit]

    def glue(self, unit: Unit) -> ModuleStats:
        res = self.results[unit]
        return folded(res, res.top)

    def _module_totals(self, res: UnitResult, name: str, with_split: bool) -> Totals:
        m = res.modules[name]
        t = Totals.own(m)
        for child, count in m.children.items():
            t.add(self._module_totals(res, child, with_split), count)
        for hdl, p in m.split if with_split else []:
            t.add(self.totals(self.unit(hdl, child_params(hdl, p))))
        return t

    # -- configurations ----------------------------------------------------------------------
    def leaf_units(self, hw: HwConfig) -> list[tuple[Unit, int]]:
        return [(self.unit(h, p), n) for glue in GLUE for h, p, n in derived_instances(hw)[glue]
                if h not in GLUE]

    def config_totals(self, configs: dict[str, HwConfig], params: dict[str, dict[str, int]],
                      glue_max_lanes: int) -> dict[str, Totals]:
        """Every configuration's totals; glue synthesized up to glue_max_lanes lanes."""
        synth_glue = sorted((n for n, hw in configs.items() if hw.n_lanes <= glue_max_lanes),
                            key=lambda n: configs[n].n_lanes)
        big = [n for n in configs if n not in synth_glue]
        if big and len(synth_glue) < 2:
            raise SynthError("synth: extrapolating the glue of " + ", ".join(big) + " needs two "
                             f"configurations of at most {glue_max_lanes} lanes to synthesize")
        glue_units = {(n, g): self.unit(g, derived_instances(configs[n])["masr_top"][0][1]
                                        if g == "masr_array" else params[n])
                      for n in synth_glue for g in GLUE}
        self.synthesize(list(glue_units.values())
                        + [u for hw in configs.values() for u, _ in self.leaf_units(hw)])
        glue: dict[tuple[str, str], ModuleStats] = {}
        for (n, g), u in glue_units.items():
            check_derivation(n, g, configs[n], self.glue(u))
            glue[n, g] = self.glue(u)
        for n in big:
            (na, nb), hw = synth_glue[-2:], configs[n]
            for g in GLUE:
                glue[n, g] = extrapolate(glue[na, g], configs[na].n_lanes, glue[nb, g],
                                         configs[nb].n_lanes, hw.n_lanes, params[n])
                glue[n, g].macros = derived_macros(hw)[g]
        out: dict[str, Totals] = {}
        for n, hw in configs.items():
            t = Totals()
            for g in GLUE:
                t.add(Totals.own(glue[n, g]))
            for u, count in self.leaf_units(hw):
                t.add(self.totals(u), count)
            out[n] = t
        return out
