"""Hierarchical Yosys synthesis of the MASR RTL (`make synth`, entry point `scripts/synth.py`).

Modules, one job each:
  cells     what a synthesized cell is: gate, flop, latch, memory macro; transistor costs
  netlist   one module's numbers from Yosys's JSON netlist and `ltp` log
  yosys     the Yosys script of one synthesis unit, running it, its errors, the result cache
  memories  memory classes of the macros and the replica share
  design    the unit tree of a configuration and its totals (per-module numbers x instances)
  report    the printed tables and out/synth/synth.json
"""


class SynthError(Exception):
    """A failure the flow reports as one clear message (bad RTL, latch, missing tool...)."""
