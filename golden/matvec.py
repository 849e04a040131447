"""Matrix-vector references: dense bit-exact, image-driven (models the RTL), and float."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

from golden.config import Lane
from golden.encode import MatvecImage, popcount, unpack_words
from golden.errors import ImageError, SpecError
from golden.numerics import as_int_array, check_shift, requant, wrap32


def matvec_q(W: np.ndarray, x: np.ndarray, bias: np.ndarray, shift: int) -> np.ndarray:
    """Bit-exact y = requant(W x, bias, S) with a wrapping 32-bit accumulator (contract s.2)."""
    Wi = as_int_array("W", W, 8, 2)
    xi = as_int_array("x", x, 16, 1)
    bi = as_int_array("bias", bias, 16, 1)
    M, N = Wi.shape
    if xi.shape != (N,):
        raise SpecError(f"x has shape {xi.shape}, expected ({N},) to match W {Wi.shape}")
    if bi.shape != (M,):
        raise SpecError(f"bias has shape {bi.shape}, expected ({M},) to match W {Wi.shape}")
    # int64 sums are exact (|w*a| < 2^22, N < 2^41); wrapping once at the end equals wrapping
    # after every addition because both are arithmetic modulo 2^32.
    return requant(wrap32(Wi @ xi), bi, check_shift(shift))


def matvec_float(Wf: np.ndarray, xf: np.ndarray, bf: np.ndarray) -> np.ndarray:
    """Dense float64 reference y = W x + b."""
    return (np.asarray(Wf, dtype=np.float64) @ np.asarray(xf, dtype=np.float64)
            + np.asarray(bf, dtype=np.float64))


# -- the prefix-sum address unit, one op at a time (contract section 4) -----------------------

@dataclass(frozen=True)
class Op:
    k: int        # mask word
    b: int        # bit within the word
    w_addr: int   # weight SRAM address
    a_addr: int   # activation value RF address


def lane_ops(image: MatvecImage, h: int, v: int, slot: int) -> Iterator[Op]:
    """Ops lane (h, v) issues for ``slot``, in issue order; plain-int model of the hardware."""
    hw, K = image.hw, image.K
    ref = image.layout(h, v)[slot]
    ma_words = image.act_words(h, v, ref.seg)
    pw = int(image.rowptr[(h, v)][slot])
    pa = ref.seg * hw.P_MAX
    for k in range(K):
        mw = int(image.mask[(h, v)][slot * K + k])
        ma = int(ma_words[k])
        e = mw & ma
        for b in range(hw.B):
            if (e >> b) & 1:
                below = (1 << b) - 1
                yield Op(k, b, pw + bin(mw & below).count("1"), pa + bin(ma & below).count("1"))
        pw += bin(mw).count("1")
        pa += bin(ma).count("1")


def lane_addresses(image: MatvecImage, h: int, v: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(slot, w_addr, a_addr) of every op of lane (h, v), in issue order (vectorized s.4)."""
    hw, K = image.hw, image.K
    refs = image.layout(h, v)
    S = len(refs)
    mw = image.mask[(h, v)].reshape(S, K)
    ma = np.array([image.act_words(h, v, r.seg) for r in refs], dtype=np.uint32).reshape(S, K)
    segs = np.array([r.seg for r in refs], dtype=np.int64)
    pw = image.rowptr[(h, v)][:, None] + _exclusive_cumsum(popcount(mw), axis=1)
    pa = (segs * hw.P_MAX)[:, None] + _exclusive_cumsum(popcount(ma), axis=1)
    bits_w = unpack_words(mw, hw.B).reshape(S, K, hw.B)
    bits_a = unpack_words(ma, hw.B).reshape(S, K, hw.B)
    eff = bits_w & bits_a
    w_addr = pw[..., None] + _exclusive_cumsum(bits_w.astype(np.int64), axis=2)
    a_addr = pa[..., None] + _exclusive_cumsum(bits_a.astype(np.int64), axis=2)
    slot_idx = np.broadcast_to(np.arange(S)[:, None, None], eff.shape)
    return slot_idx[eff], w_addr[eff], a_addr[eff]


def _exclusive_cumsum(a: np.ndarray, axis: int) -> np.ndarray:
    return np.cumsum(a, axis=axis) - a


def lane_partials(image: MatvecImage, h: int, v: int) -> np.ndarray:
    """Partial sum (int64, unwrapped) of every slot of lane (h, v), from the images only."""
    hw = image.hw
    slot_idx, w_addr, a_addr = lane_addresses(image, h, v)
    if w_addr.size and int(w_addr.max()) >= hw.WDEPTH:
        raise ImageError(f"lane ({h},{v}) computes weight address {int(w_addr.max())} >= "
                         f"WDEPTH={hw.WDEPTH} (ERR_WPTR)")
    if a_addr.size and int(a_addr.max()) >= hw.AVAL_DEPTH:
        raise ImageError(f"lane ({h},{v}) computes activation address {int(a_addr.max())} >= "
                         f"{hw.AVAL_DEPTH}")
    # Memories hold zeros past the loaded words, exactly like a cleared SRAM.
    wmem = np.zeros(hw.WDEPTH, dtype=np.int64)
    wmem[: len(image.weight[(h, v)])] = image.weight[(h, v)]
    amem = image.aval[hw.pe_of_lane(h, v)].astype(np.int64)
    products = wmem[w_addr] * amem[a_addr]
    return _sum_by_slot(slot_idx, products, len(image.layout(h, v)))


def _sum_by_slot(slot_idx: np.ndarray, values: np.ndarray, n_slots: int) -> np.ndarray:
    out = np.zeros(n_slots, dtype=np.int64)
    np.add.at(out, slot_idx, values)
    return out


def lane_accumulators(image: MatvecImage, check_replicas: bool = True) -> dict[Lane, np.ndarray]:
    """(h, v) -> int64[R] accumulator file after the product (wrapped to 32 bits).

    With check_replicas, every replica slot's partial sum must equal the victim's own partial
    for that row: then any steal schedule leaves the accumulators unchanged.
    """
    partials = {lane: lane_partials(image, *lane) for lane in image.hw.lanes()}
    acc = {}
    for (h, v), part in partials.items():
        refs = image.layout(h, v)
        n_own = sum(1 for r in refs if r.kind == "own")
        acc[(h, v)] = wrap32(part[:n_own])
        if not check_replicas:
            continue
        for ref in refs[n_own:]:
            victim_part = partials[ref.victim][ref.local_row]
            if part[ref.slot] != victim_part:
                raise ImageError(f"lane ({h},{v}) slot {ref.slot}: replica of row {ref.row} "
                                 f"sums to {int(part[ref.slot])}, victim {ref.victim} to "
                                 f"{int(victim_part)}")
    return acc


def matvec_from_image(image: MatvecImage, check_replicas: bool = True) -> np.ndarray:
    """y computed only from the memory images, as the RTL does (contract sections 4 and 5)."""
    hw, M = image.hw, image.layer.M
    acc = lane_accumulators(image, check_replicas)
    total = np.zeros(M, dtype=np.int64)
    for (h, v), a in acc.items():
        total[h::hw.H][: len(a)] += a
    return requant(wrap32(total), image.bias.astype(np.int64), image.layer.shift)
