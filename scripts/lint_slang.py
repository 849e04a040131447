#!/usr/bin/env python3
"""Elaborate the MASR RTL with slang (pyslang): a strict third frontend next to Verilator and Yosys.

    python scripts/lint_slang.py [-G NAME=VALUE ...] [FILE ...]

Reads rtl/masr_pkg.sv and the other rtl/*.sv (or the FILEs given), elaborates `masr_top` with
the -G parameter overrides and exits non-zero on any error. Warnings are printed but do not fail
(Verilator -Wall with rtl/lint.vlt is the project's warning gate).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyslang

ROOT = Path(__file__).resolve().parent.parent
RTL = ROOT / "rtl"
TOP = "masr_top"


def rtl_files() -> list[str]:
    pkg = RTL / "masr_pkg.sv"
    return [str(pkg)] + [str(p) for p in sorted(RTL.glob("*.sv")) if p != pkg]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-G", dest="params", action="append", default=[], metavar="NAME=VALUE",
                    help="top-level parameter override (repeatable)")
    ap.add_argument("files", nargs="*", help="sources (default: the RTL, package first)")
    args = ap.parse_args()

    files = args.files or rtl_files()
    argv = ["slang", "--top", TOP, "-I", str(RTL)]
    for p in args.params:
        argv += ["-G", p]
    argv += files

    drv = pyslang.driver.Driver()
    drv.addStandardArgs()
    if not drv.parseCommandLine(" ".join(argv), pyslang.driver.CommandLineOptions()):
        print("lint_slang: bad command line", file=sys.stderr)
        return 2
    if not drv.processOptions():
        print("lint_slang: bad options", file=sys.stderr)
        return 2
    # Parse, elaborate, run slang's analysis and print every diagnostic; False on any error.
    ok = drv.parseAllSources() and drv.runFullCompilation(quiet=True)
    what = " ".join(args.params) or "default parameters"
    if not ok:
        print(f"lint_slang: {TOP} ({what}) has errors (see above)", file=sys.stderr)
        return 1
    print(f"lint_slang: {TOP} ({what}) elaborates cleanly in slang {pyslang.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
