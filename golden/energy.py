"""Energy of one matrix-vector product on MASR and on EIE: event counts x per-event energy.

Per-event energies are 45 nm figures from M. Horowitz, "Computing's energy problem (and what we
can do about it)", ISSCC 2014, fig. 1.1.9 ("rough energy costs for various operations in 45 nm,
0.9 V"): integer add 8/16/32 bit = 0.03/0.05/0.1 pJ, integer multiply 8/32 bit = 0.2/3.1 pJ,
64-bit SRAM read 8 KB/32 KB/1 MB = 10/20/100 pJ.  What this module derives from them, and why:

- multiplier energy grows with the product of the operand widths (8x8 -> 32x32 is 16x the
  area and 15.5x the energy in the table), so 8x16 = 2 x 0.2 pJ and 16x16 = 4 x 0.2 pJ;
- an SRAM access costs (width / 64) x the 64-bit figure of an array of that capacity, the
  figure interpolated log-log between the table's capacities and never taken below the 8 KB
  one: small register files and queues get no credit on *either* design, which keeps the
  comparison conservative rather than flattering the design with the smaller memories;
- writes cost the same as reads (the table has only reads).

Both designs' memories are sized to the layer they run (each lane's / PE's busiest need), so
an energy difference comes from what is accessed, not from arbitrarily chosen capacities.
docs/explore.md lists every event and what it counts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from golden.config import (ACT_BITS, ROWPTR_BITS, WEIGHT_BITS, HwConfig, LayerConfig, StealMode,
                           max_slots_needed, partition_width, words_per_row)
from golden.eie_perf import EieConfig, EieResult, column_entries
from golden.errors import SpecError
from golden.perf import PerfResult, lane_weight_words

__all__ = ["HOROWITZ_45NM", "EnergyTable", "sram_pj", "masr_events", "eie_events",
           "energy_pj", "EventCount"]

ACC_BITS = 32           # MASR accumulators (brief: 32-bit)
EIE_VALUE_BITS = 16     # EIE's ALU width after the codebook lookup (16-bit fixed point)
EIE_ENTRY_BITS = 8      # 4-bit weight index + 4-bit relative row index per CSC entry
EIE_PTR_BITS = 16


@dataclass(frozen=True)
class EnergyTable:
    """pJ per operation; ``sram_64b`` maps capacity in bytes to pJ per 64-bit read."""

    add8: float
    add16: float
    add32: float
    mult8: float
    sram_64b: tuple[tuple[int, float], ...]
    source: str = field(default="")

    def mult(self, a_bits: int, b_bits: int) -> float:
        """a x b multiplier, scaled from 8x8 by the product of the operand widths."""
        return self.mult8 * (a_bits * b_bits) / 64

    def add(self, bits: int) -> float:
        return {8: self.add8, 16: self.add16, 32: self.add32}[bits]


HOROWITZ_45NM = EnergyTable(
    add8=0.03, add16=0.05, add32=0.1, mult8=0.2,
    sram_64b=((8 << 10, 10.0), (32 << 10, 20.0), (1 << 20, 100.0)),
    source="M. Horowitz, Computing's energy problem (and what we can do about it), "
           "ISSCC 2014, 45 nm / 0.9 V")


def sram_pj(table: EnergyTable, capacity_bits: int, width_bits: int) -> float:
    """pJ for one access of ``width_bits`` to an array of ``capacity_bits``."""
    if capacity_bits < 0 or width_bits < 0:
        raise SpecError(f"capacity_bits={capacity_bits} and width_bits={width_bits} must be >= 0")
    caps = np.log([c for c, _ in table.sram_64b])
    pjs = np.log([e for _, e in table.sram_64b])
    size = math.log(max(capacity_bits / 8, table.sram_64b[0][0]))
    if size <= caps[-1]:
        e64 = math.exp(float(np.interp(size, caps, pjs)))
    else:  # beyond the largest array: extend the last segment's slope
        slope = (pjs[-1] - pjs[-2]) / (caps[-1] - caps[-2])
        e64 = math.exp(pjs[-1] + slope * (size - caps[-1]))
    return e64 * width_bits / 64


@dataclass(frozen=True)
class EventCount:
    """``count`` accesses/operations costing ``pj`` each."""

    count: int
    pj: float

    @property
    def total_pj(self) -> float:
        return self.count * self.pj


def energy_pj(events: dict[str, EventCount]) -> float:
    return float(sum(e.total_pj for e in events.values()))


def masr_events(w_nonzero: np.ndarray, a_nonzero: np.ndarray, hw: HwConfig, layer: LayerConfig,
                perf: PerfResult, table: EnergyTable = HOROWITZ_45NM) -> dict[str, EventCount]:
    """Events of one MASR product (``perf`` = simulate_matvec of the same masks)."""
    M, N = layer.M, layer.N
    K, P, B, V = words_per_row(hw, N), partition_width(hw, N), hw.B, hw.V
    ops = perf.mac_busy
    slots = max_slots_needed(hw, layer)
    segments = 3 if layer.mode == StealMode.VERTICAL else 1   # own + duplicated neighbours
    weight_cap = int(lane_weight_words(w_nonzero, hw, layer).max()) * WEIGHT_BITS
    mask_cap = slots * K * B
    act_cap = segments * (K * B + P * ACT_BITS)
    act_nnz = int(a_nonzero.sum())
    pes_per_partition = hw.H // hw.G
    row_tasks = M * V
    return {
        # every mask word of every row is read once: weight mask (SRAM) and activation mask (RF)
        "weight mask reads": EventCount(row_tasks * K, sram_pj(table, mask_cap, B)),
        "activation mask reads": EventCount(row_tasks * K, sram_pj(table, act_cap, B)),
        # prefix-sum address unit per word: two prefix adds and one popcount (~ 16-bit adds)
        "address unit": EventCount(row_tasks * K, 3 * table.add(16)),
        "row pointer reads": EventCount(row_tasks, sram_pj(table, slots * ROWPTR_BITS,
                                                           ROWPTR_BITS)),
        "weight reads": EventCount(ops, sram_pj(table, weight_cap, WEIGHT_BITS)),
        "activation reads": EventCount(ops, sram_pj(table, act_cap, ACT_BITS)),
        "MAC": EventCount(ops, table.mult(WEIGHT_BITS, ACT_BITS) + table.add(ACC_BITS)),
        "reduction adds": EventCount(M * V, table.add(ACC_BITS)),   # V-1 partials + bias
        # each PE's activation RF gets its partition (and the neighbours' in vertical mode)
        "activation RF mask writes": EventCount(pes_per_partition * segments * V * K,
                                                sram_pj(table, act_cap, B)),
        "activation RF value writes": EventCount(pes_per_partition * segments * act_nnz,
                                                 sram_pj(table, act_cap, ACT_BITS)),
        "output writes": EventCount(M, sram_pj(table, M * ACT_BITS, ACT_BITS)),
    }


def eie_events(w_nonzero: np.ndarray, a_nonzero: np.ndarray, result: EieResult,
               cfg: EieConfig = EieConfig(), pe_entries: int | None = None,
               table: EnergyTable = HOROWITZ_45NM) -> dict[str, EventCount]:
    """Events of one EIE product; ``pe_entries`` = the busiest PE's CSC entries (SRAM size)."""
    M, N = w_nonzero.shape
    n_pe = cfg.n_pe
    if pe_entries is None:
        pe_entries = int(column_entries(w_nonzero, cfg)[0].sum(axis=1).max())
    spmat_cap = pe_entries * EIE_ENTRY_BITS
    act_cap = 2 * -(-max(M, N) // n_pe) * ACT_BITS           # source + destination slices
    queue_bits = ACT_BITS + math.ceil(math.log2(max(2, N)))   # value + column index
    return {
        # the leading-non-zero detector scans every source activation
        "activation reads": EventCount(N, sram_pj(table, act_cap, ACT_BITS)),
        "queue writes": EventCount(result.broadcasts * n_pe,
                                   sram_pj(table, cfg.queue_depth * queue_bits, queue_bits)),
        "pointer reads": EventCount(result.pointer_reads,
                                    2 * sram_pj(table, (N + 1) * EIE_PTR_BITS, EIE_PTR_BITS)),
        "sparse matrix reads": EventCount(result.entries, sram_pj(table, spmat_cap,
                                                                  EIE_ENTRY_BITS)),
        # padding entries go through the pipeline as zero weights: they cost a MAC too
        "MAC": EventCount(result.entries, table.mult(EIE_VALUE_BITS, ACT_BITS)
                          + table.add(EIE_VALUE_BITS)),
        "output writes": EventCount(M, sram_pj(table, act_cap, ACT_BITS)),
    }
