"""Cycle model of EIE (Han et al., ISCA 2016) running one sparse matrix-vector product.

The storage is golden.eie's CSC encoding (rows interleaved over the PEs, 4-bit relative row
index, padding entries after 15 zeros); this module adds *time*.  The rules, restated in
docs/explore.md ("EIE cycle model"), are:

1. The activation vector is scanned in index order; only non-zero activations are broadcast.
   The central unit broadcasts at most one activation per cycle, to every PE at once.
2. Every PE has an activation queue of ``queue_depth`` entries.  The head entry is the PE's
   current operand: it holds its slot until the PE has *finished* that column (so depth 1 means
   no decoupling at all; the EIE paper's "FIFO size 1" leaves about half the cycles idle).
   A broadcast needs a free slot in *all* queues, judged on the registered state at the start
   of the cycle: a slot freed by a column that ends in cycle ``c - 1`` is free in cycle ``c``.
3. A PE starts the next queued activation when it is free; an activation broadcast in cycle
   ``b`` can start in ``b + 1`` at the earliest.  Activation ``j`` keeps the PE busy for
   ``max(1, entries)`` cycles, ``entries`` = the PE's CSC entries of column ``j`` *including
   padding entries*: one entry per cycle, and reading the column's pointer pair takes a cycle
   even when the column is empty in this PE.
4. After the last PE finishes, ``PIPELINE_DRAIN`` cycles flush EIE's pipeline (pointer read,
   sparse-matrix read, arithmetic, write-back) so the last sums reach the destination registers.

Load-balance efficiency is the EIE paper's metric: 1 - bubble cycles / total compute cycles,
summed over PEs, where a bubble is a cycle in which a PE has nothing to do.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.eie import encode_csc
from golden.errors import SpecError

__all__ = ["EieConfig", "EieResult", "PIPELINE_DRAIN", "column_entries", "simulate_eie",
           "simulate_eie_sequence"]

# Stages behind the one that consumes an entry per cycle (EIE fig. 4: pointer read, sparse
# matrix read, arithmetic + accumulate, activation write-back).
PIPELINE_DRAIN = 3


@dataclass(frozen=True)
class EieConfig:
    """EIE as published: 64 PEs, depth-8 activation queues, 4-bit relative indices."""

    n_pe: int = 64
    queue_depth: int = 8
    index_bits: int = 4

    def __post_init__(self) -> None:
        for name in ("n_pe", "queue_depth", "index_bits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise SpecError(f"EieConfig.{name}={value!r} must be an int >= 1")
        if self.index_bits > 16:
            raise SpecError(f"EieConfig.index_bits={self.index_bits} must be in 1..16")


@dataclass(frozen=True)
class EieResult:
    """One product on EIE.  Per-PE arrays have shape (n_pe,)."""

    cycles: int              # compute cycles + PIPELINE_DRAIN
    compute_cycles: int      # until the last PE finishes its last column
    pe_busy: np.ndarray      # cycles each PE spent on columns (incl. padding and empty columns)
    macs: int                # real non-zero products (weight != 0 and activation != 0)
    padding_entries: int     # padding entries read (each costs a cycle and an SRAM read)
    empty_columns: int       # (PE, activation) pairs with no entry: one pointer-read cycle each
    broadcasts: int          # non-zero activations broadcast
    broadcast_stalls: int    # cycles the broadcast waited for a full queue
    pointer_reads: int       # (PE, activation) pairs: each reads a start/end pointer pair

    @property
    def n_pe(self) -> int:
        return len(self.pe_busy)

    @property
    def entries(self) -> int:
        """CSC entries read (real + padding)."""
        return self.macs + self.padding_entries

    @property
    def load_balance_efficiency(self) -> float:
        """1 - bubble cycles / total compute cycles over all PEs (EIE paper, section VI)."""
        if self.compute_cycles == 0:
            return 1.0
        return float(self.pe_busy.sum() / (self.n_pe * self.compute_cycles))

    @property
    def utilization(self) -> float:
        """Real MACs per PE-cycle over the whole product (comparable to PerfResult's)."""
        return self.macs / (self.cycles * self.n_pe) if self.cycles else 0.0


def _check_masks(w_nonzero: np.ndarray, a_nonzero: np.ndarray) -> None:
    for name, mask, ndim in (("w_nonzero", w_nonzero, 2), ("a_nonzero", a_nonzero, 1)):
        if not isinstance(mask, np.ndarray) or mask.dtype != np.bool_ or mask.ndim != ndim:
            raise SpecError(f"{name} must be a {ndim}-D numpy bool array")
    if a_nonzero.shape[0] != w_nonzero.shape[1]:
        raise SpecError(f"a_nonzero has {a_nonzero.shape[0]} entries, W has "
                        f"{w_nonzero.shape[1]} columns")


def column_entries(w_nonzero: np.ndarray, cfg: EieConfig) -> tuple[np.ndarray, np.ndarray]:
    """(entries, padding) per PE and column, shape (n_pe, N), from golden.eie.encode_csc."""
    if not isinstance(w_nonzero, np.ndarray) or w_nonzero.dtype != np.bool_ \
            or w_nonzero.ndim != 2:
        raise SpecError("w_nonzero must be a 2-D numpy bool array")
    # Only the structure matters: encode the mask as a matrix of ones.  Wide pointers so the
    # encoder never refuses a large layer (pointer width is a storage question, not timing).
    image = encode_csc(w_nonzero.astype(np.int8), cfg.n_pe, index_bits=cfg.index_bits,
                       ptr_bits=63)
    n = w_nonzero.shape[1]
    entries = np.stack([np.diff(pe.colptr) for pe in image.pes])
    padding = np.zeros_like(entries)
    for p, pe in enumerate(image.pes):
        col = np.repeat(np.arange(n), entries[p])
        padding[p] = np.bincount(col[pe.values == 0], minlength=n)
    return entries, padding


def simulate_eie(w_nonzero: np.ndarray, a_nonzero: np.ndarray, cfg: EieConfig = EieConfig(),
                 columns: tuple[np.ndarray, np.ndarray] | None = None) -> EieResult:
    """Cycles of y = W a on EIE (rules in the module docstring).

    ``columns`` = column_entries(w_nonzero, cfg), to reuse one encoding for many activations.
    """
    _check_masks(w_nonzero, a_nonzero)
    entries, padding = columns if columns is not None else column_entries(w_nonzero, cfg)
    if entries.shape != (cfg.n_pe, w_nonzero.shape[1]):
        raise SpecError(f"columns have shape {entries.shape}, expected "
                        f"{(cfg.n_pe, w_nonzero.shape[1])}")
    active = np.flatnonzero(a_nonzero)
    cost = np.maximum(entries[:, active], 1)             # (n_pe, K) cycles per activation
    n_act, depth = len(active), cfg.queue_depth
    # Recurrence over broadcasts k (vectorised over PEs):
    #   b_k = max(b_{k-1} + 1, max_p f_{p,k-depth})     (slot of k-depth freed in every PE)
    #   s_{p,k} = max(b_k + 1, f_{p,k-1}),  f_{p,k} = s_{p,k} + cost_{p,k}
    start = np.zeros((n_act, cfg.n_pe), dtype=np.int64)
    finish = np.zeros((n_act, cfg.n_pe), dtype=np.int64)
    free = np.zeros(cfg.n_pe, dtype=np.int64)             # first cycle each PE is free
    last_b, stalls = -1, 0
    for k in range(n_act):
        b = last_b + 1
        if k >= depth:
            b_queue = int(finish[k - depth].max())
            stalls += max(0, b_queue - b)
            b = max(b, b_queue)
        start[k] = np.maximum(b + 1, free)
        free = finish[k] = start[k] + cost[:, k]
        last_b = b
    compute = int(free.max()) if n_act else 0
    real = entries[:, active] - padding[:, active]
    return EieResult(
        cycles=compute + PIPELINE_DRAIN, compute_cycles=compute,
        pe_busy=cost.sum(axis=1), macs=int(real.sum()),
        padding_entries=int(padding[:, active].sum()),
        empty_columns=int((entries[:, active] == 0).sum()), broadcasts=n_act,
        broadcast_stalls=stalls, pointer_reads=n_act * cfg.n_pe)


def simulate_eie_sequence(w_nonzero: np.ndarray, a_masks: np.ndarray,
                          cfg: EieConfig = EieConfig()) -> list[EieResult]:
    """One product per activation mask (rows of ``a_masks``), sharing one CSC encoding."""
    if not isinstance(a_masks, np.ndarray) or a_masks.ndim != 2:
        raise SpecError("a_masks must be a 2-D numpy bool array (T, N)")
    columns = column_entries(w_nonzero, cfg)
    return [simulate_eie(w_nonzero, a, cfg, columns) for a in a_masks]
