"""Run one proof under yowasp-sby and read back its verdict.

Status: PASS (proved: k-induction for mode prove, no failure up to the bound for bmc), FAIL (a
real counterexample from the reset state), UNKNOWN (induction did not close, or the timeout hit
first: never reported as PASS), ERROR (Yosys could not read the design, a probe is not
connected, the solver is missing, ...: `message` says which module or tool)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from formal_lib.spec import REPO, Proof, sby_text

BIN = Path(sys.executable).parent
SOLVER_EXE = {"yices": "yices-smt2", "z3": "z3", "boolector": "boolector", "bitwuzla": "bitwuzla"}
TRACE_RE = re.compile(r"summary: counterexample trace(?: \[(?P<kind>\w+)\])?: (?P<path>\S+)")
FAILED_RE = re.compile(r"summary:\s+failed assertion (?P<name>\S+) at (?P<loc>\S+)")
STEP_RE = re.compile(r"(?:Checking assertions|Trying induction) in step (\d+)")
YOSYS_ERR_RE = re.compile(r"(?:(?P<loc>[\w.]+\.svh?:\d+)[.\d-]*: )?ERROR: ?(?P<msg>.*)")


@dataclass
class Result:
    name: str
    module: str
    properties: list[str]
    mode: str
    depth: int
    status: str
    seconds: float
    message: str = ""
    steps: int | None = None          # deepest step a solver reached (basecase / bmc)
    failed: list[str] = field(default_factory=list)
    trace: str | None = None
    rerun: str = ""


def tool(name: str) -> str | None:
    here = BIN / name
    return str(here) if here.exists() else shutil.which(name)


def rerun_command(proof: Proof, out: Path, rtl_dir: Path, harness_dir: Path,
                  timeout: int | None) -> str:
    """The command that reruns exactly this proof (other sources / timeout included)."""
    extra = f" --timeout {timeout}" if timeout else ""
    if rtl_dir != REPO / "rtl":
        extra += f" --rtl-dir {rtl_dir}"
    if harness_dir != REPO / "tb" / "formal":
        extra += f" --harness-dir {harness_dir}"
    return f"{BIN / 'python'} scripts/formal.py --proof {proof.name} --out {out}{extra}"


def _verdict(proof: Proof, workdir: Path, log: str) -> tuple[str, str]:
    status_file = workdir / "status"
    raw = status_file.read_text().split()[0] if status_file.exists() else "ERROR"
    if "not found in path" in log:
        return "ERROR", f"SMT solver '{proof.solver}' not found (proof {proof.name})"
    if raw == "PASS":
        return "PASS", "proved by k-induction" if proof.mode == "prove" else f"no failure in {proof.depth} steps"
    if raw == "FAIL":
        return "FAIL", "counterexample from reset"
    if raw in ("TIMEOUT", "UNKNOWN"):
        if raw == "TIMEOUT" or "timeout" in log.lower():
            return "UNKNOWN", "timed out before a verdict"
        return "UNKNOWN", "induction did not close (helper invariant missing or depth too small)"
    errors = [m for m in map(YOSYS_ERR_RE.search, log.splitlines()) if m]
    if errors:
        m = errors[0]
        where = f" at {m['loc']}" if m["loc"] else ""
        return "ERROR", f"Yosys cannot read {proof.module} / {proof.harness}{where}: {m['msg']}"
    return "ERROR", f"sby ended without a verdict ({raw}); see {workdir / 'logfile.txt'}"


def run_proof(proof: Proof, out: Path, rtl_dir: Path, harness_dir: Path,
              timeout: int | None = None) -> Result:
    limit = timeout or proof.timeout
    out.mkdir(parents=True, exist_ok=True)
    sby = out / f"{proof.name}.sby"
    workdir = out / proof.name
    result = Result(proof.name, proof.module, proof.properties, proof.mode, proof.depth,
                    "ERROR", 0.0, rerun=rerun_command(proof, out, rtl_dir, harness_dir, timeout))
    exes = {k: tool(f"yowasp-{k}") for k in ("sby", "yosys", "yosys-smtbmc", "yosys-witness")}
    missing = [f"yowasp-{k}" for k, v in exes.items() if v is None]
    if not tool(SOLVER_EXE.get(proof.solver, proof.solver)):
        missing.append(f"{SOLVER_EXE.get(proof.solver, proof.solver)} (solver {proof.solver})")
    if missing:
        result.message = f"proof {proof.name} ({proof.module}): missing {', '.join(missing)} (make venv)"
        return result
    for f in [*proof.rtl, proof.harness]:
        src = (harness_dir if f == proof.harness else rtl_dir) / f
        if not src.exists():
            result.message = f"proof {proof.name} ({proof.module}): no file {src}"
            return result
    sby.write_text(sby_text(proof, rtl_dir, harness_dir, limit))
    cmd = [exes["sby"], "-f", "--yosys", exes["yosys"], "--smtbmc", exes["yosys-smtbmc"],
           "--witness", exes["yosys-witness"], sby.name]
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=out, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        stdout, _ = proc.communicate(timeout=limit + 60)   # sby's own timeout normally ends it
        killed = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, _ = proc.communicate()
        killed = True
    result.seconds = round(time.monotonic() - t0, 1)
    logfile = workdir / "logfile.txt"
    log = stdout + (logfile.read_text() if logfile.exists() else "")
    for sub in sorted(workdir.glob("model/*.log")):
        log += sub.read_text()
    result.status, result.message = ("UNKNOWN", f"killed after {limit + 60} s") if killed \
        else _verdict(proof, workdir, log)
    steps = [int(s) for s in STEP_RE.findall(log)]
    result.steps = max(steps) if steps else None
    result.failed = sorted({m["name"].split(".", 1)[-1] + f" ({m['loc']})" for m in FAILED_RE.finditer(log)})
    traces = [m for m in TRACE_RE.finditer(log)]
    if traces and result.status in ("FAIL", "UNKNOWN"):
        result.trace = str((out / traces[0]["path"]).resolve())
    return result


def write_results(results: list[Result], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(r) for r in results]
    path.write_text(json.dumps({"repo": str(REPO), "proofs": rows}, indent=1))
