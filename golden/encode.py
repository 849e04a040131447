"""Offline MASR encoder: weights/activations -> per-lane / per-PE memory images.

Implements docs/architecture.md section 3 (layouts) and section 6 (backdoor files, frontdoor
numbering). The images are what the RTL loads bit for bit; ``decode_matvec`` inverts them so the
round trip is testable, and ``matvec_from_image`` (golden/matvec.py) computes from them alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np

from golden.config import (
    ACT_BITS, BIAS_BITS, FEAT_SPLIT, ROWPTR_BITS, WEIGHT_BITS, HwConfig, Lane, LayerConfig,
    SlotRef,
    StealMode, check_split_plan, partition_width, slot_layout, split_slot_layout, words_per_row,
)
from golden.errors import ImageError, SpecError
from golden.numerics import as_int_array

MEM_MASK, MEM_ROWPTR, MEM_WEIGHT, MEM_AMASK, MEM_AVAL, MEM_BIAS, MEM_Y, MEM_STATS = range(8)
MEM_PLAN = 13          # per lane: split replica plan registers [base_0, base_1] (section 6)
PLAN_BITS = 16
PLAN_DEPTH = 2

PathLike = Union[str, Path]


# -- bit packing helpers ------------------------------------------------------------------------

def popcount(a: np.ndarray) -> np.ndarray:
    return np.bitwise_count(np.asarray(a, dtype=np.uint64)).astype(np.int64)


def pack_words(bits: np.ndarray, B: int) -> np.ndarray:
    """(..., K*B) bools -> (..., K) uint32 words; bit b of word k is element k*B + b."""
    shaped = bits.reshape(*bits.shape[:-1], bits.shape[-1] // B, B).astype(np.uint64)
    weights = np.uint64(1) << np.arange(B, dtype=np.uint64)
    return (shaped * weights).sum(axis=-1).astype(np.uint32)


def unpack_words(words: np.ndarray, B: int) -> np.ndarray:
    """(..., K) words -> (..., K*B) bools (inverse of pack_words)."""
    w = np.asarray(words, dtype=np.uint64)
    bits = (w[..., None] >> np.arange(B, dtype=np.uint64)) & np.uint64(1)
    return bits.reshape(*w.shape[:-1], w.shape[-1] * B).astype(bool)


def _split_partitions(a: np.ndarray, hw: HwConfig, N: int) -> np.ndarray:
    """(..., N) -> (..., V, K*B): contiguous partitions of width P, zero padded to whole words."""
    P, K = partition_width(hw, N), words_per_row(hw, N)
    padded = np.zeros(a.shape[:-1] + (hw.V * P,), dtype=a.dtype)
    padded[..., :N] = a
    parts = padded.reshape(*a.shape[:-1], hw.V, P)
    out = np.zeros(a.shape[:-1] + (hw.V, K * hw.B), dtype=a.dtype)
    out[..., :P] = parts
    return out


def _readonly(a: np.ndarray) -> np.ndarray:
    # Images are shared between PEs of a column; freezing them stops aliasing surprises.
    a.flags.writeable = False
    return a


def _filled_segments(hw: HwConfig, mode: StealMode, v: int) -> list[tuple[int, int]]:
    """(seg, partition) of the activation RF segments written for column v."""
    segs = [(0, v)]
    if mode == StealMode.VERTICAL:
        segs += [(1, v - 1)] if v > 0 else []
        segs += [(2, v + 1)] if v + 1 < hw.V else []
    return segs


# -- activations --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActivationImage:
    """Encoded activation vector: per-partition masks/values and the per-PE RF images."""

    hw: HwConfig
    N: int
    mode: StealMode
    words: np.ndarray                 # (V, K) uint32 mask words per partition
    values: tuple[np.ndarray, ...]    # per partition: packed non-zeros (int16), column order
    amask: dict[tuple[int, int], np.ndarray]   # (g, v) -> uint32[3*KW_MAX]
    aval: dict[tuple[int, int], np.ndarray]    # (g, v) -> int16[3*P_MAX]

    def filled_segments(self, v: int) -> list[tuple[int, int]]:
        """(seg, partition) pairs written for column v (contract section 3)."""
        return _filled_segments(self.hw, self.mode, v)

    def nnz(self) -> int:
        return sum(len(vals) for vals in self.values)


def encode_activations(x: np.ndarray, hw: HwConfig, N: int,
                       mode: StealMode = StealMode.NONE) -> ActivationImage:
    """Mask words + packed non-zeros per partition, laid out in every PE's register file."""
    xi = as_int_array("x", x, 16, 1)
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
        raise SpecError(f"N={N!r} must be an int >= 1")
    if xi.shape != (N,):
        raise SpecError(f"x has shape {xi.shape}, expected ({N},) for N={N}")
    if N > hw.N_MAX:
        raise SpecError(f"N={N} exceeds N_MAX={hw.N_MAX} (over by {N - hw.N_MAX})")
    mode = StealMode(int(mode))
    parts = _split_partitions(xi, hw, N)                     # (V, K*B)
    words = _readonly(pack_words(parts != 0, hw.B))          # (V, K)
    values = tuple(_readonly(p[p != 0].astype(np.int16)) for p in parts)
    K = words.shape[1]
    column_images = []
    for v in range(hw.V):
        amask = np.zeros(hw.AMASK_DEPTH, dtype=np.uint32)
        aval = np.zeros(hw.AVAL_DEPTH, dtype=np.int16)
        for seg, u in _filled_segments(hw, mode, v):
            amask[seg * hw.KW_MAX: seg * hw.KW_MAX + K] = words[u]
            aval[seg * hw.P_MAX: seg * hw.P_MAX + len(values[u])] = values[u]
        column_images.append((_readonly(amask), _readonly(aval)))
    amask_d = {(g, v): column_images[v][0] for g, v in hw.pes()}
    aval_d = {(g, v): column_images[v][1] for g, v in hw.pes()}
    return ActivationImage(hw, N, mode, words, values, amask_d, aval_d)


def _partition_holders(hw: HwConfig, mode: StealMode, u: int) -> list[tuple[int, int]]:
    """(column, seg) of every activation RF segment that holds partition u."""
    return [(v, seg) for v in range(hw.V) for seg, part in _filled_segments(hw, mode, v)
            if part == u]


EncoderWrite = tuple[str, int, int, int]        # (kind "amask" / "aval", column, address, value)


def encoder_write_cycles(x: np.ndarray, hw: HwConfig, N: int,
                         mode: StealMode = StealMode.NONE,
                         wide: bool = False) -> list[list[EncoderWrite]]:
    """The activation-RF writes of the streaming encoder (docs/gru-datapath.md section 3), one
    list per write cycle: entry ``c < N`` holds the writes element ``c`` causes (in the cycle after
    it is fed), entries ``N ..`` the trailing zero mask words of the last partition's remaining
    words and of every later partition.  With ``wide`` (word mode, CFG_FEAT.WIDE_ENC) an entry
    holds a whole mask word's writes (its mask word and its values), one per word that holds
    elements, then the same trailing words.  Each write goes to every PE of its column.  Applied
    in order, they leave exactly ``encode_activations`` in the words a product reads; words past
    a partition's end keep what they held (the encoder does not clear them)."""
    xs = np.asarray(x, dtype=np.int64)
    P, K, B = partition_width(hw, N), words_per_row(hw, N), hw.B
    mode = StealMode(int(mode))
    cycles: list[list[EncoderWrite]] = []
    if wide:
        per_element = encoder_write_cycles(xs, hw, N, mode)
        # the element cycles of one word, merged in order; a word ends at its mask write
        merged: list[EncoderWrite] = []
        for writes in per_element[:N]:
            merged += writes
            if any(w[0] == "amask" for w in writes):
                cycles.append(merged)
                merged = []
        return cycles + per_element[N:]
    j = word = 0
    for c in range(N):
        u, o = divmod(c, P)
        k, b = divmod(o, B)
        j = 0 if o == 0 else j                  # packed value index within the partition
        word = 0 if b == 0 else word
        writes: list[EncoderWrite] = []
        if xs[c] != 0:
            word |= 1 << b
            writes += [("aval", v, seg * hw.P_MAX + j, int(xs[c]))
                       for v, seg in _partition_holders(hw, mode, u)]
            j += 1
        if b == B - 1 or o == P - 1 or c == N - 1:
            writes += [("amask", v, seg * hw.KW_MAX + k, word)
                       for v, seg in _partition_holders(hw, mode, u)]
        cycles.append(writes)
    u_last, o_last = divmod(N - 1, P)
    pads = [(u_last, k) for k in range(o_last // B + 1, K)] + \
           [(u, k) for u in range(u_last + 1, hw.V) for k in range(K)]
    for u, k in pads:
        cycles.append([("amask", v, seg * hw.KW_MAX + k, 0)
                       for v, seg in _partition_holders(hw, mode, u)])
    return cycles


# -- weight images ------------------------------------------------------------------------------

@dataclass(frozen=True)
class SlotInfo:
    """One row slot with its cost (what the perf model and coverage need)."""

    ref: SlotRef
    rowptr: int
    nnz: int              # weight non-zeros of the row over the partition
    ops: int              # effective operations (popcount of Mw & Ma summed over words)
    ag_cycles: int        # sum_k max(1, e_k): address-generator cycles (contract section 5)
    word_ops: tuple[int, ...]


@dataclass
class MatvecImage:
    hw: HwConfig
    layer: LayerConfig
    mask: dict[Lane, np.ndarray]       # (h, v) -> uint32, S*K used entries
    rowptr: dict[Lane, np.ndarray]     # (h, v) -> int64, S used entries (16-bit values)
    weight: dict[Lane, np.ndarray]     # (h, v) -> int8, packed non-zeros
    amask: dict[tuple[int, int], np.ndarray]   # (g, v) -> uint32[3*KW_MAX]
    aval: dict[tuple[int, int], np.ndarray]    # (g, v) -> int16[3*P_MAX]
    bias: np.ndarray                   # int16[M]
    acts: Optional[ActivationImage] = field(default=None, repr=False)
    # Split replica ranges (CFG_FEAT.SPLIT): per-lane plan registers [base_0, base_1], (H*V, 2);
    # None = the v1 shared layout (rep_rows).
    plan: Optional[np.ndarray] = None

    # -- layout -------------------------------------------------------------------------------
    @property
    def K(self) -> int:
        return words_per_row(self.hw, self.layer.N)

    @property
    def P(self) -> int:
        return partition_width(self.hw, self.layer.N)

    def layout(self, h: int, v: int) -> list[SlotRef]:
        if self.plan is not None:
            return split_slot_layout(self.hw, self.layer, h, v, self.plan)
        return slot_layout(self.hw, self.layer, h, v)

    def act_words(self, h: int, v: int, seg: int) -> np.ndarray:
        """The K activation mask words lane (h, v) reads for segment ``seg``."""
        base = seg * self.hw.KW_MAX
        return self.amask[self.hw.pe_of_lane(h, v)][base: base + self.K]

    def effective_counts(self) -> dict[Lane, np.ndarray]:
        """(h, v) -> int64[S, K]: e_k = popcount(Mw[k] & Ma[k]) of every slot and word."""
        out = {}
        for h, v in self.hw.lanes():
            refs = self.layout(h, v)
            mw = self.mask[(h, v)].reshape(len(refs), self.K)
            ma = np.array([self.act_words(h, v, r.seg) for r in refs],
                          dtype=np.uint32).reshape(len(refs), self.K)
            out[(h, v)] = popcount(mw & ma)
        return out

    def slot_table(self) -> list[SlotInfo]:
        """Every slot of every lane (lane order, then slot order) with its work."""
        table = []
        eff = self.effective_counts()
        for h, v in self.hw.lanes():
            refs = self.layout(h, v)
            nnz = popcount(self.mask[(h, v)].reshape(len(refs), self.K)).sum(axis=1)
            for ref in refs:
                e = eff[(h, v)][ref.slot]
                table.append(SlotInfo(ref, int(self.rowptr[(h, v)][ref.slot]),
                                      int(nnz[ref.slot]), int(e.sum()),
                                      int(np.maximum(e, 1).sum()), tuple(int(c) for c in e)))
        return table

    # -- exports ------------------------------------------------------------------------------
    def _memories(self) -> Iterator[tuple[str, np.ndarray, int, int]]:
        """(file stem, contents, width bits, depth) of every memory in the design."""
        hw = self.hw
        for h, v in hw.lanes():
            yield f"mask_{h}_{v}", self.mask[(h, v)], hw.B, hw.MDEPTH
            yield f"rowptr_{h}_{v}", self.rowptr[(h, v)], ROWPTR_BITS, hw.SLOTS
            yield f"weight_{h}_{v}", self.weight[(h, v)], WEIGHT_BITS, hw.WDEPTH
            if self.plan is not None:
                yield (f"plan_{h}_{v}", self.plan[hw.lane_index(h, v)], PLAN_BITS,
                       PLAN_DEPTH)
        for g, v in hw.pes():
            yield f"amask_{g}_{v}", self.amask[(g, v)], hw.B, hw.AMASK_DEPTH
            yield f"aval_{g}_{v}", self.aval[(g, v)], ACT_BITS, hw.AVAL_DEPTH
        yield "bias", self.bias, BIAS_BITS, hw.M_MAX

    def write_hex(self, dirpath: PathLike, full_depth: bool = True) -> list[Path]:
        """Write the backdoor ``$readmemh`` files; returns the paths written.

        full_depth=True pads every file with zero words to the memory depth (no simulator
        warnings about short files, identical content to a cleared memory). With
        full_depth=False only the used words are written and empty memories get no file
        (the backdoor clears memories whose file is missing).
        """
        out_dir = Path(dirpath)
        out_dir.mkdir(parents=True, exist_ok=True)
        if self.plan is None:
            # a split image written here before must not leave its plan registers behind
            for stale in out_dir.glob("plan_*_*.hex"):
                stale.unlink()
        written = []
        for stem, data, width, depth in self._memories():
            if len(data) > depth:
                raise ImageError(f"{stem} has {len(data)} words, memory depth is {depth}")
            if not full_depth and len(data) == 0:
                continue
            words = to_unsigned(data, width)
            if full_depth:
                words = np.concatenate([words, np.zeros(depth - len(words), dtype=np.uint64)])
            path = out_dir / f"{stem}.hex"
            path.write_text(hex_lines(words, width))
            written.append(path)
        return written

    def images_for_frontdoor(self) -> Iterator[tuple[int, int, int, int]]:
        """(mem_sel, unit, addr, value) for every word the engine reads in this product.

        Values are unsigned at the memory width (two's complement), as on mem_wdata_i.
        Zero words that the engine reads (mask words, empty-row pointers, activation
        words of used segments) are included, so stale contents cannot leak in.
        """
        hw, K = self.hw, self.K
        for h, v in hw.lanes():
            unit = hw.lane_index(h, v)
            for sel, data, width in ((MEM_MASK, self.mask[(h, v)], hw.B),
                                     (MEM_ROWPTR, self.rowptr[(h, v)], ROWPTR_BITS),
                                     (MEM_WEIGHT, self.weight[(h, v)], WEIGHT_BITS)):
                for addr, value in enumerate(to_unsigned(data, width)):
                    yield sel, unit, addr, int(value)
            if self.plan is not None:
                for addr, value in enumerate(self.plan[unit]):
                    yield MEM_PLAN, unit, addr, int(value)
        for g, v in hw.pes():
            unit = hw.pe_index(g, v)
            amask = to_unsigned(self.amask[(g, v)], hw.B)
            aval = to_unsigned(self.aval[(g, v)], ACT_BITS)
            for seg, _u in _filled_segments(hw, self.layer.mode, v):
                seg_words = amask[seg * hw.KW_MAX: seg * hw.KW_MAX + K]
                for k, word in enumerate(seg_words):
                    yield MEM_AMASK, unit, seg * hw.KW_MAX + k, int(word)
                for j in range(int(popcount(seg_words).sum())):
                    addr = seg * hw.P_MAX + j
                    yield MEM_AVAL, unit, addr, int(aval[addr])
        for r, value in enumerate(to_unsigned(self.bias, BIAS_BITS)):
            yield MEM_BIAS, 0, r, int(value)

    def footprint_bits(self) -> dict[str, int]:
        """Storage of this product, counted from the images (see masr_footprint_bits)."""
        hw, K = self.hw, self.K
        fp = dict.fromkeys(("masks", "pointers", "values", "replicas", "activations"), 0)
        slot_bits = K * hw.B + ROWPTR_BITS
        for h, v in hw.lanes():
            refs = self.layout(h, v)
            n_own = sum(1 for r in refs if r.kind == "own")
            own_nnz = int(popcount(self.mask[(h, v)][: n_own * K]).sum())
            fp["masks"] += n_own * K * hw.B
            fp["pointers"] += n_own * ROWPTR_BITS
            fp["values"] += own_nnz * WEIGHT_BITS
            fp["replicas"] += ((len(refs) - n_own) * slot_bits
                               + (len(self.weight[(h, v)]) - own_nnz) * WEIGHT_BITS)
        for v in range(hw.V):
            amask = self.amask[(0, v)]
            for seg, _u in _filled_segments(hw, self.layer.mode, v):
                words = amask[seg * hw.KW_MAX: seg * hw.KW_MAX + K]
                bits = K * hw.B + int(popcount(words).sum()) * ACT_BITS
                fp["activations" if seg == 0 else "replicas"] += bits
        fp["total"] = sum(fp.values())
        return fp


def to_unsigned(data: np.ndarray, width: int) -> np.ndarray:
    """Two's complement of ``data`` at ``width`` bits, as uint64."""
    return (np.asarray(data).astype(np.int64) & ((1 << width) - 1)).astype(np.uint64)


def hex_lines(words: np.ndarray, width: int) -> str:
    digits = (width + 3) // 4
    return "".join(f"{int(w):0{digits}x}\n" for w in words)


def _validate_matvec_inputs(W: np.ndarray, x: np.ndarray, bias: np.ndarray,
                            layer: LayerConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    Wi = as_int_array("W", W, 8, 2)
    xi = as_int_array("x", x, 16, 1)
    bi = as_int_array("bias", bias, 16, 1)
    if Wi.shape != (layer.M, layer.N):
        raise SpecError(f"W has shape {Wi.shape}, layer says M={layer.M}, N={layer.N}")
    if xi.shape != (layer.N,):
        raise SpecError(f"x has shape {xi.shape}, expected ({layer.N},) for N={layer.N}")
    if bi.shape != (layer.M,):
        raise SpecError(f"bias has shape {bi.shape}, expected ({layer.M},) for M={layer.M}")
    return Wi, xi, bi


def split_plan(W: np.ndarray, hw: HwConfig, layer: LayerConfig, placement: str = "uniform",
               dup_budget: Optional[float] = None) -> np.ndarray:
    """Plan registers [base_0, base_1] per lane (H*V, 2) of the split replica ranges.

    placement "uniform" without a budget: min(R, rep_rows) rows per existing thief, dealt
    nearest (= next-side) range first (docs/perf-model.md R4, dup_budget None); "load" with a
    ``dup_budget`` (fraction of W's non-zeros): the encoder water-fills the budget onto the
    lanes with the most weights. Mode none: no ranges (base_0 = base_1 = R).
    """
    from golden.perf_v2 import PerfFeatures, plan_registers, plan_replicas

    Wi = as_int_array("W", W, 8, 2)
    if Wi.shape != (layer.M, layer.N):
        raise SpecError(f"W has shape {Wi.shape}, layer says M={layer.M}, N={layer.N}")
    feat = PerfFeatures(replicas="split", placement=placement, dup_budget=dup_budget)
    return plan_registers(plan_replicas(Wi != 0, hw, layer, feat), hw, layer)


def encode_matvec(W: np.ndarray, x: np.ndarray, bias: np.ndarray, hw: HwConfig,
                  layer: LayerConfig, plan: Optional[np.ndarray] = None) -> MatvecImage:
    """Encode y = W x + bias for ``hw`` running ``layer`` (contract section 3).

    ``plan``: per-lane plan registers of split replica ranges (``split_plan``); only with
    CFG_FEAT.SPLIT in ``layer.feat``, where None means the uniform plan of ``layer.rep_rows``.
    Without SPLIT: the v1 shared replica layout from ``layer.rep_rows``.
    """
    hw.check_rtl_limits()
    Wi, xi, bi = _validate_matvec_inputs(W, x, bias, layer)
    split = bool(layer.feat & FEAT_SPLIT)
    if plan is not None and not split:
        raise SpecError("a split replica plan needs CFG_FEAT.SPLIT in layer.feat")
    if split and plan is None:
        plan = split_plan(Wi, hw, layer)     # the uniform plan of rep_rows
    if plan is None:
        layer.check_fits(hw)
    else:
        layer.check_feat(hw)
        if layer.M > hw.M_MAX or layer.N > hw.N_MAX:
            layer.check_fits(hw)  # the dimension errors
        plan = np.array(plan, dtype=np.int64)
        check_split_plan(hw, layer, plan)
        plan = _readonly(plan)
    parts = _split_partitions(Wi, hw, layer.N)               # (M, V, K*B)
    words = pack_words(parts != 0, hw.B)                     # (M, V, K)
    nnz = (parts != 0).sum(axis=2)                           # (M, V)
    mask, rowptr, weight = {}, {}, {}
    for h, v in hw.lanes():
        refs = (slot_layout(hw, layer, h, v) if plan is None
                else split_slot_layout(hw, layer, h, v, plan))
        rows = np.array([r.row for r in refs], dtype=np.int64)
        cols = np.array([r.partition for r in refs], dtype=np.int64)
        counts = nnz[rows, cols]
        total = int(counts.sum())
        if total > hw.WDEPTH:
            raise SpecError(f"weight SRAM of lane ({h},{v}) needs {total} entries, WDEPTH is "
                            f"{hw.WDEPTH} (over by {total - hw.WDEPTH})")
        sub = parts[rows, cols]                              # (S, K*B), slot then column order
        mask[(h, v)] = _readonly(words[rows, cols].reshape(-1))
        rowptr[(h, v)] = _readonly(np.concatenate([[0], np.cumsum(counts)[:-1]])
                                   .astype(np.int64)[: len(refs)])
        weight[(h, v)] = _readonly(sub[sub != 0].astype(np.int8))
    acts = encode_activations(xi.astype(np.int16), hw, layer.N, layer.mode)
    return MatvecImage(hw, layer, mask, rowptr, weight, acts.amask, acts.aval,
                       _readonly(bi.astype(np.int16)), acts, plan)


# -- decode (round trip) ------------------------------------------------------------------------

def _decode_activations(image: MatvecImage) -> np.ndarray:
    hw, N, P, K = image.hw, image.layer.N, image.P, image.K
    parts = np.zeros((hw.V, K * hw.B), dtype=np.int64)
    for v in range(hw.V):
        ref_mask, ref_val = image.amask[(0, v)], image.aval[(0, v)]
        for g in range(1, hw.H // hw.G):
            if not (np.array_equal(image.amask[(g, v)], ref_mask)
                    and np.array_equal(image.aval[(g, v)], ref_val)):
                raise ImageError(f"activation RF of PE ({g},{v}) differs from PE (0,{v})")
        words = ref_mask[:K]
        bits = unpack_words(words, hw.B)
        n = int(bits.sum())
        vals = ref_val[:n].astype(np.int64)
        if np.any(vals == 0):
            raise ImageError(f"activation RF of column {v} holds a zero value under a set mask bit")
        parts[v, bits] = vals
    x_pad = parts[:, :P].reshape(-1)
    if np.any(x_pad[N:] != 0) or np.any(parts[:, P:] != 0):
        raise ImageError("activation mask has bits set past the end of its partition")
    # Neighbour segments (vertical mode) must mirror the neighbouring partitions exactly.
    for v in range(hw.V):
        for seg, u in _filled_segments(hw, image.layer.mode, v)[1:]:
            for src, depth, n in ((image.amask, hw.KW_MAX, K),
                                  (image.aval, hw.P_MAX, hw.P_MAX)):
                mine = src[(0, v)][seg * depth: seg * depth + n]
                theirs = src[(0, u)][:n]
                if not np.array_equal(mine, theirs):
                    raise ImageError(f"activation segment {seg} of column {v} differs from "
                                     f"partition {u}")
    return x_pad[:N]


def _decode_lane(image: MatvecImage, h: int, v: int) -> tuple[list[SlotRef], np.ndarray]:
    """Slot refs and dense (S, K*B) rows of lane (h, v), with structural checks."""
    hw, K = image.hw, image.K
    refs = image.layout(h, v)
    mask, rowptr, weight = image.mask[(h, v)], image.rowptr[(h, v)], image.weight[(h, v)]
    if len(mask) != len(refs) * K or len(rowptr) != len(refs):
        raise ImageError(f"lane ({h},{v}) has {len(mask)} mask words and {len(rowptr)} "
                         f"rowptrs, layout needs {len(refs) * K} and {len(refs)}")
    counts = popcount(mask.reshape(len(refs), K)).sum(axis=1)
    expect_ptr = np.concatenate([[0], np.cumsum(counts)[:-1]])[: len(refs)]
    if not np.array_equal(rowptr, expect_ptr):
        bad = int(np.flatnonzero(rowptr != expect_ptr)[0])
        raise ImageError(f"lane ({h},{v}) rowptr[{bad}]={int(rowptr[bad])}, packing says "
                         f"{int(expect_ptr[bad])}")
    if len(weight) != int(counts.sum()):
        raise ImageError(f"lane ({h},{v}) has {len(weight)} weights, masks have "
                         f"{int(counts.sum())} set bits")
    if np.any(weight == 0):
        raise ImageError(f"lane ({h},{v}) stores a zero weight under a set mask bit")
    bits = unpack_words(mask.reshape(len(refs), K), hw.B)
    dense = np.zeros(bits.shape, dtype=np.int64)
    dense[bits] = weight
    return refs, dense


def decode_matvec(image: MatvecImage) -> tuple[np.ndarray, np.ndarray]:
    """Rebuild (W int8, x int16) from the images alone; raise ImageError on any inconsistency."""
    hw, M, N, P = image.hw, image.layer.M, image.layer.N, image.P
    parts = np.zeros((M, hw.V, image.K * hw.B), dtype=np.int64)
    lanes = {lane: _decode_lane(image, *lane) for lane in hw.lanes()}
    for (h, v), (refs, dense) in lanes.items():
        for ref in refs:
            if ref.kind == "own":
                parts[ref.row, v] = dense[ref.slot]
    for (h, v), (refs, dense) in lanes.items():
        for ref in refs:
            victim_row = parts[ref.row, ref.partition]
            if ref.kind != "own" and not np.array_equal(dense[ref.slot], victim_row):
                raise ImageError(f"lane ({h},{v}) slot {ref.slot} (replica of lane "
                                 f"{ref.victim} row {ref.row}) differs from the victim's row")
    W = parts[:, :, :P].reshape(M, -1)
    if np.any(W[:, N:] != 0) or np.any(parts[:, :, P:] != 0):
        raise ImageError("weight mask has bits set past the end of its partition")
    return W[:, :N].astype(np.int8), _decode_activations(image).astype(np.int16)


# -- footprint without building images (perf model / EIE comparison scale) ----------------------

def masr_footprint_bits(W: np.ndarray, x: np.ndarray, hw: HwConfig,
                        layer: LayerConfig) -> dict[str, int]:
    """Same accounting as MatvecImage.footprint_bits, computed from counts; no capacity checks.

    masks/pointers/values: own rows (K*B mask bits, one 16-bit pointer per row and partition,
    8 bits per non-zero). replicas: replica slots (mask + pointer + values) plus, in vertical
    mode, the duplicated activation segments. activations: one compressed copy of x
    (mask words + 16 bits per non-zero per partition).
    """
    Wi = as_int_array("W", W, 8, 2)
    xi = as_int_array("x", x, 16, 1)
    M, N = Wi.shape
    if (M, N) != (layer.M, layer.N) or xi.shape != (N,):
        raise SpecError(f"W {Wi.shape} / x {xi.shape} do not match M={layer.M}, N={layer.N}")
    K = words_per_row(hw, N)
    nnz = (_split_partitions(Wi, hw, N) != 0).sum(axis=2)       # (M, V)
    a_nnz = (_split_partitions(xi, hw, N) != 0).sum(axis=1)     # (V,)
    fp = {
        "masks": M * hw.V * K * hw.B,
        "pointers": M * hw.V * ROWPTR_BITS,
        "values": int(nnz.sum()) * WEIGHT_BITS,
        "replicas": 0,
        "activations": hw.V * K * hw.B + int(a_nnz.sum()) * ACT_BITS,
    }
    if layer.mode != StealMode.NONE and layer.rep_rows > 0:
        for h, v in hw.lanes():
            for ref in slot_layout(hw, layer, h, v):
                if ref.kind != "own":
                    fp["replicas"] += (K * hw.B + ROWPTR_BITS
                                       + int(nnz[ref.row, ref.partition]) * WEIGHT_BITS)
    if layer.mode == StealMode.VERTICAL:
        for v in range(hw.V):
            for _seg, u in _filled_segments(hw, layer.mode, v)[1:]:
                fp["replicas"] += K * hw.B + int(a_nnz[u]) * ACT_BITS
    fp["total"] = sum(fp.values())
    return fp


# -- random workloads -----------------------------------------------------------------------------

def _check_fraction(name: str, value: float) -> float:
    if not 0.0 <= float(value) <= 1.0:
        raise SpecError(f"{name}={value} must be in [0, 1]")
    return float(value)


def _check_range(name: str, value: int, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise SpecError(f"{name}={value!r} must be an int in [{lo}, {hi}]")
    return int(value)


def _nonzero_values(rng: np.random.Generator, n: int, vmax: int) -> np.ndarray:
    magnitude = rng.integers(1, vmax + 1, size=n)
    return np.where(rng.random(n) < 0.5, -magnitude, magnitude)


def row_nnz_targets(rng: np.random.Generator, M: int, N: int, w_density: float,
                    skew: float, heavy_factor: float) -> np.ndarray:
    """Non-zeros per row: a random ``skew`` fraction of heavy rows at heavy_factor x the mean.

    Light rows are thinned so the mean density stays ``w_density`` where possible
    (impossible when skew * heavy_factor > 1 or heavy rows would exceed N).
    """
    n_heavy = int(round(skew * M))
    mean_nnz = w_density * N
    heavy_nnz = min(N, int(np.ceil(heavy_factor * mean_nnz - 1e-9))) if n_heavy else 0
    light_target = np.clip((mean_nnz * M - n_heavy * heavy_nnz) / max(1, M - n_heavy), 0, N)
    # Randomized rounding keeps the light-row mean at the real-valued target.
    counts = np.minimum(np.floor(light_target + rng.random(M)), N).astype(np.int64)
    if n_heavy:
        counts[rng.permutation(M)[:n_heavy]] = heavy_nnz
    return counts


def random_sparse_layer(rng: np.random.Generator, M: int, N: int, w_density: float,
                        a_density: float, skew: float = 0.0, heavy_factor: float = 1.5,
                        w_max: int = 127, a_max: int = 1024, bias_max: int = 1024,
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random (W int8 (M,N), x int16 (N,), bias int16 (M,)) with exact per-row non-zero counts.

    ``skew`` is the fraction of rows with heavy_factor (>= 1.5 by default) times the mean
    number of non-zeros; all randomness comes from ``rng``.
    """
    _check_range("M", M, 1, 1 << 20)
    _check_range("N", N, 1, 1 << 20)
    w_density = _check_fraction("w_density", w_density)
    a_density = _check_fraction("a_density", a_density)
    skew = _check_fraction("skew", skew)
    if not heavy_factor >= 1.0:
        raise SpecError(f"heavy_factor={heavy_factor} must be >= 1")
    _check_range("w_max", w_max, 1, 127)
    _check_range("a_max", a_max, 1, 32767)
    _check_range("bias_max", bias_max, 0, 32767)
    counts = row_nnz_targets(rng, M, N, w_density, skew, heavy_factor)
    keys = rng.random((M, N))
    # Row r keeps its counts[r] smallest keys: exact counts, uniformly random positions.
    kth = np.sort(keys, axis=1)[np.arange(M), np.maximum(counts - 1, 0)]
    wmask = (keys <= kth[:, None]) & (counts[:, None] > 0)
    W = np.zeros((M, N), dtype=np.int64)
    W[wmask] = _nonzero_values(rng, int(wmask.sum()), w_max)
    x = np.zeros(N, dtype=np.int64)
    a_pos = rng.permutation(N)[: int(round(a_density * N))]
    x[a_pos] = _nonzero_values(rng, len(a_pos), a_max)
    bias = rng.integers(-bias_max, bias_max + 1, size=M)
    return W.astype(np.int8), x.astype(np.int16), bias.astype(np.int16)
