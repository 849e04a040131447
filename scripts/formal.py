#!/usr/bin/env python3
"""SymbiYosys proofs of the MASR RTL (make formal; docs/formal.md).

    python scripts/formal.py [--proof NAME ...] [--fast] [--timeout S] [--out DIR]
                             [--rtl-dir DIR] [--harness-dir DIR] [--spec FILE]

Runs the proofs of tb/formal/proofs.hjson one after another (one solver at a time), prints one
line per proof (status, mode, depth, seconds) and, for a failure, the counterexample trace and a
rerun command; writes DIR/results.json (default out/formal). Exit 0 only if every proof PASSes.
--rtl-dir / --harness-dir point a run at other copies of the sources (a mutated module).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from formal_lib.run import run_proof, write_results  # noqa: E402
from formal_lib.spec import REPO, SPEC, load_proofs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--proof", action="append", help="proof name (repeatable; default: all)")
    ap.add_argument("--fast", action="store_true", help="only the proofs marked fast")
    ap.add_argument("--timeout", type=int, help="seconds per proof (default: the spec's)")
    ap.add_argument("--out", default=str(REPO / "out" / "formal"))
    ap.add_argument("--rtl-dir", default=str(REPO / "rtl"))
    ap.add_argument("--harness-dir", default=str(REPO / "tb" / "formal"))
    ap.add_argument("--spec", default=str(SPEC))
    args = ap.parse_args(argv)

    proofs = load_proofs(Path(args.spec))
    unknown = set(args.proof or []) - {p.name for p in proofs}
    if unknown:
        print(f"formal: no proof named {', '.join(sorted(unknown))} "
              f"(have: {', '.join(p.name for p in proofs)})", file=sys.stderr)
        return 2
    chosen = [p for p in proofs if (not args.proof or p.name in args.proof) and (p.fast or not args.fast)]
    out = Path(args.out).resolve()
    results = []
    for proof in chosen:
        res = run_proof(proof, out, Path(args.rtl_dir).resolve(), Path(args.harness_dir).resolve(),
                        args.timeout)
        results.append(res)
        write_results(results, out / "results.json")
        print(f"formal: {res.status:<7} {res.name:<12} {res.module:<18} {res.mode} depth {res.depth}"
              f"  {res.seconds:7.1f} s  {res.message}", flush=True)
        if res.status != "PASS":
            for failed in res.failed:
                print(f"    failed: {failed}")
            if res.trace:
                print(f"    trace:  {res.trace}")
            print(f"    rerun:  {res.rerun}")
    n_pass = sum(r.status == "PASS" for r in results)
    print(f"formal: {n_pass}/{len(results)} proofs PASS; results in {out / 'results.json'}")
    return 0 if results and n_pass == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
