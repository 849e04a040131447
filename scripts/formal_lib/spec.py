"""The proof list (tb/formal/proofs.hjson) and the SymbiYosys job text of one proof."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import hjson

REPO = Path(__file__).resolve().parent.parent.parent
SPEC = REPO / "tb" / "formal" / "proofs.hjson"
MODES = ("prove", "bmc")


@dataclass
class Proof:
    name: str
    module: str
    rtl: list[str]
    harness: str
    mode: str
    depth: int
    timeout: int
    solver: str = "yices"
    fast: bool = False
    params: dict[str, int] = field(default_factory=dict)
    probes: list[str] = field(default_factory=list)
    probe_arrays: list[dict] = field(default_factory=list)
    properties: list[str] = field(default_factory=list)

    @property
    def top(self) -> str:
        return Path(self.harness).stem


def load_proofs(path: Path = SPEC) -> list[Proof]:
    raw = hjson.loads(path.read_text())
    proofs = []
    for entry in raw["proofs"]:
        proof = Proof(**{k: (dict(v) if isinstance(v, dict) else v) for k, v in entry.items()})
        if proof.mode not in MODES:
            raise ValueError(f"{path}: proof {proof.name}: mode must be one of {MODES}")
        proofs.append(proof)
    return proofs


def probe_lines(proof: Proof) -> list[str]:
    """`connect` commands for the white-box probes.  -nounset: the probe wire is undriven, and
    unsetting would also cut every wire the frontend aliased to it."""
    lines = [f"connect -nounset -set {p.split()[0]} {p.split()[1]}" for p in proof.probes]
    for arr in proof.probe_arrays:
        width = _param_or_int(proof, arr["width"])
        for i, src in enumerate(_probe_sources(proof, arr)):
            lo = i * width
            lines.append(f"connect -nounset -set {arr['wire']}[{lo + width - 1}:{lo}] {src}")
    return lines


def _param_or_int(proof: Proof, value: int | str) -> int:
    """A probe array's width or count: a literal, or the name of one of the proof's params."""
    return value if isinstance(value, int) else int(proof.params[value])


def _probe_sources(proof: Proof, arr: dict) -> list[str]:
    """The DUT paths of a probe array, element 0 first: `count` elements each[{i}], or with
    `grid: [ROWS, COLS]` (two param names) one element per generate cell each[{r}][{c}], element
    r * COLS + c (the lane order h * V + v of masr_array)."""
    if "grid" in arr:
        rows, cols = (_param_or_int(proof, g) for g in arr["grid"])
        return [arr["each"].format(r=r, c=c, i=r * cols + c) for r in range(rows)
                for c in range(cols)]
    return [arr["each"].format(i=i) for i in range(_param_or_int(proof, arr["count"]))]


def sby_text(proof: Proof, rtl_dir: Path, harness_dir: Path, timeout: int) -> str:
    """The .sby job: every file is copied into the job's src/ (the WebAssembly Yosys sees only
    its working directory); `check -assert` makes an unconnected probe an error."""
    rtl = ["masr_pkg.sv", *proof.rtl]
    chparams = " ".join(f"-chparam {k} {v}" for k, v in proof.params.items())
    script = [f"read_verilog -sv -formal -I. {' '.join(rtl)} {proof.harness}",
              f"hierarchy -check -top {proof.top} {chparams}".rstrip(),
              "proc", "flatten", *probe_lines(proof), "check -assert"]
    files = [str(rtl_dir / f) for f in [*rtl, "masr_assert.svh"]] + [str(harness_dir / proof.harness)]
    return "\n".join([
        "[options]", f"mode {proof.mode}", f"depth {proof.depth}", f"timeout {timeout}", "",
        "[engines]", f"smtbmc {proof.solver}", "",
        "[script]", *script, "",
        "[files]", *files, ""])
