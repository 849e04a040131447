"""golden.eie_perf (EIE cycle model) and golden.energy (event energies)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from golden.config import HwConfig, LayerConfig
from golden.eie_perf import (PIPELINE_DRAIN, EieConfig, column_entries, simulate_eie,
                             simulate_eie_sequence)
from golden.energy import (HOROWITZ_45NM, eie_events, energy_pj, masr_events, sram_pj)
from golden.errors import SpecError
from golden.perf import random_masks, simulate_matvec


def reference_eie(w: np.ndarray, a: np.ndarray, cfg: EieConfig) -> int:
    """Literal cycle-by-cycle restatement of the rules (module docstring), for small cases."""
    entries, _ = column_entries(w, cfg)
    todo = list(np.flatnonzero(a))
    queues: list[list[int]] = [[] for _ in range(cfg.n_pe)]   # head = current column
    left = [0] * cfg.n_pe          # cycles left on the head entry (0 = not started)
    cycle = last_busy = 0
    while todo or any(queues):
        # registered state at the start of the cycle decides the broadcast
        room = all(len(q) < cfg.queue_depth for q in queues)
        starts = [bool(q) and left[p] == 0 for p, q in enumerate(queues)]
        for p, q in enumerate(queues):
            if starts[p]:
                left[p] = max(1, int(entries[p, q[0]]))
            if q:
                left[p] -= 1
                last_busy = cycle + 1
                if left[p] == 0:
                    q.pop(0)       # slot free from the next cycle on
        if todo and room:
            col = todo.pop(0)
            for q in queues:
                q.append(col)      # can start next cycle at the earliest
        cycle += 1
    return last_busy + PIPELINE_DRAIN


def column(rows: dict[int, bool], M: int) -> np.ndarray:
    w = np.zeros((M, 1), dtype=bool)
    for r in rows:
        w[r, 0] = True
    return w


def test_single_pe_hand_case():
    # One PE, two columns: 3 entries and 1 entry, both activations non-zero.
    w = np.zeros((4, 2), dtype=bool)
    w[[0, 1, 3], 0] = True
    w[2, 1] = True
    r = simulate_eie(w, np.array([True, True]), EieConfig(n_pe=1, queue_depth=8))
    # broadcast col 0 in cycle 0, busy 1..3; col 1 broadcast in 1, starts at 4, ends after 4.
    assert r.compute_cycles == 5 and r.cycles == 5 + PIPELINE_DRAIN
    assert r.macs == 4 and r.padding_entries == 0 and r.broadcasts == 2
    assert r.pointer_reads == 2 and r.pe_busy.tolist() == [4]


def test_zero_activations_are_skipped_and_padding_costs_a_cycle():
    w = column({20: True}, 24)                     # 20 zeros before the entry: one padding
    res = simulate_eie(w, np.array([True]), EieConfig(n_pe=1))
    assert res.padding_entries == 1 and res.macs == 1 and res.pe_busy.tolist() == [2]
    assert simulate_eie(w, np.array([False]), EieConfig(n_pe=1)).compute_cycles == 0


def test_empty_column_still_costs_its_pointer_read():
    w = np.zeros((2, 1), dtype=bool)
    w[0, 0] = True                                  # PE 1 has nothing in the column
    r = simulate_eie(w, np.array([True]), EieConfig(n_pe=2))
    assert r.pe_busy.tolist() == [1, 1] and r.empty_columns == 1


def test_depth_one_waits_for_the_slowest_pe():
    # PE 0 has 4 entries per column, PE 1 one: with depth 1 every broadcast waits for PE 0.
    w = np.zeros((8, 3), dtype=bool)
    w[[0, 2, 4, 6], :] = True
    w[1, :] = True
    deep = simulate_eie(w, np.ones(3, bool), EieConfig(n_pe=2, queue_depth=8))
    shallow = simulate_eie(w, np.ones(3, bool), EieConfig(n_pe=2, queue_depth=1))
    assert shallow.compute_cycles > deep.compute_cycles
    assert deep.compute_cycles == 1 + 3 * 4         # PE 0 never waits with a deep queue


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 24), st.integers(1, 12), st.integers(1, 4), st.integers(1, 4),
       st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.integers(0, 2**31))
def test_matches_literal_reference(M, N, n_pe, depth, wd, ad, seed):
    w, a = random_masks(np.random.default_rng(seed), M, N, wd, ad, 1)
    cfg = EieConfig(n_pe=n_pe, queue_depth=depth, index_bits=2)
    r = simulate_eie(w, a[0], cfg)
    if a[0].any():
        assert r.cycles == reference_eie(w, a[0], cfg)
    assert r.macs == int((w & a[0][None, :]).sum())
    assert r.compute_cycles >= int(r.pe_busy.max())


def test_eie_paper_load_balance_behaviour():
    """EIE paper sec. VI: FIFO depth 1 leaves about half the cycles idle; gains flatten after 8."""
    w, a = random_masks(np.random.default_rng(0), 4096, 4096, 0.09, 0.35, 1)   # Alex-7
    cols = column_entries(w, EieConfig())
    eff = {d: simulate_eie(w, a[0], EieConfig(queue_depth=d), cols).load_balance_efficiency
           for d in (1, 2, 8, 64)}
    assert 0.35 < eff[1] < 0.65
    assert eff[1] < eff[2] < eff[8] <= eff[64]
    assert eff[8] > 0.9
    assert eff[64] - eff[8] < 0.25 * (eff[8] - eff[1])          # diminishing returns


def test_sequence_reuses_one_encoding():
    w, a = random_masks(np.random.default_rng(3), 40, 30, 0.2, 0.5, 3)
    seq = simulate_eie_sequence(w, a, EieConfig(n_pe=4))
    assert [r.cycles for r in seq] == [simulate_eie(w, x, EieConfig(n_pe=4)).cycles for x in a]


def test_errors():
    with pytest.raises(SpecError, match=r"EieConfig.queue_depth=0 must be an int >= 1"):
        EieConfig(queue_depth=0)
    with pytest.raises(SpecError, match=r"a_nonzero has 3 entries, W has 2 columns"):
        simulate_eie(np.ones((2, 2), bool), np.ones(3, bool))
    with pytest.raises(SpecError, match=r"w_nonzero must be a 2-D numpy bool array"):
        simulate_eie(np.ones((2, 2), int), np.ones(2, bool))


# -- energy ---------------------------------------------------------------------------------------

def test_sram_energy_follows_the_table():
    t = HOROWITZ_45NM
    assert sram_pj(t, 8 * 8 << 10, 64) == pytest.approx(10.0)
    assert sram_pj(t, 8 * 32 << 10, 64) == pytest.approx(20.0)
    assert sram_pj(t, 8 << 20, 64) == pytest.approx(100.0)
    assert sram_pj(t, 8 * 16 << 10, 64) == pytest.approx(10 * 2 ** 0.5)   # log-log midpoint
    assert sram_pj(t, 64, 64) == pytest.approx(10.0)                      # 8 KB floor
    assert sram_pj(t, 8 * 32 << 10, 16) == pytest.approx(5.0)
    assert t.mult(8, 16) == pytest.approx(0.4) and t.mult(32, 32) == pytest.approx(3.2)


def test_energy_counts_track_the_work():
    w, a = random_masks(np.random.default_rng(1), 64, 64, 0.2, 0.5, 1)
    hw = HwConfig(H=4, V=2, M_MAX=64, N_MAX=64, SLOTS=16, WDEPTH=1024)
    layer = LayerConfig(64, 64)
    res = simulate_matvec(w, a[0], hw, layer)
    ev = masr_events(w, a[0], hw, layer, res)
    assert ev["MAC"].count == res.mac_busy == ev["weight reads"].count
    assert ev["weight mask reads"].count == 64 * 2 * 2      # M x V x K (K = 32/16)
    r = simulate_eie(w, a[0], EieConfig(n_pe=8))
    eev = eie_events(w, a[0], r, EieConfig(n_pe=8))
    assert eev["sparse matrix reads"].count == r.entries
    assert eev["pointer reads"].count == 8 * int(a[0].sum())
    # Denser activations cost more energy on both designs.
    dense = np.ones(64, bool)
    res_d = simulate_matvec(w, dense, hw, layer)
    assert energy_pj(masr_events(w, dense, hw, layer, res_d)) > energy_pj(ev)
    r_d = simulate_eie(w, dense, EieConfig(n_pe=8))
    assert energy_pj(eie_events(w, dense, r_d, EieConfig(n_pe=8))) > energy_pj(eev)
