"""cocotb tests of masr_act_encoder against golden.encode.encode_activations.

For every vector the test plays the sequencer (start_i, then the N elements in column order with
random gaps) and records every register-file write the encoder makes, column by column. Checks:
  - RF image: the writes applied to an all-zero model of each column's act mask / act value RF
    give exactly golden encode_activations(x, hw, N, mode).amask[(0, v)] / aval[(0, v)] (whole
    arrays, so also no stray non-zero write anywhere);
  - the writes applied to a model filled with random stale data give the golden words in the
    region the engine reads (K mask words of every filled segment, the popcount of non-zero
    values), i.e. the encoder does not rely on a cleared RF;
  - every address is written exactly once and nothing outside that region is written;
  - seg_o of every write matches its address' segment;
  - timing: ready_o while elements are expected, writes one cycle after their element,
    done_o one single pulse in the cycle of the last write, exactly
    1 + pad cycles after the last element, pad = V*K - 1 - (u_last*K + k_last);
    busy_o from the cycle after start up to (excluding) the done_o cycle.
Vectors: all-zero, a single non-zero (random or at a word / partition boundary), non-zeros at
every word boundary, all non-zero (incl. -32768 and 32767), random densities; N = 1, N < V,
N_MAX, multiples of V*B and random N (not multiples of V or B); steal modes 0, 1, 2.
Back-to-back vectors (start in the done_o cycle) are included.

The negative test (an element while idle) is skipped unless MASR_EXPECT_ASSERT=1:
tests/test_rtl_gru_leaf.py runs it on purpose to prove that the encoder's protocol assertion
stops the simulation on both simulators.

Environment knobs (set by tests/test_rtl_gru_leaf.py):
  MASR_ENC_V, MASR_ENC_B, MASR_ENC_NMAX   the build parameters
  MASR_ENC_VECTORS                        number of random vectors (default 120)
  MASR_EXPECT_ASSERT                      1: run only the negative test
"""
from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, Timer

from golden.config import HwConfig, StealMode
from golden.encode import encode_activations
from tb.leaf.common import Pins, env_int, rng, start


class Geometry:
    def __init__(self, V: int, B: int, N_MAX: int, wide: bool = False):
        self.V, self.B, self.N_MAX = V, B, N_MAX
        self.wide = wide                       # WIDE build: word mode, B slots and value ports
        self.ew = B if wide else 1
        self.off_w = max(1, (self.ew - 1).bit_length())
        # Only V, B, N_MAX matter to the activation encoding; the rest just has to be legal.
        self.hw = HwConfig(H=2, V=V, B=B, G=2, M_MAX=8, N_MAX=N_MAX, SLOTS=8, WDEPTH=8)
        self.P_MAX, self.KW_MAX = self.hw.P_MAX, self.hw.KW_MAX
        self.am_depth, self.av_depth = 3 * self.KW_MAX, 3 * self.P_MAX
        self.am_w = max(1, (self.am_depth - 1).bit_length())
        self.av_w = max(1, (self.av_depth - 1).bit_length())

    def run_geometry(self, N: int) -> tuple[int, int]:
        P = -(-N // self.V)
        return P, -(-P // self.B)


def boundary_positions(g: Geometry, N: int) -> list[int]:
    """Columns at word and partition boundaries (first/last bit of every word, last column)."""
    P, K = g.run_geometry(N)
    cols = set()
    for v in range(g.V):
        for k in range(K):
            for off in (k * g.B, min(P, (k + 1) * g.B) - 1):
                c = v * P + off
                if c < N and off < P:
                    cols.add(c)
    cols.add(N - 1)
    return sorted(cols)


def make_vector(g: Geometry, gen: np.random.Generator, kind: str, N: int) -> np.ndarray:
    x = np.zeros(N, dtype=np.int64)

    def nonzero(n: int) -> np.ndarray:
        mag = gen.integers(1, 32768, n)
        vals = np.where(gen.random(n) < 0.5, -mag, mag)
        edge = gen.random(n) < 0.1
        vals[edge] = gen.choice([-32768, 32767, 1, -1], int(edge.sum()))
        return vals

    if kind == "zero":
        pass
    elif kind == "single":
        x[gen.integers(0, N)] = nonzero(1)[0]
    elif kind == "single_edge":
        x[gen.choice(boundary_positions(g, N))] = nonzero(1)[0]
    elif kind == "edges":
        cols = boundary_positions(g, N)
        x[cols] = nonzero(len(cols))
    elif kind == "full":
        x[:] = nonzero(N)
    else:  # random density
        density = float(kind)
        keep = gen.random(N) < density
        x[keep] = nonzero(int(keep.sum()))
    return x.astype(np.int16)


def pick_n(g: Geometry, gen: np.random.Generator) -> int:
    choices = [1, g.N_MAX, int(gen.integers(1, g.N_MAX + 1))]
    if g.V > 1:
        choices.append(int(gen.integers(1, g.V + 1)))                 # N <= V: empty partitions
    vb = g.V * g.B
    if vb <= g.N_MAX:
        choices.append(vb * int(gen.integers(1, g.N_MAX // vb + 1)))  # exact multiple
    return int(gen.choice(choices))


class EncoderDriver:
    def __init__(self, dut, g: Geometry):
        self.dut, self.g = dut, g
        self.pins = Pins(dut, ["start_i", "clear_i", "n_i", "mode_i", "wide_i", "valid_i",
                               "data_i", "ready_o", "col_o", "last_o", "nz_o",
                               "busy_o", "done_o", "am_we_o", "am_waddr_o", "am_wdata_o",
                               "av_we_o", "av_waddr_o", "av_pwe_o", "av_poff_o", "av_wdata_o",
                               "seg_o"])
        self.cycle = 0

    async def tick(self) -> None:
        await FallingEdge(self.dut.clk_i)
        self.cycle += 1

    def sample_writes(self) -> list[tuple[str, int, int, int, int]]:
        """This cycle's writes: (rf, column, address, data, seg)."""
        p, g = self.pins, self.g
        am_we, av_we = p["am_we_o"], p["av_we_o"]
        writes = []
        if am_we or av_we:
            seg = p["seg_o"]
            am_addrs, av_addrs, word = p["am_waddr_o"], p["av_waddr_o"], p["am_wdata_o"]
            pwe, poff, pdata = p["av_pwe_o"], p["av_poff_o"], p["av_wdata_o"]
            for v in range(g.V):
                sv = seg >> (2 * v) & 3
                if am_we >> v & 1:
                    writes.append(("am", v, am_addrs >> (v * g.am_w) & ((1 << g.am_w) - 1),
                                   word, sv))
                if av_we >> v & 1:
                    base = av_addrs >> (v * g.av_w) & ((1 << g.av_w) - 1)
                    for i in range(g.ew):
                        if pwe >> i & 1:
                            off = poff >> (i * g.off_w) & ((1 << g.off_w) - 1)
                            writes.append(("av", v, base + off, pdata >> (16 * i) & 0xFFFF, sv))
        return writes

    def word_slots(self, x: np.ndarray, c: int, gen: np.random.Generator) -> tuple[int, int]:
        """Word mode: data_i for the word starting at column c (slots past the word's end hold
        random junk the encoder must ignore) and the number of elements it takes."""
        g, N = self.g, len(x)
        P, _ = g.run_geometry(N)
        w = min(g.B, P - c % P, N - c)
        slots = [int(x[c + i]) & 0xFFFF if i < w else int(gen.integers(0, 1 << 16))
                 for i in range(g.ew)]
        return sum(v << (16 * i) for i, v in enumerate(slots)), w

    async def encode(self, x: np.ndarray, mode: int, gen: np.random.Generator,
                     p_gap: float, wide: bool = False) -> tuple[list, int, int, list[int]]:
        """Run one vector (word mode: a mask word per accepted cycle); returns (writes with
        cycle, last element cycle, done cycle, the cycle each element was accepted in)."""
        p = self.pins
        N = len(x)
        assert not p["busy_o"], "encoder busy before start"
        p.drive("start_i", 1)
        p.drive("n_i", N)
        p.drive("mode_i", mode)
        p.drive("wide_i", int(wide))
        p.drive("valid_i", 0)
        writes, elem_cycles = [], []
        done_cycle = None
        await self.tick()
        p.drive("start_i", 0)
        c = 0
        while done_cycle is None:
            # Outputs of this cycle (registered at the rising edge that started it).
            for w in self.sample_writes():
                writes.append((self.cycle, *w))
            if p["done_o"]:
                done_cycle = self.cycle
                break
            busy = p["busy_o"]
            assert busy, f"busy_o low at cycle {self.cycle} before done_o"
            ready = p["ready_o"]
            assert ready == (c < N), f"ready_o={ready} with {c} of {N} elements sent"
            if c < N:
                assert p["col_o"] == c, f"col_o={p['col_o']} with {c} elements sent"
            if c < N and gen.random() >= p_gap:
                if wide:
                    data, w = self.word_slots(x, c, gen)
                else:
                    data, w = int(x[c]) & 0xFFFF, 1
                p.drive("valid_i", 1)
                p.drive("data_i", data)
                elem_cycles += [self.cycle] * w
                c += w
                await Timer(1, "ns")        # the comb. outputs of this cycle's element(s)
                assert p["last_o"] == (c == N), f"last_o={p['last_o']} after {c} of {N}"
                nz = int(np.count_nonzero(x[c - w: c]))
                assert p["nz_o"] == nz, f"nz_o={p['nz_o']} for {nz} non-zeros"
            else:
                p.drive("valid_i", 0)
            await self.tick()
            assert self.cycle < 100000, "encoder never raised done_o"
        p.drive("valid_i", 0)
        assert not p["busy_o"], "busy_o still high in the done_o cycle"
        return writes, elem_cycles[-1], done_cycle, elem_cycles


def check_vector(g: Geometry, x: np.ndarray, mode: int, writes: list, last_elem: int,
                 done_cycle: int, elem_cycles: list[int], stale: np.random.Generator,
                 ctx: str) -> None:
    hw, N = g.hw, len(x)
    img = encode_activations(x, hw, N, StealMode(mode))
    P, K = g.run_geometry(N)
    # Writes never come after done_o, and nothing is written in a cycle without an element or
    # pad reason: a value write exactly one cycle after its element.
    assert all(cyc <= done_cycle for cyc, *_ in writes), f"{ctx}: write after done_o"
    assert writes and max(cyc for cyc, *_ in writes) == done_cycle, \
        f"{ctx}: done_o is not in the cycle of the last write"
    nz_cycles = sorted({cyc for cyc, xv in zip(elem_cycles, x) if xv != 0})
    av_cycles = sorted({cyc for cyc, rf, *_ in writes if rf == "av"})
    assert av_cycles == [cyc + 1 for cyc in nz_cycles], \
        f"{ctx}: value writes not exactly one cycle after their non-zero elements"
    # Latency of the end: pad words after the last element's word.
    u_last, off = divmod(N - 1, P)
    pad = g.V * K - 1 - (u_last * K + off // g.B)
    assert done_cycle == last_elem + 1 + pad, \
        f"{ctx}: done_o in cycle {done_cycle}, expected {last_elem + 1 + pad} (pad {pad})"

    written: dict[tuple[str, int, int], int] = {}
    for cyc, rf, v, addr, data, seg in writes:
        key = (rf, v, addr)
        assert key not in written, f"{ctx}: {rf} column {v} address {addr} written twice"
        written[key] = data
        seg_of_addr = addr // (g.KW_MAX if rf == "am" else g.P_MAX)
        assert seg == seg_of_addr, f"{ctx}: seg_o={seg} for {rf} address {addr} (cycle {cyc})"

    for v in range(g.V):
        am_zero = np.zeros(g.am_depth, dtype=np.int64)
        av_zero = np.zeros(g.av_depth, dtype=np.int64)
        am_stale = stale.integers(0, 1 << g.B, g.am_depth)
        av_stale = stale.integers(0, 1 << 16, g.av_depth)
        for (rf, col, addr), data in written.items():
            if col != v:
                continue
            if rf == "am":
                am_zero[addr] = am_stale[addr] = data
            else:
                av_zero[addr] = av_stale[addr] = data
        gold_am = img.amask[(0, v)].astype(np.int64)
        gold_av = img.aval[(0, v)].astype(np.int64) & 0xFFFF
        if not np.array_equal(am_zero, gold_am):
            bad = np.flatnonzero(am_zero != gold_am)
            raise AssertionError(f"{ctx}: column {v} act mask RF differs at {bad.tolist()}: "
                                 f"got {[hex(int(a)) for a in am_zero[bad]]}, "
                                 f"expected {[hex(int(a)) for a in gold_am[bad]]}")
        if not np.array_equal(av_zero, gold_av):
            bad = np.flatnonzero(av_zero != gold_av)
            raise AssertionError(f"{ctx}: column {v} act value RF differs at {bad.tolist()[:16]}: "
                                 f"got {av_zero[bad][:16].tolist()}, "
                                 f"expected {gold_av[bad][:16].tolist()}")
        # The region the engine reads, written in full (stale contents elsewhere are harmless).
        region_am, region_av = set(), set()
        for seg, _u in img.filled_segments(v):
            words = gold_am[seg * g.KW_MAX: seg * g.KW_MAX + K]
            region_am |= {seg * g.KW_MAX + k for k in range(K)}
            region_av |= {seg * g.P_MAX + j for j in range(sum(bin(int(w)).count("1")
                                                               for w in words))}
        got_am = {a for (rf, col, a) in written if rf == "am" and col == v}
        got_av = {a for (rf, col, a) in written if rf == "av" and col == v}
        assert got_am == region_am, \
            f"{ctx}: column {v} mask writes at {sorted(got_am ^ region_am)} outside/missing"
        assert got_av == region_av, \
            f"{ctx}: column {v} value writes at {sorted(got_av ^ region_av)} outside/missing"
        for a in region_am:
            assert am_stale[a] == gold_am[a], f"{ctx}: column {v} mask word {a} left stale"
        for a in region_av:
            assert av_stale[a] == gold_av[a], f"{ctx}: column {v} value {a} left stale"


def geometry_from_env() -> Geometry:
    return Geometry(env_int("MASR_ENC_V", 2), env_int("MASR_ENC_B", 16),
                    env_int("MASR_ENC_NMAX", 64), env_int("MASR_ENC_WIDE", 0) == 1)


async def setup(dut) -> tuple[Geometry, EncoderDriver]:
    await start(dut, {"start_i": 0, "clear_i": 0, "n_i": 0, "mode_i": 0, "wide_i": 0,
                      "valid_i": 0, "data_i": 0})
    g = geometry_from_env()
    assert len(dut.am_we_o) == g.V and len(dut.am_wdata_o) == g.B, "build/env mismatch"
    return g, EncoderDriver(dut, g)


KINDS = ["zero", "single", "single_edge", "edges", "full", "0.1", "0.5", "0.9"]


NEGATIVE = env_int("MASR_EXPECT_ASSERT", 0) == 1


@cocotb.test(skip=NEGATIVE)
async def directed(dut):
    """Every vector kind x every mode at N = 1, N_MAX, N = V-ish and a non-multiple."""
    gen = rng()
    g, drv = await setup(dut)
    stale = np.random.default_rng(gen.integers(1 << 32))
    ns = sorted({1, max(1, g.V - 1), g.V, g.V + 1, g.N_MAX, max(1, g.N_MAX - 1),
                 min(g.N_MAX, g.V * g.B + 3)} & set(range(1, g.N_MAX + 1)))
    count = 0
    for N in ns:
        for kind in KINDS:
            for mode in (0, 1, 2):
                for wide in ((False, True) if g.wide else (False,)):
                    x = make_vector(g, gen, kind, N)
                    res = await drv.encode(x, mode, gen, p_gap=0.0, wide=wide)
                    check_vector(g, x, mode, *res, stale,
                                 f"N={N} kind={kind} mode={mode} wide={wide}")
                    count += 1
    dut._log.info("%d directed vectors match the golden encoder", count)


@cocotb.test(skip=NEGATIVE)
async def random_vectors(dut):
    """Random N, kind, mode and gaps; back-to-back starts (start in the done_o cycle)."""
    gen = rng()
    g, drv = await setup(dut)
    stale = np.random.default_rng(gen.integers(1 << 32))
    n_vec = env_int("MASR_ENC_VECTORS", 120)
    for i in range(n_vec):
        N = pick_n(g, gen)
        kind = str(gen.choice(KINDS))
        mode = int(gen.integers(0, 3))
        wide = g.wide and bool(gen.integers(0, 2))
        x = make_vector(g, gen, kind, N)
        res = await drv.encode(x, mode, gen, p_gap=float(gen.choice([0.0, 0.3])), wide=wide)
        check_vector(g, x, mode, *res, stale,
                     f"vector {i} N={N} kind={kind} mode={mode} wide={wide}")
        # Half the time the next start comes in the done_o cycle itself (already the cycle the
        # driver is in); otherwise after a few idle cycles.
        if gen.random() < 0.5:
            for _ in range(int(gen.integers(1, 4))):
                await drv.tick()
                assert not drv.pins["am_we_o"] and not drv.pins["av_we_o"], "write while idle"
    dut._log.info("%d random vectors match the golden encoder", n_vec)


async def cleared_vector(drv: EncoderDriver, x: np.ndarray, mode: int, cut: int) -> None:
    """Start x, send its first ``cut`` elements (the rest of the cycles: flush words), then
    pulse clear_i (the sequencer's ERR_WPTR abort). The encoder must be idle in the next cycle
    and write nothing from then on."""
    p = drv.pins
    p.drive("start_i", 1)
    p.drive("n_i", len(x))
    p.drive("mode_i", mode)
    p.drive("wide_i", 0)
    await drv.tick()
    p.drive("start_i", 0)
    for c in range(cut):
        p.drive("valid_i", int(c < len(x)))
        p.drive("data_i", int(x[c]) & 0xFFFF if c < len(x) else 0)
        await drv.tick()
        if p["done_o"]:
            break
    p.drive("valid_i", 0)
    p.drive("clear_i", 1)
    await drv.tick()
    p.drive("clear_i", 0)
    for _ in range(3):
        assert not p["busy_o"], f"busy_o high after clear_i (cut at {cut} of {len(x)})"
        assert not p["am_we_o"] and not p["av_we_o"] and not p["done_o"], \
            f"write or done_o after clear_i (cut at {cut} of {len(x)})"
        await drv.tick()


@cocotb.test(skip=NEGATIVE)
async def clear_then_encode(dut):
    """clear_i in the middle of the elements or of the flush words, then a whole vector that
    must encode exactly as from reset (no state of the cleared vector survives)."""
    gen = rng()
    g, drv = await setup(dut)
    stale = np.random.default_rng(gen.integers(1 << 32))
    n_vec = env_int("MASR_ENC_VECTORS", 120) // 4
    for i in range(n_vec):
        N = pick_n(g, gen)
        mode = int(gen.integers(0, 3))
        first = make_vector(g, gen, "0.5", N)
        # cut past N lands in the flush words (only when the vector has pad words)
        await cleared_vector(drv, first, mode, int(gen.integers(0, N + 3)))
        x = make_vector(g, gen, str(gen.choice(KINDS)), pick_n(g, gen))
        res = await drv.encode(x, mode, gen, p_gap=0.0, wide=g.wide and bool(i % 2))
        check_vector(g, x, mode, *res, stale, f"vector {i} after a clear (N={len(x)})")
    dut._log.info("%d vectors encode exactly after a clear", n_vec)


@cocotb.test(skip=not NEGATIVE)
async def valid_while_idle_must_fire(dut):
    """One good vector, then an element after done_o: ValidOnlyStreaming_A must stop the run."""
    gen = rng()
    g, drv = await setup(dut)
    x = make_vector(g, gen, "0.5", g.N_MAX)
    res = await drv.encode(x, 1, gen, p_gap=0.0)
    check_vector(g, x, 1, *res, gen, "before the violation")
    drv.pins.drive("valid_i", 1)
    drv.pins.drive("data_i", 5)
    for _ in range(3):
        await drv.tick()
    dut._log.error("still running: the assertion did not stop the simulation")
