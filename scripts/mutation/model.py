"""The selector build: every mutant of one configuration in one Verilator model.

A mutant that does not compile must not take the others down: a lint pass of the mutated
sources names the lines Verilator rejects, the mutants on those lines are classified invalid and
left out, and the sources are generated again (a few rounds at most; each round drops at least
one mutant or stops).
"""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mutation.generate import Mutant, mutate_tree

REPO = Path(__file__).resolve().parents[2]
RTL = REPO / "rtl"
MUTANT_SRC_ROOT = REPO / "build" / "mutate"

# Warnings are waived for the mutated build only (rtl/lint.vlt stays the gate for the real RTL):
# a mutant legitimately creates constant conditions, width changes and unused signals.
# Every mutant in one model makes a bigger C++ model than the plain build: 8x8 did not compile
# within simrun's default 600 s on a loaded 2-core machine.
MUTANT_BUILD_TIMEOUT_S = 4 * 3600.0
MUTANT_VERILATOR_ARGS = ("-Wno-lint", "-Wno-style", "-Wno-UNOPTFLAT", "-Wno-LATCH",
                         "-Wno-COMBDLY", "-Wno-MULTIDRIVEN")

_ERROR = re.compile(r"%Error[^:]*:\s*([^:\s]+\.sv):(\d+)")


def rtl_digest(rtl: Path = RTL) -> str:
    """The RTL the mutants (and their results) belong to."""
    digest = hashlib.sha1()
    for path in sorted([*rtl.glob("*.sv"), *rtl.glob("*.svh")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class SelectorModel:
    sources: list[Path]
    mutants: list[Mutant]
    invalid: list[Mutant]


def _lint_errors(sources: list[Path], params: dict[str, int], toplevel: str) -> list[tuple[str, int]]:
    from tb.common import simrun

    simrun.setup_verilator_env()
    verilator = Path(os.environ["VERILATOR_ROOT"]) / "bin" / "verilator"
    cmd = [str(verilator), "--lint-only", "-Wno-fatal", *MUTANT_VERILATOR_ARGS,
           f"-I{sources[0].parent}", "--top-module", toplevel,
           *[f"-G{k}={v}" for k, v in params.items()], *map(str, sources)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    return [(Path(m.group(1)).name, int(m.group(2))) for m in _ERROR.finditer(proc.stderr)]


def generate_valid(params: dict[str, int], toplevel: str = "masr_top", rtl: Path = RTL,
                   max_rounds: int = 6) -> SelectorModel:
    """Mutated sources that lint clean for these parameters, plus the mutants left out."""
    out_dir = MUTANT_SRC_ROOT / f"src-{rtl_digest(rtl)}-{hashlib.sha1(repr(sorted(params.items())).encode()).hexdigest()[:8]}"
    skip: dict[str, Mutant] = {}
    for _ in range(max_rounds):
        sources, mutants = mutate_tree(rtl, out_dir, frozenset(skip))
        errors = _lint_errors(sources, params, toplevel)
        if not errors:
            return SelectorModel(sources, mutants, list(skip.values()))
        bad = [m for m in mutants for f, line in errors
               if m.file == f and m.lines[0] <= line <= m.lines[1]]
        if not bad:
            raise RuntimeError(f"mutated RTL does not lint and no mutant is on the failing lines "
                               f"{errors[:5]} (a generator bug, not an invalid mutant)")
        skip.update({m.key: m for m in bad})
    raise RuntimeError(f"mutated RTL still fails to lint after {max_rounds} rounds")


# From this many lanes the selector model's C++ is compiled at -O1 instead of verilated.mk's -Os:
# every lane instance carries every mutant's selector chain, and at -Os the 8x8 model had not
# compiled after 70 minutes on a loaded 2-core machine.  Measured on 8x8 (2026-12-07, each beside
# one other job): -O0 builds in 233-349 s but runs the baseline PaperWorkloadTest in 10.8 s;
# -O1 builds in 434 s and runs it in 4.8 s (the nightly's -Os build: 3.2 s).
MUTANT_LOW_OPT_LANES = 64
MUTANT_LOW_OPT = "-O1"


def build(config: str, model: SelectorModel, cxx_opt: str | None = None):
    """The Verilator build of the selector model (cached by simrun like every other build)."""
    from tb.common import simrun
    from tb.common.configs import CONFIGS, TOPLEVEL, verilog_params

    hw = CONFIGS[config]
    return simrun.build(TOPLEVEL, model.sources, verilog_params(hw),
                        extra_args=list(MUTANT_VERILATOR_ARGS), timeout=MUTANT_BUILD_TIMEOUT_S,
                        cxx_opt=cxx_opt or (MUTANT_LOW_OPT if hw.n_lanes >= MUTANT_LOW_OPT_LANES
                                            else None))
