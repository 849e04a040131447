"""`make report`: the sign-off report of a nightly (one self-contained HTML file, plus JUnit).

Reads a nightly directory (default out/nightly/latest) and writes into <nightly>/report/:
  signoff.html        pass rate per test and config, failure buckets with rerun commands,
                      functional coverage per covergroup (uncovered bins listed), code coverage
                      per module, testplan closure, exclusions, plots (coverage growth over seeds,
                      per-lane MAC-utilization heat map, steals per lane); images inlined
  junit.xml           one testcase per run (scripts/regress.py's write_junit)
  closure-junit.xml   one testcase per testpoint (pyucis export_junit_xml)
  merged.ucis.xml     the merged UCIS database (pyucis): Verilator code coverage + cocotb-coverage
                      functional coverage of every passing run, and one test-history node per run
  merged_coverage.dat exact point-by-point sum of the runs' Verilator coverage.dat files
  closure.json, summary.json  the numbers of the report, machine-readable

Why both pyucis and a coverage.dat sum: pyucis (0.2.0) merges the Verilator data but its
``vltcov`` import names line points ``line_<N>`` and toggle points per signal, creates instances
flat by leaf name and drops the module name, so distinct points collapse when merged.  The
per-module code-coverage numbers therefore come from the exact sum, and the HTML is this
package's own: pyucis' HTML formatter renders an empty page for pyucis' own in-memory and XML
databases (docs/signoff.md lists what pyucis could and could not do).

One job per module, imported in this order (each imports only modules above it):
  runs           the nightly's directory, plan and finished runs; pass rate per test and config
  exclusions     waivers: loading, validation, matching (globs, `ifdef regions, instance, anchor)
  code_coverage  Verilator coverage.dat: exact sum, points, per-module tables
  functional     covergroups from pyucis or scripts/regress.py's merge, tallied after exclusions
  ucis_merge     the merged pyucis database (code + functional coverage + test history)
  testplan       testplan closure: pyucis' test side plus the covergroups' coverage side
  formal         scripts/formal.py's results.json; testpoints closed by proofs
  growth         coverage after k seeds per test (the per-run pass over the coverage files)
  lanes          per-lane MAC/steal statistics from the runs' summary.json
  plots          matplotlib figures, inlined as base64 PNG
  render         the HTML page
  build          build_report (orchestration, output files) and the command line (main)
scripts/report.py is the entry point (`make report`).
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
SCRIPTS = REPO / "scripts"
# regress.py and nightly.py are scripts, not a package: import them by their directory, and the
# repository root for the tb/golden packages they import.
for _p in (str(REPO), str(SCRIPTS)):
    if _p not in sys.path:
        sys.path.insert(0, _p)
