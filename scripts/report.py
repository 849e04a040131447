#!/usr/bin/env python3
"""`make report`: the sign-off report of a nightly (one self-contained HTML file, plus JUnit).

The entry point only; the report is built by the package scripts/signoff/ (its docstring lists
the files written and one module per job).  ``python scripts/report.py --help`` for the options.
"""
from __future__ import annotations

import sys

from signoff.build import main  # scripts/ is on sys.path: Python puts a script's directory first

if __name__ == "__main__":
    sys.exit(main())
