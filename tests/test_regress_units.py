"""scripts/regress.py helpers: failure signatures bucket by cause, coverage merges over runs."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import regress  # noqa: E402


def test_signature_ignores_numbers_paths_and_the_summary_header():
    a = ("AssertionError: 3 scoreboard/testbench errors (config 4x2, seed 1):\n"
         "product #2 'r': y row 61 (lane-row h=1) expected 32767 got 32766\n")
    b = ("AssertionError: 9 scoreboard/testbench errors (config 8x8, seed 7):\n"
         "product #5 'q': y row 3 (lane-row h=3) expected 10 got 12\n")
    assert regress.failure_signature(a).startswith("product #<n>")
    assert regress.failure_signature(a).replace("'r'", "'q'") == regress.failure_signature(b)
    assert "<path>" in regress.failure_signature("killed after 9 s: /work/build/x/masr_top run")


def test_signature_keeps_different_bugs_apart():
    assert regress.failure_signature("u_arb.DistinctRows_A failed") != \
        regress.failure_signature("u_ag.WaddrHigh_A failed")


def test_functional_coverage_merges_hits_over_runs(tmp_path):
    def run(bins):
        body = "".join(f'<b{i} bin="{k}" hits="{h}" abs_name="top.g.p.b{i}"/>'
                       for i, (k, h) in enumerate(bins.items()))
        path = tmp_path / f"cov{len(list(tmp_path.iterdir()))}.xml"
        path.write_text(f'<top abs_name="top"><g abs_name="top.g"><p abs_name="top.g.p" '
                        f'at_least="1">{body}</p></g></top>')
        return path
    merged = regress.merge_functional_coverage([run({"x": 1, "y": 0}), run({"x": 0, "y": 2})])
    [(group, covered, total, missing)] = regress.coverage_rows(merged)
    assert (group, covered, total, missing) == ("top.g", 2, 2, [])
    one = regress.coverage_rows(regress.merge_functional_coverage([run({"x": 1, "y": 0})]))
    assert one[0][1:3] == (1, 2) and one[0][3] == ["p=y"]
