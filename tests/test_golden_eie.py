"""golden.eie: CSC encoding with padding entries, round trip, footprint trend vs MASR."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from golden.config import BRINGUP_4X2, LayerConfig
from golden.eie import (
    compare_footprints, csc_footprint_bits, decode_csc, encode_csc, grid_for_macs,
)
from golden.encode import decode_matvec, encode_matvec, random_sparse_layer
from golden.errors import ImageError, SpecError


def column(values_at: dict, length: int) -> np.ndarray:
    W = np.zeros((length, 1), dtype=np.int8)
    for row, value in values_at.items():
        W[row, 0] = value
    return W


def test_eie_paper_example():
    # [0, 0, 1, 2, 0 x 18, 3]: v = [1, 2, 0, 3], z = [2, 0, 15, 2] (Han et al., fig. 3)
    img = encode_csc(column({2: 1, 3: 2, 22: 3}, 24), n_pe=1)
    pe = img.pes[0]
    assert pe.values.tolist() == [1, 2, 0, 3] and pe.rel_index.tolist() == [2, 0, 15, 2]
    assert pe.colptr.tolist() == [0, 4] and img.n_padding() == 1


@pytest.mark.parametrize("zeros, expected_values, expected_index", [
    (15, [5], [15]),                  # fits the 4-bit index: no padding
    (16, [0, 5], [15, 0]),            # one padding entry covers 16 positions
    (31, [0, 5], [15, 15]),
    (32, [0, 0, 5], [15, 15, 0]),
])
def test_padding_after_runs_of_zeros(zeros, expected_values, expected_index):
    img = encode_csc(column({zeros: 5}, zeros + 40), n_pe=1)   # long trailing run: no padding
    assert img.pes[0].values.tolist() == expected_values
    assert img.pes[0].rel_index.tolist() == expected_index
    assert np.array_equal(decode_csc(img), column({zeros: 5}, zeros + 40))


def test_narrow_index_pads_sooner():
    img = encode_csc(column({5: 1}, 8), n_pe=1, index_bits=2)
    assert img.pes[0].values.tolist() == [0, 1] and img.pes[0].rel_index.tolist() == [3, 1]


def test_rows_interleave_over_pes():
    W = np.zeros((6, 2), dtype=np.int8)
    W[4, 1] = 7                        # PE 4 % 3 = 1, local row 1
    img = encode_csc(W, n_pe=3)
    assert img.pes[1].values.tolist() == [7] and img.pes[1].rel_index.tolist() == [1]
    assert img.pes[1].colptr.tolist() == [0, 0, 1]
    assert img.pes[0].n_entries == img.pes[2].n_entries == 0


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 70), st.integers(1, 40), st.integers(1, 12),
       st.floats(0.0, 1.0), st.integers(0, 2**32 - 1), st.sampled_from([2, 3, 4]))
def test_csc_round_trip_and_footprint(M, N, n_pe, density, seed, index_bits):
    W, x, _ = random_sparse_layer(np.random.default_rng(seed), M, N, density, 0.5)
    img = encode_csc(W, n_pe, index_bits=index_bits)
    assert np.array_equal(decode_csc(img), W)
    fp = img.footprint_bits()
    assert fp == csc_footprint_bits(W, n_pe, index_bits=index_bits)
    assert fp["values"] == img.n_entries() * 8 and fp["indices"] == img.n_entries() * index_bits
    assert fp["pointers"] == n_pe * (N + 1) * 16 and fp["activations"] == N * 16
    assert img.n_entries() - img.n_padding() == int((W != 0).sum())
    assert all((pe.rel_index < 2**index_bits).all() for pe in img.pes)


def test_csc_and_masr_decode_to_the_same_matrix():
    W, x, b = random_sparse_layer(np.random.default_rng(1), 37, 50, 0.15, 0.4)
    masr = encode_matvec(W, x, b, BRINGUP_4X2, LayerConfig(37, 50))
    assert np.array_equal(decode_csc(encode_csc(W, n_pe=8)), decode_matvec(masr)[0])


def test_footprint_trend_mask_flat_pointers_grow():
    W, x, _ = random_sparse_layer(np.random.default_rng(0), 512, 512, 0.1, 0.5)
    points = compare_footprints(W, x, (32, 64, 128, 256, 512))
    assert [p.grid for p in points] == ["8x4", "8x8", "16x8", "16x16", "32x16"]
    csc_ptr = [p.csc["pointers"] for p in points]
    masr_total = [p.masr["total"] for p in points]
    csc_total = [p.csc["total"] for p in points]
    assert all(a < b for a, b in zip(csc_ptr, csc_ptr[1:]))       # grows with every PE
    assert max(masr_total) / min(masr_total) < 1.25                # flat within 25 %
    assert csc_total[-1] / csc_total[0] > 3.0
    assert masr_total[-1] < csc_total[-1]
    # MASR's masks and values do not depend on the MAC count at all.
    assert len({p.masr["values"] for p in points}) == 1


def test_grid_for_macs():
    assert [grid_for_macs(n) for n in (1, 2, 32, 1024)] == [(1, 1), (2, 1), (8, 4), (32, 32)]
    with pytest.raises(SpecError, match=r"n_macs=48 must be a power of two"):
        grid_for_macs(48)


def test_csc_errors():
    with pytest.raises(SpecError, match=r"n_pe=0 must be an int >= 1"):
        encode_csc(np.zeros((2, 2), np.int8), 0)
    with pytest.raises(SpecError, match=r"W must have an integer dtype"):
        encode_csc(np.zeros((2, 2)), 1)
    with pytest.raises(SpecError, match=r"index_bits=0 must be in 1\.\.16"):
        encode_csc(np.zeros((2, 2), np.int8), 1, index_bits=0)
    with pytest.raises(SpecError, match=r"more than 4-bit column pointers can address"):
        encode_csc(np.ones((20, 1), np.int8), 1, ptr_bits=4)


def test_decode_rejects_malformed_images():
    img = encode_csc(column({3: 1, 9: 2}, 12), n_pe=1)
    pe = img.pes[0]
    bad_ptr = type(pe)(pe.values, pe.rel_index, np.array([0, 5]))
    with pytest.raises(ImageError, match=r"PE 0 has malformed column pointers"):
        decode_csc(type(img)(**{**img.__dict__, "pes": (bad_ptr,)}))
    bad_idx = type(pe)(pe.values, np.array([3, 40]), pe.colptr)
    with pytest.raises(ImageError, match=r"relative index outside 4 bits"):
        decode_csc(type(img)(**{**img.__dict__, "pes": (bad_idx,)}))
    far = type(pe)(pe.values, np.array([3, 15]), pe.colptr)
    with pytest.raises(ImageError, match=r"addresses local row 19 >= 12"):
        decode_csc(type(img)(**{**img.__dict__, "pes": (far,)}))
