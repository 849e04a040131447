"""scripts/explore.py (`make explore`) on small sizes: outputs, RTL overlay, options, the page."""
from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import explore  # noqa: E402
from explore_lib import rtl  # noqa: E402
from explore_lib.studies import CYCLE_PARTS, NULL_WORK, V2_SCHEMES  # noqa: E402
from explore_lib.options import OptionError, parse  # noqa: E402

SMALL = ["--lanes", "16,64", "--macs", "32,64", "--M", "96", "--N", "96", "--T", "2",
         "--rep-fractions", "0.1,0.5", "--eie-scale", "0.0625", "--eie-lanes", "16,64",
         "--gru-inputs", "48", "--gru-hidden", "32", "--gru-steps", "4", "--gru-lanes", "16",
         "--no-progress"]


def product(M: int, mode: str, cycles: int, model_cycles: int, mac: int = 40, idle: int = 5,
            err: str = "OK", name: str = "p", dup: float = 0.0) -> dict:
    counters = {"PERF_CYCLES": cycles, "PERF_MAC_BUSY": mac, "PERF_IDLE": idle,
                "PERF_STALL": 0, "PERF_STEAL_GRANTED": 1}
    return {"name": name, "dup_fraction": dup,
            "M": M, "N": 32, "mode": mode, "rep_rows": 1, "passed": cycles == model_cycles,
            "expect_err": err, "err_code": 0, "counters": counters,
            "expected_counters": {**counters, "PERF_CYCLES": model_cycles}}


def fake_nightly(root: Path) -> Path:
    """The nightly layout: results.jsonl 'finished' records pointing at runs' summary.json."""
    runs = [("4x2", "RandomTest", 1, [product(16, "NONE", 60, 60),
                                      product(16, "VERTICAL", 55, 55),
                                      product(16, "NONE", 99, 99, err="ERR_DIM")]),
            ("8x8", "RandomTest", 2, [product(64, "NONE", 50, 51, mac=300, idle=40)]),
            ("8x8", "StealSweepTest", 1, [product(64, "NONE", 80, 80, name="sweep0_none"),
                                          product(64, "VERTICAL", 64, 64, name="sweep0_vertical_q1",
                                                  dup=0.05),
                                          product(64, "HORIZONTAL", 70, 72, dup=0.1,
                                                  name="sweep0_horizontal_q1"),
                                          product(64, "VERTICAL", 60, 60, name="sweep1_vertical_q1",
                                                  dup=0.05)])]
    lines = []
    for config, test, seed, prods in runs:
        d = root / "runs" / config / test / f"seed{seed}"
        d.mkdir(parents=True)
        (d / "summary.json").write_text(json.dumps(
            {"test": test, "config": config, "seed": seed, "products": prods}))
        rel = str((d / "summary.json").relative_to(root))
        lines.append(json.dumps({"event": "started", "test": test, "config": config,
                                 "seed": seed}))
        lines.append(json.dumps({"event": "finished", "test": test, "config": config,
                                 "seed": seed, "status": "PASS", "summary": rel}))
    (root / "results.jsonl").write_text("\n".join(lines) + "\n{\"torn")
    return root


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("explore")
    nightly = fake_nightly(base / "nightly")
    out = base / "out"
    assert explore.main(SMALL + ["--out", str(out), "--nightly", str(nightly)]) == 0
    return out


def test_outputs_and_data(small_run):
    for n in range(1, 8):
        assert len(list(small_run.glob(f"fig{n}_*.png"))) == 1, n
    for name in ("fig1_footprint", "fig24_scaling", "fig3_stealing", "v2_stealing", "fig5_eie",
                 "fig6_gru",
                 "rtl_points", "rtl_sweep", "claims", "energy_table"):
        assert (small_run / f"{name}.csv").stat().st_size > 0
    rows = list(csv.DictReader((small_run / "fig24_scaling.csv").open()))
    for r in rows:   # the cycle breakdown adds up to cycles x lanes
        parts = sum(int(r[k]) for k in CYCLE_PARTS)
        assert parts == int(r["cycles"]) * int(r["lanes"])
    data = json.loads((small_run / "data.json").read_text())
    assert data["rtl_missing"] is None
    assert {r["design"] for r in data["fig5"]} == {"EIE", "MASR"}


def test_claims_are_the_computed_numbers(small_run):
    data = json.loads((small_run / "data.json").read_text())
    none64 = next(r for r in data["fig24"] if r["lanes"] == 64 and r["mode"] == "NONE")
    util = next(c for c in data["claims"] if c["seed claim"].startswith("~30 %"))
    assert f"{none64['utilization']:.1%}" in util["our number"]
    for c in data["claims"]:
        assert c["command"] == "make explore"
        assert (c["agrees"] == "yes") == (c["why we differ"] == "")
    # the v2 claim quotes each scheme's run: end to end against v1 none, stealing alone
    v2 = {r["scheme"]: r for r in data["v2"]}
    assert set(v2) == {name for name, _ in V2_SCHEMES}
    claim = next(c for c in data["claims"] if "v2 rules" in c["seed claim"])
    for r in v2.values():
        assert r["speedup_vs_v1_none"] == pytest.approx(r["v1_none_cycles"] / r["cycles"])
        assert f"{r['speedup_vs_v1_none']:.2f}x" in claim["our number"]
        assert f"{r['speedup_vs_none']:.3f}x" in claim["our number"]
        assert r["lanes"] == 64 and r["dup_fraction"] <= 0.1 + 1e-12


def test_rtl_overlay_reads_the_nightly(tmp_path):
    pts = rtl.load(fake_nightly(tmp_path / "n"))
    assert pts.missing is None and pts.runs == 3 and pts.configs == ["4x2", "8x8"]
    assert len(pts.products) == 7                  # the ERR_DIM product is left out
    p8 = next(p for p in pts.products if p["config"] == "8x8")
    # 64 rows on 8 lane-rows: out = 8; null/claim = (50 - 8) * 64 - 300 - 40
    assert p8[f"rtl_{NULL_WORK}"] == 42 * 64 - 340 and p8["rtl_output/drain"] == 8 * 64
    assert p8["rtl_cycles"] == 50 and p8["model_cycles"] == 51
    agg = rtl.aggregate(pts, "4x2", "NONE", "rtl")
    assert agg["n"] == 1 and agg["cycles"] == 60


def test_sweep_speedups_pair_each_mode_with_mode_none_of_the_same_layer(tmp_path):
    sweeps = rtl.sweep_speedups(rtl.load(fake_nightly(tmp_path / "n")))
    # sweep1 has no mode-none product: nothing to pair it with
    assert sorted((s["layer"], s["mode"], s["dup_fraction"], s["rtl_speedup"], s["model_speedup"])
                  for s in sweeps) == [("sweep0", "HORIZONTAL", 0.1, 80 / 70, 80 / 72),
                                       ("sweep0", "VERTICAL", 0.05, 80 / 64, 80 / 64)]


def test_missing_nightly_is_said_on_the_page(tmp_path):
    out = tmp_path / "out"
    assert explore.main(SMALL + ["--out", str(out), "--nightly", str(tmp_path / "none")]) == 0
    page = (out / "index.html").read_text()
    assert "RTL points left out" in page and "results.jsonl not found" in page
    assert not (out / "fig7_rtl_vs_model.png").exists()


@pytest.mark.parametrize("args, message", [
    (["--lanes", "64,100"], r"--lanes: \[100\] not a power of two"),
    (["--macs", "0"], r"--macs: \[0\] not a power of two"),
    (["--gru-lanes", "48"], r"--gru-lanes: \[48\] not a power of two"),
    (["--w-density", "1.5"], r"--w-density=1.5 must be in \[0, 1\]"),
    (["--a-density", "-0.1"], r"--a-density=-0.1 must be in \[0, 1\]"),
    (["--rep-fractions", "0"], r"--rep-fractions=0.0 must be in \(0, 1\]"),
    (["--eie-scale", "2"], r"--eie-scale=2.0 must be in \(0, 1\]"),
    (["--T", "0"], r"--T=0 must be >= 1"),
])
def test_bad_options(args, message):
    with pytest.raises(OptionError, match=message):
        parse(args)


def test_bad_option_exit_code():
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "explore.py"), "--lanes", "3"],
                          capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 2 and "not a power of two" in proc.stderr


def test_page_renders_in_chromium(small_run, tmp_path):
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian's chromium is not installed: run `make sysdeps` as root")
    flags = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
             f"--user-data-dir={tmp_path / 'profile'}"]
    url = (small_run / "index.html").as_uri()
    shot = tmp_path / "page.png"
    subprocess.run(flags + ["--window-size=1280,2400", f"--screenshot={shot}", url],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 20_000
    # Every figure must have loaded: the DOM after scripts ran reports each image's size.
    probe = tmp_path / "probe.html"
    page = (small_run / "index.html").read_text().replace(
        "</body>", "<script>window.onload=()=>{document.title=[...document.images].map("
        "i=>i.naturalWidth).join(',')}</script></body>")
    probe.write_text(page)
    for png in small_run.glob("*.png"):
        shutil.copy(png, tmp_path / png.name)
    proc = subprocess.run(flags + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000",
                                   "--dump-dom", probe.as_uri()],
                          capture_output=True, text=True, timeout=120, check=True)
    title = proc.stdout.split("<title>")[1].split("</title>")[0]
    widths = [int(w) for w in title.split(",")]
    assert len(widths) == 7 and all(w > 100 for w in widths), widths
    console_errors = [l for l in proc.stderr.splitlines()
                      if "CONSOLE" in l and ("ERROR" in l or "Uncaught" in l)]
    assert not console_errors, console_errors


def test_grid_of_reads_overrides_and_simulator_suffixes() -> None:
    assert rtl.grid_of("16x16:SLOTS=96@icarus") == (16, 16) and rtl.grid_of("4x2@icarus") == (4, 2)
    with pytest.raises(ValueError, match="HxV"):
        rtl.grid_of("big")
