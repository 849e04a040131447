"""scripts/bench_perf_model.py --json on a small workload: the issue #12 object, for the chosen
scheme and for a lane run-ahead (O2) scheme, with speedups that follow from its own cycles."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
MODE_FIELDS = {"cycles", "compute_cycles", "utilization", "speedup_vs_none", "speedup_vs_v1_none",
               "dup_fraction", "ideal_cycles", "load_imbalance"}


@pytest.mark.parametrize("scheme", ["split-load", "ra-scan-split-load"])
def test_json_object_is_consistent(scheme: str) -> None:
    out = subprocess.run([sys.executable, str(REPO / "scripts" / "bench_perf_model.py"), "--json",
                          "--array", "4x4", "--size", "64", "--steps", "4", "--scheme", scheme],
                         capture_output=True, text=True, check=True).stdout
    d = json.loads(out)
    assert d["workload"]["scheme"]["name"] == scheme
    v1 = d["baseline_v1_none"]["cycles"]
    none = d["modes"]["NONE"]["cycles"]
    for mode, row in d["modes"].items():
        assert MODE_FIELDS <= set(row), mode
        assert row["speedup_vs_v1_none"] == pytest.approx(v1 / row["cycles"])
        assert row["speedup_vs_none"] == pytest.approx(none / row["cycles"])
        assert 0.0 < row["utilization"] <= 1.0
        assert row["dup_fraction"] <= 0.10 + 1e-12
    assert d["workload"]["scheme"]["features"]["run_ahead"] == scheme.startswith("ra-")
