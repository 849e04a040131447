"""golden.encode: layouts against a literal reading of the contract, round trips, corners."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from golden.config import BRINGUP_4X2, REGRESSION_8X8, HwConfig, LayerConfig, StealMode
from golden.encode import (
    MEM_AMASK, MEM_AVAL, MEM_BIAS, MEM_MASK, MEM_ROWPTR, MEM_WEIGHT, MatvecImage,
    decode_matvec, encode_activations, encode_matvec, masr_footprint_bits, random_sparse_layer,
)
from golden.errors import ImageError, SpecError
from golden.matvec import matvec_from_image, matvec_q

ODD_CONFIGS = [
    HwConfig(1, 1, B=8, G=1, M_MAX=24, N_MAX=40, SLOTS=40, WDEPTH=1024),
    HwConfig(2, 4, B=32, G=1, M_MAX=40, N_MAX=70, SLOTS=40, WDEPTH=1024),
    HwConfig(4, 4, B=8, G=4, M_MAX=30, N_MAX=50, SLOTS=24, WDEPTH=256),
]
ALL_CONFIGS = [BRINGUP_4X2, REGRESSION_8X8, *ODD_CONFIGS]


# -- a literal, loop-based reading of contract section 3 (independent of the encoder) ----------

def naive_lane(W, hw, layer, h, v):
    M, N = W.shape
    P = -(-N // hw.V)
    K = -(-P // hw.B)

    def R(hh):
        return -(-(M - hh) // hw.H) if hh < M else 0

    def Q(hh):
        return min(R(hh), layer.rep_rows)

    slots = [(i * hw.H + h, v) for i in range(R(h))]
    if layer.mode == StealMode.VERTICAL:
        sides = [(h, v - 1) if v > 0 else None, (h, v + 1) if v + 1 < hw.V else None]
    elif layer.mode == StealMode.HORIZONTAL:
        sides = [(h - 1, v) if h > 0 else None, (h + 1, v) if h + 1 < hw.H else None]
    else:
        sides = [None, None]
    for side in sides:
        if side is not None:
            vh, vv = side
            slots += [(i * hw.H + vh, vv) for i in range(R(vh) - Q(vh), R(vh))]
    mask, rowptr, weight = [], [], []
    for r, u in slots:
        rowptr.append(len(weight))
        for k in range(K):
            word = 0
            for b in range(hw.B):
                c = u * P + k * hw.B + b
                if c < min(N, (u + 1) * P) and W[r, c] != 0:
                    word |= 1 << b
                    weight.append(int(W[r, c]))
            mask.append(word)
    return mask, rowptr, weight


def naive_partition(x, hw, v):
    N = len(x)
    P = -(-N // hw.V)
    K = -(-P // hw.B)
    words, vals = [], []
    for k in range(K):
        word = 0
        for b in range(hw.B):
            c = v * P + k * hw.B + b
            if c < min(N, (v + 1) * P) and x[c] != 0:
                word |= 1 << b
                vals.append(int(x[c]))
        words.append(word)
    return words, vals


def assert_matches_contract(img, W, x, bias):
    hw, layer = img.hw, img.layer
    for h, v in hw.lanes():
        mask, rowptr, weight = naive_lane(W, hw, layer, h, v)
        assert img.mask[(h, v)].tolist() == mask
        assert img.rowptr[(h, v)].tolist() == rowptr
        assert img.weight[(h, v)].tolist() == weight
    for g, v in hw.pes():
        amask = [0] * (3 * hw.KW_MAX)
        aval = [0] * (3 * hw.P_MAX)
        segs = [(0, v)]
        if layer.mode == StealMode.VERTICAL:
            segs += [(1, v - 1)] if v > 0 else []
            segs += [(2, v + 1)] if v + 1 < hw.V else []
        for seg, u in segs:
            words, vals = naive_partition(x, hw, u)
            amask[seg * hw.KW_MAX: seg * hw.KW_MAX + len(words)] = words
            aval[seg * hw.P_MAX: seg * hw.P_MAX + len(vals)] = vals
        assert img.amask[(g, v)].tolist() == amask
        assert img.aval[(g, v)].tolist() == aval
    assert img.bias.tolist() == bias.tolist()


@st.composite
def layer_cases(draw, configs=tuple(ALL_CONFIGS)):
    hw = draw(st.sampled_from(configs))
    M = draw(st.integers(1, hw.M_MAX))
    N = draw(st.integers(1, hw.N_MAX))
    density = st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]) | st.floats(0.0, 1.0)
    w_d, a_d = draw(density), draw(density)
    skew = draw(st.sampled_from([0.0, 0.1, 0.3]))
    mode = draw(st.sampled_from(list(StealMode)))
    layer = LayerConfig(M, N, mode, rep_rows=draw(st.integers(0, 4)),
                        shift=draw(st.integers(0, 15)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    W, x, b = random_sparse_layer(rng, M, N, w_d, a_d, skew=skew, a_max=32767,
                                  bias_max=32767)
    return hw, layer, W, x, b


def encode_or_skip(W, x, b, hw, layer):
    try:
        return encode_matvec(W, x, b, hw, layer)
    except SpecError as err:
        assume("weight SRAM" not in str(err))   # a dense draw overflowed the SRAM: skip it
        raise


@settings(max_examples=120, deadline=None)
@given(layer_cases())
def test_round_trip_and_contract_layout(case):
    hw, layer, W, x, b = case
    img = encode_or_skip(W, x, b, hw, layer)
    W2, x2 = decode_matvec(img)
    assert W2.dtype == np.int8 and x2.dtype == np.int16
    assert np.array_equal(W2, W) and np.array_equal(x2, x)
    assert_matches_contract(img, W, x, b)
    assert img.footprint_bits() == masr_footprint_bits(W, x, hw, layer)


@pytest.mark.parametrize("hw", [BRINGUP_4X2, REGRESSION_8X8])
@pytest.mark.parametrize("mode", list(StealMode))
def test_presets_full_size_all_modes(hw, mode):
    rng = np.random.default_rng(7)
    W, x, b = random_sparse_layer(rng, hw.M_MAX, hw.N_MAX, 0.5, 0.5, skew=0.2)
    layer = LayerConfig(hw.M_MAX, hw.N_MAX, mode, rep_rows=3)
    img = encode_matvec(W, x, b, hw, layer)
    assert_matches_contract(img, W, x, b)
    W2, x2 = decode_matvec(img)
    assert np.array_equal(W2, W) and np.array_equal(x2, x)


# -- explicit encoding corners (brief section 3) ----------------------------------------------

def encode(W, x, b=None, hw=BRINGUP_4X2, **layer_kw):
    W, x = np.asarray(W, dtype=np.int8), np.asarray(x, dtype=np.int16)
    b = np.zeros(W.shape[0], dtype=np.int16) if b is None else np.asarray(b, dtype=np.int16)
    return encode_matvec(W, x, b, hw, LayerConfig(W.shape[0], W.shape[1], **layer_kw))


def test_all_zero_weights_give_zero_masks_and_empty_sram():
    img = encode(np.zeros((8, 64)), np.ones(64), np.arange(8))
    assert all(not m.any() for m in img.mask.values())
    assert all(len(w) == 0 for w in img.weight.values())
    assert all(not p.any() for p in img.rowptr.values())
    assert matvec_from_image(img).tolist() == list(range(8))


def test_all_one_mask_words():
    img = encode(np.ones((4, 64)), np.full(64, -1))
    assert all((m == 0xFFFF).all() for m in img.mask.values())
    assert (img.amask[(0, 0)][:2] == 0xFFFF).all()
    assert img.rowptr[(0, 0)].tolist() == [0]        # one row per lane-row, 32 weights
    assert len(img.weight[(0, 0)]) == 32


def test_empty_rows_share_pointers():
    W = np.zeros((12, 20), dtype=np.int8)
    W[0, 3] = 5        # lane-row 0: rows 0, 4, 8 -> only row 0 non-empty
    W[8, 1] = -2
    img = encode(W, np.arange(20))
    assert img.rowptr[(0, 0)].tolist() == [0, 1, 1]
    assert img.weight[(0, 0)].tolist() == [5, -2]
    assert img.mask[(1, 0)].tolist() == [0, 0, 0]


def test_empty_partition_when_n_is_small():
    hw = HwConfig(4, 4, B=8, G=2, M_MAX=8, N_MAX=8, SLOTS=8, WDEPTH=64)
    W = np.full((4, 5), 3, dtype=np.int8)          # P = 2: partitions [0,2) [2,4) [4,5) [5,5)
    img = encode(W, np.arange(1, 6), hw=hw, mode=StealMode.VERTICAL, rep_rows=1)
    # K = 1 word per row; each lane-row owns one row, rep_rows=1 replicates it sideways.
    assert img.mask[(0, 3)].tolist() == [0, 1]      # own (empty partition 3), prev replica (p2)
    assert img.mask[(0, 2)].tolist() == [1, 3, 0]   # own (p2), prev replica (p1), next (p3)
    assert img.mask[(0, 0)].tolist() == [3, 3]
    assert img.amask[(0, 3)][:1].tolist() == [0] and img.amask[(0, 3)][hw.KW_MAX] == 1
    y = matvec_q(W, np.arange(1, 6), np.zeros(4, np.int16), 6)
    assert np.array_equal(matvec_from_image(img), y)
    W2, x2 = decode_matvec(img)
    assert np.array_equal(W2, W) and x2.tolist() == [1, 2, 3, 4, 5]


def test_all_zero_activation_vector():
    rng = np.random.default_rng(1)
    W, _, b = random_sparse_layer(rng, 16, 40, 0.6, 0.0)
    img = encode(W, np.zeros(40), b)
    assert not any(a.any() for a in img.amask.values())
    assert all(s.ops == 0 and s.ag_cycles == len(s.word_ops) for s in img.slot_table())
    assert np.array_equal(matvec_from_image(img), matvec_q(W, np.zeros(40, np.int16), b, 6))


def test_single_nonzero():
    W = np.zeros((9, 33), dtype=np.int8)
    x = np.zeros(33, dtype=np.int16)
    W[5, 20], x[20] = -7, 300
    img = encode(W, x)
    busy = [s for s in img.slot_table() if s.ops]
    assert len(busy) == 1 and (busy[0].ref.h, busy[0].ref.v, busy[0].ref.row) == (1, 1, 5)
    assert busy[0].word_ops == (1, 0)            # column 20 = partition 1 (P=17), word 0 bit 3
    assert matvec_from_image(img)[5] == (-7 * 300) >> 6


def test_nonzeros_at_word_and_partition_boundaries():
    N = 64                                         # P = 32, K = 2 on the 4x2 preset
    W = np.zeros((4, N), dtype=np.int8)
    cols = [0, 15, 16, 31, 32, 47, 48, 63]
    W[0, cols] = np.arange(1, 9)
    img = encode(W, np.ones(N))
    assert img.mask[(0, 0)].tolist() == [0x8001, 0x8001]
    assert img.mask[(0, 1)].tolist() == [0x8001, 0x8001]
    assert img.weight[(0, 0)].tolist() == [1, 2, 3, 4]
    assert img.weight[(0, 1)].tolist() == [5, 6, 7, 8]


def test_mask_bits_past_partition_end_are_zero_when_n_not_multiple_of_b():
    W = np.ones((2, 37), dtype=np.int8)           # P = 19: words 0xFFFF, 0x0007
    img = encode(W, np.ones(37))
    assert img.mask[(0, 0)].tolist() == [0xFFFF, 0x7]
    assert img.mask[(0, 1)].tolist() == [0xFFFF, 0x3]   # partition 1 = columns 19..36


def full_sram_case(extra: int):
    """Lane (0,0) of the 4x2 preset holds exactly 512 + extra weights."""
    W = np.zeros((64, 64), dtype=np.int8)
    W[0::4, :32] = 1                              # 16 rows x 32 columns = 512 = WDEPTH
    W[60, 63] = 9                                 # lane (0,1)'s last row: its replica
    mode = StealMode.VERTICAL if extra else StealMode.NONE
    return encode(W, np.ones(64), mode=mode, rep_rows=1)


def test_full_weight_sram_fits_exactly():
    img = full_sram_case(0)
    assert len(img.weight[(0, 0)]) == BRINGUP_4X2.WDEPTH
    assert img.rowptr[(0, 0)][-1] == 480


def test_one_more_weight_overflows_the_sram():
    with pytest.raises(SpecError, match=r"weight SRAM of lane \(0,0\) needs 513 entries, "
                                        r"WDEPTH is 512 \(over by 1\)"):
        full_sram_case(1)


# -- error paths -----------------------------------------------------------------------------

@pytest.mark.parametrize("W, x, b, layer, message", [
    (np.zeros((4, 4)), np.zeros(4, np.int16), np.zeros(4, np.int16), LayerConfig(4, 4),
     r"W must have an integer dtype, got float64"),
    (np.zeros((4, 5), np.int8), np.zeros(4, np.int16), np.zeros(4, np.int16), LayerConfig(4, 4),
     r"W has shape \(4, 5\), layer says M=4, N=4"),
    (np.zeros((4, 4), np.int8), np.zeros(5, np.int16), np.zeros(4, np.int16), LayerConfig(4, 4),
     r"x has shape \(5,\), expected \(4,\) for N=4"),
    (np.zeros((4, 4), np.int8), np.zeros(4, np.int16), np.zeros(3, np.int16), LayerConfig(4, 4),
     r"bias has shape \(3,\), expected \(4,\) for M=4"),
    (np.full((4, 4), 200, np.int16), np.zeros(4, np.int16), np.zeros(4, np.int16),
     LayerConfig(4, 4), r"W value 200 is outside int8 range"),
    (np.zeros((4, 4), np.int8), np.full(4, -40000, np.int32), np.zeros(4, np.int16),
     LayerConfig(4, 4), r"x value -40000 is outside int16 range"),
    (np.zeros((65, 4), np.int8), np.zeros(4, np.int16), np.zeros(65, np.int16),
     LayerConfig(65, 4), r"LayerConfig\.M=65 exceeds M_MAX=64 \(over by 1\)"),
    (np.zeros((4, 66), np.int8), np.zeros(66, np.int16), np.zeros(4, np.int16),
     LayerConfig(4, 66), r"LayerConfig\.N=66 exceeds N_MAX=64 \(over by 2\)"),
    (np.zeros((64, 4), np.int8), np.zeros(4, np.int16), np.zeros(64, np.int16),
     LayerConfig(64, 4, StealMode.HORIZONTAL, rep_rows=9),
     r"lane \(1,0\) needs 34 row slots \(R=16, Q_prev=9, Q_next=9\), SLOTS is 32 \(over by 2\)"),
])
def test_encode_spec_errors(W, x, b, layer, message):
    with pytest.raises(SpecError, match=message):
        encode_matvec(W, x, b, BRINGUP_4X2, layer)


def test_encode_rejects_configs_the_rtl_cannot_hold():
    hw = HwConfig(4, 2, M_MAX=64, N_MAX=64, SLOTS=32, WDEPTH=100_000)
    with pytest.raises(SpecError, match=r"HwConfig\.WDEPTH=100000 exceeds 65535"):
        encode(np.zeros((4, 4)), np.zeros(4), hw=hw)


def test_encode_activations_errors():
    with pytest.raises(SpecError, match=r"x has shape \(3,\), expected \(4,\) for N=4"):
        encode_activations(np.zeros(3, np.int16), BRINGUP_4X2, 4)
    with pytest.raises(SpecError, match=r"N=65 exceeds N_MAX=64 \(over by 1\)"):
        encode_activations(np.zeros(65, np.int16), BRINGUP_4X2, 65)
    with pytest.raises(SpecError, match=r"N=0 must be an int >= 1"):
        encode_activations(np.zeros(0, np.int16), BRINGUP_4X2, 0)


def test_encode_activations_segments_in_vertical_mode():
    x = np.arange(1, 65, dtype=np.int16)
    acts = encode_activations(x, BRINGUP_4X2, 64, StealMode.VERTICAL)
    hw = BRINGUP_4X2
    assert acts.amask[(1, 0)][hw.KW_MAX * 2: hw.KW_MAX * 3].tolist() == [0xFFFF, 0xFFFF]
    assert acts.aval[(1, 0)][2 * hw.P_MAX: 3 * hw.P_MAX].tolist() == list(range(33, 65))
    assert not acts.amask[(1, 0)][hw.KW_MAX: 2 * hw.KW_MAX].any()   # no partition -1
    assert acts.filled_segments(1) == [(0, 1), (1, 0)] and acts.nnz() == 64
    none = encode_activations(x, hw, 64, StealMode.HORIZONTAL)
    assert not none.amask[(0, 0)][hw.KW_MAX:].any()


# -- decode checks ---------------------------------------------------------------------------

def sample_image(mode=StealMode.VERTICAL) -> MatvecImage:
    rng = np.random.default_rng(3)
    W, x, b = random_sparse_layer(rng, 20, 50, 0.5, 0.6)
    return encode_matvec(W, x, b, BRINGUP_4X2, LayerConfig(20, 50, mode, rep_rows=2))


def corrupt(arr, index, value):
    out = arr.copy()
    out[index] = value
    return out


def test_decode_detects_replica_mismatch():
    img = sample_image()
    refs = img.layout(0, 0)
    slot = next(r.slot for r in refs if r.kind != "own")
    start = int(img.rowptr[(0, 0)][slot])
    img.weight[(0, 0)] = corrupt(img.weight[(0, 0)], start, img.weight[(0, 0)][start] ^ 1 or 3)
    with pytest.raises(ImageError, match=r"lane \(0,0\) slot \d+ \(replica of lane \(0, 1\) "
                                         r"row \d+\) differs from the victim's row"):
        decode_matvec(img)


def test_decode_detects_bad_rowptr_and_pe_mismatch():
    img = sample_image()
    img.rowptr[(1, 1)] = corrupt(img.rowptr[(1, 1)], 1, 99)
    with pytest.raises(ImageError, match=r"lane \(1,1\) rowptr\[1\]=99, packing says"):
        decode_matvec(img)
    img = sample_image()
    img.aval[(1, 0)] = corrupt(img.aval[(1, 0)], 0, 12345)
    with pytest.raises(ImageError, match=r"activation RF of PE \(1,0\) differs from PE \(0,0\)"):
        decode_matvec(img)


# -- exports ---------------------------------------------------------------------------------

def read_hex(path: Path) -> list[int]:
    return [int(line, 16) for line in path.read_text().split()]


def test_write_hex_full_depth(tmp_path):
    img = sample_image()
    hw = img.hw
    written = img.write_hex(tmp_path)
    names = {p.name for p in written}
    assert len(names) == 3 * hw.n_lanes + 2 * hw.n_pes + 1
    assert {"mask_3_1.hex", "rowptr_0_0.hex", "weight_2_1.hex", "amask_1_0.hex",
            "aval_0_1.hex", "bias.hex"} <= names
    mask = (tmp_path / "mask_0_1.hex").read_text().splitlines()
    assert len(mask) == hw.MDEPTH and all(len(line) == 4 for line in mask)
    weight = (tmp_path / "weight_0_1.hex").read_text().splitlines()
    assert len(weight) == hw.WDEPTH and all(len(line) == 2 for line in weight)
    for h, v in hw.lanes():
        w = read_hex(tmp_path / f"weight_{h}_{v}.hex")
        n = len(img.weight[(h, v)])
        assert w[:n] == [int(q) & 0xFF for q in img.weight[(h, v)]] and not any(w[n:])
        assert read_hex(tmp_path / f"rowptr_{h}_{v}.hex")[: len(img.rowptr[(h, v)])] == \
            img.rowptr[(h, v)].tolist()
    aval = read_hex(tmp_path / "aval_1_1.hex")
    assert len(aval) == hw.AVAL_DEPTH
    assert aval == [int(a) & 0xFFFF for a in img.aval[(1, 1)]]
    amask = read_hex(tmp_path / "amask_0_1.hex")
    assert amask[hw.KW_MAX: hw.KW_MAX + img.K] == img.acts.words[0].tolist()   # seg 1 of v=1
    bias = read_hex(tmp_path / "bias.hex")
    assert len(bias) == hw.M_MAX and bias[:20] == [int(b) & 0xFFFF for b in img.bias]


def test_write_hex_negative_values_and_compact_mode(tmp_path):
    hw = BRINGUP_4X2
    img = encode(np.full((1, 2), -1), np.array([-2, 0]), np.array([-3]), hw=hw)
    written = {p.name for p in img.write_hex(tmp_path, full_depth=False)}
    assert "weight_1_0.hex" not in written                     # lane-row 1 has no rows
    assert (tmp_path / "weight_0_0.hex").read_text() == "ff\n"
    assert (tmp_path / "aval_0_0.hex").read_text().split()[0] == "fffe"
    assert (tmp_path / "bias.hex").read_text() == "fffd\n"


def test_write_hex_b32_digits(tmp_path):
    hw = ODD_CONFIGS[1]
    img = encode(np.ones((2, 70)), np.ones(70), hw=hw)
    img.write_hex(tmp_path)
    assert (tmp_path / "mask_0_0.hex").read_text().splitlines()[0] == "0003ffff"


def frontdoor_memories(img: MatvecImage, rng) -> dict:
    """Apply the frontdoor writes onto memories full of stale garbage."""
    hw = img.hw
    depth = {MEM_MASK: hw.MDEPTH, MEM_ROWPTR: hw.SLOTS, MEM_WEIGHT: hw.WDEPTH,
             MEM_AMASK: hw.AMASK_DEPTH, MEM_AVAL: hw.AVAL_DEPTH, MEM_BIAS: hw.M_MAX}
    width = {MEM_MASK: hw.B, MEM_ROWPTR: 16, MEM_WEIGHT: 8, MEM_AMASK: hw.B, MEM_AVAL: 16,
             MEM_BIAS: 16}
    units = {MEM_MASK: hw.n_lanes, MEM_ROWPTR: hw.n_lanes, MEM_WEIGHT: hw.n_lanes,
             MEM_AMASK: hw.n_pes, MEM_AVAL: hw.n_pes, MEM_BIAS: 1}
    mem = {(sel, u): rng.integers(0, 1 << width[sel], depth[sel]).astype(np.int64)
           for sel in depth for u in range(units[sel])}
    for sel, unit, addr, value in img.images_for_frontdoor():
        assert 0 <= value < (1 << width[sel]) and addr < depth[sel] and unit < units[sel]
        mem[(sel, unit)][addr] = value
    return mem


def signed(a, bits):
    return np.where(a >= 1 << (bits - 1), a - (1 << bits), a)


@pytest.mark.parametrize("mode", list(StealMode))
def test_frontdoor_writes_everything_the_engine_reads(mode):
    rng = np.random.default_rng(11)
    img = sample_image(mode)
    hw = img.hw
    mem = frontdoor_memories(img, rng)
    stale = MatvecImage(
        hw, img.layer,
        mask={(h, v): mem[(MEM_MASK, hw.lane_index(h, v))][: len(img.mask[(h, v)])]
              .astype(np.uint32) for h, v in hw.lanes()},
        rowptr={(h, v): mem[(MEM_ROWPTR, hw.lane_index(h, v))][: len(img.rowptr[(h, v)])]
                for h, v in hw.lanes()},
        weight={(h, v): signed(mem[(MEM_WEIGHT, hw.lane_index(h, v))], 8)
                [: len(img.weight[(h, v)])].astype(np.int8) for h, v in hw.lanes()},
        amask={pe: mem[(MEM_AMASK, hw.pe_index(*pe))].astype(np.uint32) for pe in hw.pes()},
        aval={pe: signed(mem[(MEM_AVAL, hw.pe_index(*pe))], 16).astype(np.int16)
              for pe in hw.pes()},
        bias=signed(mem[(MEM_BIAS, 0)][: img.layer.M], 16).astype(np.int16),
    )
    # Stale words outside the written ranges must not change the result.
    assert np.array_equal(matvec_from_image(stale), matvec_from_image(img))


def test_frontdoor_tuples_numbering():
    img = sample_image(StealMode.NONE)
    writes = list(img.images_for_frontdoor())
    sels = {w[0] for w in writes}
    assert sels == {MEM_MASK, MEM_ROWPTR, MEM_WEIGHT, MEM_AMASK, MEM_AVAL, MEM_BIAS}
    lane_units = {w[1] for w in writes if w[0] == MEM_MASK}
    assert lane_units == set(range(8))
    assert max(w[2] for w in writes if w[0] == MEM_AMASK) < img.K   # mode none: seg 0 only
    assert sum(1 for w in writes if w[0] == MEM_BIAS) == 20


# -- footprint and slot table ----------------------------------------------------------------

def test_footprint_accounting():
    W = np.zeros((8, 64), dtype=np.int8)
    W[:, :3] = 1                                   # 24 non-zeros, all in partition 0
    x = np.zeros(64, dtype=np.int16)
    x[[0, 40]] = 5
    img = encode(W, x)
    fp = img.footprint_bits()
    assert fp["masks"] == 8 * 2 * 2 * 16           # M * V * K * B
    assert fp["pointers"] == 8 * 2 * 16
    assert fp["values"] == 24 * 8
    assert fp["replicas"] == 0
    assert fp["activations"] == 2 * 2 * 16 + 2 * 16
    assert fp["total"] == sum(v for k, v in fp.items() if k != "total")
    vert = encode(W, x, mode=StealMode.VERTICAL, rep_rows=1).footprint_bits()
    # every lane holds one replica row (32 mask + 16 ptr bits); rows 4..7 of partition 0 have
    # 3 weights each and are replicated into the v=1 lanes; the two neighbour segments
    # duplicate x: (32 + 16) bits each.
    assert vert["replicas"] == 8 * (32 + 16) + 4 * 3 * 8 + 2 * (32 + 16)


def test_slot_table_costs():
    img = sample_image()
    table = img.slot_table()
    assert len(table) == sum(len(img.layout(h, v)) for h, v in img.hw.lanes())
    W, x = decode_matvec(img)
    own_ops = sum(s.ops for s in table if s.ref.kind == "own")
    assert own_ops == int(((W != 0) & (x != 0)[None, :]).sum())
    for s in table:
        assert s.ag_cycles == sum(max(1, e) for e in s.word_ops) and s.ops == sum(s.word_ops)


# -- random workload generator ---------------------------------------------------------------

def test_random_sparse_layer_is_deterministic_and_exact():
    a = random_sparse_layer(np.random.default_rng(5), 40, 100, 0.2, 0.5, skew=0.25)
    b = random_sparse_layer(np.random.default_rng(5), 40, 100, 0.2, 0.5, skew=0.25)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    W, x, bias = a
    assert W.dtype == np.int8 and x.dtype == np.int16 and bias.dtype == np.int16
    nnz = (W != 0).sum(axis=1)
    assert (nnz >= 1.5 * 20).sum() == 10           # 25% of 40 rows heavy (30 of 100 cols)
    assert abs(nnz.mean() - 20) <= 2
    assert (x != 0).sum() == 50 and np.abs(x).max() <= 1024


def test_random_sparse_layer_extremes():
    W, x, _ = random_sparse_layer(np.random.default_rng(0), 5, 7, 1.0, 0.0)
    assert (W != 0).all() and not x.any()
    W, _, _ = random_sparse_layer(np.random.default_rng(0), 5, 7, 0.0, 1.0, skew=0.5)
    assert not W.any()


@pytest.mark.parametrize("kwargs, message", [
    (dict(w_density=1.5), r"w_density=1\.5 must be in \[0, 1\]"),
    (dict(a_density=-0.1), r"a_density=-0\.1 must be in \[0, 1\]"),
    (dict(skew=2.0), r"skew=2\.0 must be in \[0, 1\]"),
    (dict(w_max=0), r"w_max=0 must be an int in \[1, 127\]"),
    (dict(a_max=40000), r"a_max=40000 must be an int in \[1, 32767\]"),
    (dict(heavy_factor=0.5), r"heavy_factor=0\.5 must be >= 1"),
    (dict(M=0), r"M=0 must be an int in \[1, "),
])
def test_random_sparse_layer_errors(kwargs, message):
    args = dict(M=4, N=4, w_density=0.5, a_density=0.5) | kwargs
    with pytest.raises(SpecError, match=message):
        random_sparse_layer(np.random.default_rng(0), **args)


def test_footprint_input_errors():
    with pytest.raises(SpecError, match=r"W \(4, 4\) / x \(4,\) do not match M=4, N=5"):
        masr_footprint_bits(np.zeros((4, 4), np.int8), np.zeros(4, np.int16), BRINGUP_4X2,
                            LayerConfig(4, 5))


# -- split replica ranges (CFG_FEAT.SPLIT, issue #12) ----------------------------------------------

def split_layer(layer: LayerConfig) -> LayerConfig:
    import dataclasses

    from golden.config import FEAT_SPLIT
    return dataclasses.replace(layer, feat=layer.feat | FEAT_SPLIT)

@settings(max_examples=60, deadline=None)
@given(layer_cases(configs=(BRINGUP_4X2, REGRESSION_8X8)), st.sampled_from(["uniform", "load"]))
def test_split_plan_round_trip(case, placement):
    """Split images decode to W and x, compute y, and every victim row sits in exactly one thief,
    the one its range names (range 0 prev neighbour, range 1 next neighbour)."""
    from golden.config import neighbours, rows_of_lane
    from golden.encode import MEM_PLAN, split_plan

    hw, layer, W, x, b = case
    budget = 0.1 if placement == "load" else None
    try:
        plan = split_plan(W, hw, layer, placement, budget)
        img = encode_matvec(W, x, b, hw, split_layer(layer), plan=plan)
    except SpecError as err:
        assume("weight SRAM" not in str(err) and "row slots" not in str(err))
        raise
    W2, x2 = decode_matvec(img)
    assert np.array_equal(W2, W) and np.array_equal(x2, x)
    assert np.array_equal(matvec_from_image(img), matvec_q(W, x, b, layer.shift))
    holders = {}
    for h, v in hw.lanes():
        for ref in img.layout(h, v):
            if ref.kind != "own":
                holders.setdefault((ref.victim, ref.local_row), []).append(((h, v), ref.kind))
    for h, v in hw.lanes():
        b0, b1 = plan[hw.lane_index(h, v)]
        R = rows_of_lane(hw, layer.M, h)
        prev, nxt = neighbours(hw, layer.mode, h, v)
        assert 0 <= b0 <= b1 <= R
        for i in range(R):
            want = [(prev, "next")] if b0 <= i < b1 and prev else \
                   [(nxt, "prev")] if i >= b1 and nxt else []
            assert holders.get(((h, v), i), []) == want, (h, v, i)
        if layer.mode == StealMode.NONE:
            assert b0 == b1 == R
    # the plan registers reach the backdoor files and the frontdoor writes
    words = [(u, a, val) for sel, u, a, val in img.images_for_frontdoor() if sel == MEM_PLAN]
    assert words == [(u, a, int(plan[u][a])) for u in range(hw.n_lanes) for a in range(2)]


def test_split_plan_slots_error(tmp_path):
    """A plan whose imports do not fit SLOTS is a SpecError naming the lane (RTL: ERR_SLOTS),
    and so is a plan with base_0 > base_1 or base_1 > R."""
    from golden.encode import split_plan

    hw = HwConfig(2, 2, B=16, G=1, M_MAX=16, N_MAX=32, SLOTS=9, WDEPTH=512)
    layer = split_layer(LayerConfig(16, 32, StealMode.VERTICAL, rep_rows=8))
    rng = np.random.default_rng(5)
    W, x, b = random_sparse_layer(rng, 16, 32, 0.3, 0.5)
    plan = split_plan(W, hw, layer)          # R = 8, each lane exports its whole 8 rows
    with pytest.raises(SpecError, match="row slots"):
        encode_matvec(W, x, b, hw, layer, plan=plan)
    with pytest.raises(SpecError, match="row slots"):
        layer.check_fits(hw)                 # the uniform plan of rep_rows: the same check
    with pytest.raises(SpecError, match="CFG_FEAT.SPLIT"):
        encode_matvec(W, x, b, hw, LayerConfig(16, 32, StealMode.VERTICAL, rep_rows=1),
                      plan=plan)
    one = split_layer(LayerConfig(16, 32, StealMode.VERTICAL, rep_rows=1))
    ok = encode_matvec(W, x, b, hw, one)     # SPLIT without a plan: the uniform plan
    assert np.array_equal(ok.plan, split_plan(W, hw, one))
    assert (tmp_path / "plan_0_0.hex") in ok.write_hex(tmp_path)
    assert (tmp_path / "plan_0_0.hex").read_text().split() == [f"{int(w):04x}" for w in ok.plan[0]]
    for bad in ([5, 4], [0, 9]):
        regs = np.array(ok.plan)
        regs[0] = bad
        with pytest.raises(SpecError, match="base_0"):
            encode_matvec(W, x, b, hw, layer, plan=regs)
