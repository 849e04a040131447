"""EIE-style CSC baseline (Han et al., ISCA 2016) and the footprint comparison with MASR.

Rows are interleaved over N_PE PEs (row r -> PE r mod N_PE, local row r div N_PE). Each PE
stores its sub-matrix column by column: entries (value, relative row index) where the index
counts the zeros since the previous entry of that column (4 bits); a run longer than 15 zeros
inserts a padding entry (value 0, index 15) that stands for 15 zeros plus one explicit zero.
Each PE keeps N+1 column pointers. Activations are stored uncompressed (N x 16 bits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from golden.config import ACT_BITS, HwConfig, LayerConfig, ceil_div
from golden.encode import masr_footprint_bits
from golden.errors import ImageError, SpecError
from golden.numerics import as_int_array


@dataclass(frozen=True)
class CscPe:
    values: np.ndarray      # int64, 0 for padding entries
    rel_index: np.ndarray   # int64, zeros skipped before the entry (< 2**index_bits)
    colptr: np.ndarray      # int64[N + 1]: entries of column j are colptr[j]:colptr[j+1]

    @property
    def n_entries(self) -> int:
        return len(self.values)


@dataclass(frozen=True)
class CscImage:
    M: int
    N: int
    n_pe: int
    index_bits: int
    value_bits: int
    ptr_bits: int
    pes: tuple[CscPe, ...]

    def n_entries(self) -> int:
        return sum(pe.n_entries for pe in self.pes)

    def n_padding(self) -> int:
        return sum(int((pe.values == 0).sum()) for pe in self.pes)

    def footprint_bits(self) -> dict[str, int]:
        return _csc_footprint(self.n_entries(), self.N, self.n_pe, self.index_bits,
                              self.value_bits, self.ptr_bits)


def _csc_footprint(entries: int, N: int, n_pe: int, index_bits: int, value_bits: int,
                   ptr_bits: int) -> dict[str, int]:
    fp = {
        "values": entries * value_bits,
        "indices": entries * index_bits,
        "pointers": n_pe * (N + 1) * ptr_bits,
        "activations": N * ACT_BITS,   # EIE keeps activations uncompressed
    }
    fp["total"] = sum(fp.values())
    return fp


def _check_csc_args(W: np.ndarray, n_pe: int, index_bits: int) -> np.ndarray:
    Wi = as_int_array("W", W, 8, 2)
    if isinstance(n_pe, bool) or not isinstance(n_pe, (int, np.integer)) or n_pe < 1:
        raise SpecError(f"n_pe={n_pe!r} must be an int >= 1")
    if not 1 <= index_bits <= 16:
        raise SpecError(f"index_bits={index_bits} must be in 1..16")
    return Wi


def _csc_entries(W: np.ndarray, n_pe: int, index_bits: int) -> dict[str, np.ndarray]:
    """All CSC entries of all PEs, sorted by (PE, column, position); vectorized over PEs."""
    M, N = W.shape
    Mp = ceil_div(M, n_pe)
    padded = np.zeros((Mp * n_pe, N), dtype=np.int64)
    padded[:M] = W
    by_pe = padded.reshape(Mp, n_pe, N).transpose(1, 2, 0)   # [pe, col, local row]
    pe, col, row = np.nonzero(by_pe)
    value = by_pe[pe, col, row]
    group = pe * N + col
    first = np.ones(len(row), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    prev_row = np.where(first, -1, np.concatenate([[-1], row[:-1]]))
    gap = row - prev_row - 1
    run = 1 << index_bits                      # a padding entry covers 2**bits positions
    n_pad = gap // run
    # Each non-zero expands into n_pad padding entries followed by itself.
    owner = np.repeat(np.arange(len(row)), n_pad + 1)
    start = np.concatenate([[0], np.cumsum(n_pad + 1)[:-1]]).astype(np.int64)
    within = np.arange(len(owner)) - start[owner]
    is_real = within == n_pad[owner]
    return {
        "pe": pe[owner], "col": col[owner],
        "value": np.where(is_real, value[owner], 0),
        "rel": np.where(is_real, gap[owner] % run, run - 1),
    }


def encode_csc(W: np.ndarray, n_pe: int, index_bits: int = 4, value_bits: int = 8,
               ptr_bits: int = 16) -> CscImage:
    Wi = _check_csc_args(W, n_pe, index_bits)
    M, N = Wi.shape
    ent = _csc_entries(Wi, n_pe, index_bits)
    per_col = np.bincount(ent["pe"] * N + ent["col"], minlength=n_pe * N).reshape(n_pe, N)
    pes = []
    for p in range(n_pe):
        sel = ent["pe"] == p
        colptr = np.concatenate([[0], np.cumsum(per_col[p])]).astype(np.int64)
        pes.append(CscPe(ent["value"][sel].astype(np.int64), ent["rel"][sel].astype(np.int64),
                         colptr))
    if ptr_bits < 64 and max(pe.n_entries for pe in pes) >= (1 << ptr_bits):
        raise SpecError(f"a PE has {max(pe.n_entries for pe in pes)} entries, more than "
                        f"{ptr_bits}-bit column pointers can address")
    return CscImage(M, N, n_pe, index_bits, value_bits, ptr_bits, tuple(pes))


def decode_csc(image: CscImage) -> np.ndarray:
    """Rebuild the dense int8 matrix; raise ImageError on malformed pointers or indices."""
    M, N, n_pe = image.M, image.N, image.n_pe
    Mp = ceil_div(M, n_pe)
    W = np.zeros((Mp * n_pe, N), dtype=np.int64)
    for p, pe in enumerate(image.pes):
        counts = np.diff(pe.colptr)
        if len(pe.colptr) != N + 1 or pe.colptr[0] != 0 or np.any(counts < 0) \
                or pe.colptr[-1] != pe.n_entries:
            raise ImageError(f"PE {p} has malformed column pointers")
        if np.any(pe.rel_index < 0) or np.any(pe.rel_index >= (1 << image.index_bits)):
            raise ImageError(f"PE {p} has a relative index outside {image.index_bits} bits")
        col = np.repeat(np.arange(N), counts)
        step = pe.rel_index + 1
        csum = np.cumsum(step)
        col_start = np.concatenate([[0], csum])[pe.colptr[:-1]]
        pos = csum - np.repeat(col_start, counts) - 1       # local row of each entry
        if pos.size and int(pos.max()) >= Mp:
            raise ImageError(f"PE {p} addresses local row {int(pos.max())} >= {Mp}")
        real = pe.values != 0
        W[pos[real] * n_pe + p, col[real]] = pe.values[real]
    if np.any(W[M:] != 0):
        raise ImageError("CSC image addresses rows past M")
    return W[:M].astype(np.int8)


def csc_footprint_bits(W: np.ndarray, n_pe: int, index_bits: int = 4, value_bits: int = 8,
                       ptr_bits: int = 16) -> dict[str, int]:
    """Footprint without materialising per-PE arrays (same numbers as encode_csc(...))."""
    Wi = _check_csc_args(W, n_pe, index_bits)
    entries = len(_csc_entries(Wi, n_pe, index_bits)["value"])
    return _csc_footprint(entries, Wi.shape[1], n_pe, index_bits, value_bits, ptr_bits)


def grid_for_macs(n_macs: int) -> tuple[int, int]:
    """(H, V) lane grid with H*V = n_macs, V = 2**floor(log2(n)/2) (H >= V)."""
    if n_macs < 1 or n_macs & (n_macs - 1):
        raise SpecError(f"n_macs={n_macs} must be a power of two >= 1")
    V = 1 << ((n_macs.bit_length() - 1) // 2)
    return n_macs // V, V


@dataclass(frozen=True)
class FootprintPoint:
    macs: int
    grid: str
    masr: dict[str, int]
    csc: dict[str, int]


def compare_footprints(W: np.ndarray, x: np.ndarray,
                       mac_counts: tuple[int, ...] = (32, 64, 128, 256, 512),
                       index_bits: int = 4, value_bits: int = 8,
                       ptr_bits: int = 16) -> list[FootprintPoint]:
    """MASR mask encoding vs EIE CSC storage for the same (W, x) as parallelism grows.

    One MAC per lane (MASR, H x V lanes) and per PE (EIE). MASR's pointers grow only with V
    (one per row and partition), CSC's with every PE (N+1 per PE).
    """
    Wi = as_int_array("W", W, 8, 2)
    M, N = Wi.shape
    points = []
    for n in mac_counts:
        H, V = grid_for_macs(n)
        hw = HwConfig(H, V, B=16, G=1, M_MAX=M, N_MAX=N, SLOTS=max(1, ceil_div(M, H)),
                      WDEPTH=max(1, M * N))
        masr = masr_footprint_bits(Wi, x, hw, LayerConfig(M, N))
        csc = csc_footprint_bits(Wi, n, index_bits, value_bits, ptr_bits)
        points.append(FootprintPoint(n, hw.name, masr, csc))
    return points
