"""cocotb tests of masr_prefix_addr (prefix-sum address unit) against a Python reference.

The reference is written from docs/architecture.md sections 4 and 5, not from the RTL:
for each row it lists the cycle events (one op per effective bit, lowest first, addresses from
the prefix-sum formula; one empty cycle per word without effective bits). The driver plays the
lane: it answers word_o with that word's masks (the lane's combinational SRAM read), injects
stalls, starts rows back to back or with gaps, and aborts rows with clr_i. Every cycle is compared.

Environment knobs (set by tests/test_rtl_leaf.py):
  MASR_PA_KW        KW parameter of the build (max words per row)
  MASR_PA_WADDRW    WAddrW of the build
  MASR_PA_AADDRW    AAddrW of the build
  MASR_PA_ROWS      number of random multi-word rows
  MASR_PA_EXHAUSTIVE  1: run the exhaustive single-word test (only sensible for B = 8)
  MASR_PA_EXH_SLICE   "i/n": this run covers the weight masks wm with wm % n == i, so that the
                      exhaustive sweep can be split over parallel simulations (default "0/1")
"""
from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field

import cocotb
from cocotb.triggers import FallingEdge

from tb.leaf.common import Pins, env_int, expect, rng, settle, start


def popcount(x: int) -> int:
    return bin(x).count("1")


@dataclass
class Event:
    k: int             # word index
    op: bool           # an op is issued (else: empty-word cycle)
    w_addr: int = 0
    a_addr: int = 0
    last: bool = False  # last cycle of the row


@dataclass
class Row:
    rowptr: int
    abase: int
    words: list[tuple[int, int]]  # (weight mask, activation mask) per word
    events: list[Event] = field(default_factory=list)


def reference_events(row: Row, b_width: int, waddr_w: int, aaddr_w: int) -> list[Event]:
    """Contract section 4: pw[0] = rowptr, pa[0] = abase; for each effective bit b of word k,
    w = pw[k] + popcount(Mw & ((1<<b)-1)), a = pa[k] + popcount(Ma & ((1<<b)-1)); a word with no
    effective bit costs one empty cycle."""
    events: list[Event] = []
    pw, pa = row.rowptr, row.abase
    n_words = len(row.words)
    for k, (wm, am) in enumerate(row.words):
        eff = wm & am
        last_word = k == n_words - 1
        bits = [b for b in range(b_width) if (eff >> b) & 1]
        if not bits:
            events.append(Event(k, False, last=last_word))
        for i, b in enumerate(bits):
            below = (1 << b) - 1
            events.append(Event(k, True,
                                (pw + popcount(wm & below)) % (1 << waddr_w),
                                (pa + popcount(am & below)) % (1 << aaddr_w),
                                last_word and i == len(bits) - 1))
        pw += popcount(wm)
        pa += popcount(am)
    return events


class Ctx:
    """Failure context, formatted only when a check fails."""

    def __init__(self, drv, row, idx):
        self.cycle, self.rows_done, self.row, self.idx = drv.cycles, drv.rows_done, row, idx

    def __str__(self):
        if self.row is None:
            return f"cycle {self.cycle} (idle, {self.rows_done} rows done)"
        words = ", ".join(f"({w:#x},{a:#x})" for w, a in self.row.words)
        return (f"cycle {self.cycle}, row #{self.rows_done} rowptr={self.row.rowptr:#x} "
                f"abase={self.row.abase:#x} words=[{words}], expected event {self.idx}: "
                f"{self.row.events[self.idx]}")


class Driver:
    """Plays the lane around the address unit and checks every cycle against the events."""

    def __init__(self, dut, gen, b_width: int, kw: int, waddr_w: int, aaddr_w: int):
        self.dut, self.gen = dut, gen
        self.b, self.kw, self.waddr_w, self.aaddr_w = b_width, kw, waddr_w, aaddr_w
        self.cycles = 0
        self.ops = 0
        self.stalls = 0
        self.aborted = 0
        self.rows_done = 0
        self.pins = Pins(dut, ["clr_i", "row_start_i", "rowptr_i", "abase_i", "nwords_i",
                               "busy_o", "word_o", "wmask_i", "amask_i", "stall_i", "op_valid_o",
                               "w_addr_o", "a_addr_o", "row_last_o", "row_zero_o"])
        self.drive = self.pins.drive

    def make_row(self, rowptr: int, abase: int, words: list[tuple[int, int]]) -> Row:
        row = Row(rowptr, abase, words)
        row.events = reference_events(row, self.b, self.waddr_w, self.aaddr_w)
        return row

    async def run(self, rows: list[Row], p_stall: float = 0.0, p_gap: float = 0.0,
                  p_clr: float = 0.0, stall_fn=None) -> None:
        dut, gen, pin = self.dut, self.gen, self.pins
        pending = deque(rows)
        cur: Row | None = None
        idx = 0
        any_op = False
        full_mask = (1 << self.b) - 1
        while pending or cur is not None:
            ctx = Ctx(self, cur, idx)
            # --- registered state of this cycle
            expect("busy_o", pin["busy_o"], int(cur is not None), ctx)
            ev = None
            if cur is not None:
                ev = cur.events[idx]
                expect("word_o", pin["word_o"], ev.k, ctx)
                wm, am = cur.words[ev.k]
            else:
                # Idle: the lane's SRAM output is whatever; nothing may be issued.
                wm, am = int(gen.integers(0, full_mask + 1)), int(gen.integers(0, full_mask + 1))
            stall = stall_fn(self.cycles) if stall_fn else bool(gen.random() < p_stall)
            self.drive("wmask_i", wm)
            self.drive("amask_i", am)
            self.drive("stall_i", int(stall))
            self.drive("row_start_i", 0)
            self.drive("clr_i", 0)
            await settle()
            # --- combinational outputs of this cycle
            op_valid = pin["op_valid_o"]
            row_last = pin["row_last_o"]
            ended = False
            if ev is None:
                expect("op_valid_o (idle)", op_valid, 0, ctx)
                expect("row_last_o (idle)", row_last, 0, ctx)
            elif ev.op and stall:
                self.stalls += 1
                expect("op_valid_o (stalled)", op_valid, 0, ctx)
                expect("row_last_o (stalled)", row_last, 0, ctx)
            elif ev.op:
                expect("op_valid_o", op_valid, 1, ctx)
                expect("w_addr_o", pin["w_addr_o"], ev.w_addr, ctx)
                expect("a_addr_o", pin["a_addr_o"], ev.a_addr, ctx)
                expect("row_last_o", row_last, int(ev.last), ctx)
                if ev.last:
                    expect("row_zero_o", pin["row_zero_o"], 0, ctx)
                self.ops += 1
                any_op = True
                idx += 1
                ended = ev.last
            else:
                # Empty word: one cycle, not stalled even with stall_i = 1.
                expect("op_valid_o (empty word)", op_valid, 0, ctx)
                expect("row_last_o (empty word)", row_last, int(ev.last), ctx)
                if ev.last:
                    expect("row_zero_o", pin["row_zero_o"], int(not any_op), ctx)
                idx += 1
                ended = ev.last
            # --- the lane's decisions for this cycle (take effect at the rising edge)
            if ended:
                self.rows_done += 1
            if cur is not None and not ended and p_clr and gen.random() < p_clr:
                self.drive("clr_i", 1)
                self.aborted += 1
                cur = None
            elif (cur is None or ended) and pending and not (p_gap and gen.random() < p_gap):
                nxt = pending.popleft()
                self.drive("rowptr_i", nxt.rowptr)
                self.drive("abase_i", nxt.abase)
                self.drive("nwords_i", len(nxt.words))
                self.drive("row_start_i", 1)
                cur, idx, any_op = nxt, 0, False
            elif ended:
                cur = None
            await FallingEdge(dut.clk_i)
            self.cycles += 1
        # One idle cycle at the end: busy must have dropped.
        expect("busy_o (end)", pin["busy_o"], 0, "(end)")


def params():
    return (env_int("MASR_PA_KW", 4), env_int("MASR_PA_WADDRW", 16), env_int("MASR_PA_AADDRW", 10))


async def setup(dut):
    b_width = len(dut.wmask_i)
    kw, waddr_w, aaddr_w = params()
    await start(dut, {"clr_i": 0, "row_start_i": 0, "rowptr_i": 0, "abase_i": 0, "nwords_i": 1,
                      "wmask_i": 0, "amask_i": 0, "stall_i": 0})
    return Driver(dut, rng(), b_width, kw, waddr_w, aaddr_w)


def rand_mask(gen, b_width: int) -> int:
    """Masks with the corner densities the encoder produces: zero, one bit, sparse, half, dense,
    all ones, and set bits at the word edges."""
    full = (1 << b_width) - 1
    style = gen.integers(0, 8)
    if style == 0:
        return 0
    if style == 1:
        return full
    if style == 2:
        return 1 << int(gen.integers(0, b_width))
    if style == 3:
        return (1 | (1 << (b_width - 1))) & full
    density = (0.1, 0.5, 0.9, 0.5)[style - 4]
    bits = gen.random(b_width) < density
    return int(sum(1 << i for i in range(b_width) if bits[i]))


def rand_rows(drv: Driver, n_rows: int, max_words: int) -> list[Row]:
    gen = drv.gen
    rows = []
    for _ in range(n_rows):
        k = int(gen.integers(1, max_words + 1))
        words = [(rand_mask(gen, drv.b), rand_mask(gen, drv.b)) for _ in range(k)]
        # Keep the prefix sums inside the address widths (the RTL asserts they never wrap).
        rowptr = int(gen.integers(0, (1 << drv.waddr_w) - k * drv.b))
        abase = int(gen.integers(0, (1 << drv.aaddr_w) - k * drv.b))
        rows.append(drv.make_row(rowptr, abase, words))
    return rows


@cocotb.test()
async def directed(dut):
    """Corner rows: all-zero row, all-ones words, empty word under stall, back-to-back rows."""
    drv = await setup(dut)
    b, kw = drv.b, drv.kw
    full = (1 << b) - 1
    rows = [
        drv.make_row(5, 3, [(0, 0)] * kw),                     # empty row: K empty cycles
        drv.make_row(0, 0, [(full, full)] * kw),               # every bit effective
        drv.make_row(100, 7, [(full, 0), (0, full)] * max(1, kw // 2)),  # null ops only
        drv.make_row(9, 1, [(1 << (b - 1), 1 << (b - 1))]),    # single op at the top bit
        drv.make_row(1, 2, [(1, 1)]),                          # single op at bit 0
        drv.make_row(33, 44, [(0xA5A5A5A5 & full, 0x0FF00FF0 & full)] * kw),
    ]
    await drv.run(rows)
    # Stall held high: empty words still advance, ops wait; release after 5 cycles.
    row = drv.make_row(10, 20, [(0, full), (full, full)] if kw > 1 else [(full, full)])
    t0 = drv.cycles
    await drv.run([row], stall_fn=lambda c: c - t0 < 5)
    # Back-to-back single-op rows, then with random stalls.
    await drv.run([drv.make_row(i, i, [(1 << (i % b), 1 << (i % b))]) for i in range(20)])
    await drv.run(rand_rows(drv, 50, kw), p_stall=0.5)
    dut._log.info("directed: %d cycles, %d ops, %d stall cycles", drv.cycles, drv.ops, drv.stalls)


@cocotb.test(skip=env_int("MASR_PA_EXHAUSTIVE", 0) == 0)
async def exhaustive_single_word(dut):
    """Every (wmask, amask) pair as a single-word row, back to back (B = 8: 65536 rows)."""
    drv = await setup(dut)
    b = drv.b
    gen = drv.gen
    part, n_parts = (int(x) for x in os.environ.get("MASR_PA_EXH_SLICE", "0/1").split("/"))
    rows = []
    for wm in range(part, 1 << b, n_parts):
        for am in range(1 << b):
            rowptr = int(gen.integers(0, (1 << drv.waddr_w) - b))
            abase = int(gen.integers(0, (1 << drv.aaddr_w) - b))
            rows.append(drv.make_row(rowptr, abase, [(wm, am)]))
    await drv.run(rows, p_stall=0.05, p_gap=0.01)
    assert drv.rows_done == len(rows)
    dut._log.info("exhaustive slice %d/%d: %d rows, %d cycles, %d ops, %d stall cycles",
                  part, n_parts, len(rows), drv.cycles, drv.ops, drv.stalls)


@cocotb.test()
async def random_rows(dut):
    """Random multi-word rows (K = 1..KW), random rowptr/abase, stalls, gaps and aborts."""
    drv = await setup(dut)
    n_rows = env_int("MASR_PA_ROWS", 1000)
    # Three phases with different stall pressure; aborts only in the last.
    third = max(1, n_rows // 3)
    await drv.run(rand_rows(drv, third, drv.kw))
    await drv.run(rand_rows(drv, third, drv.kw), p_stall=0.3, p_gap=0.1)
    await drv.run(rand_rows(drv, n_rows - 2 * third, drv.kw), p_stall=0.6, p_gap=0.05, p_clr=0.02)
    dut._log.info("random: %d rows done, %d aborted, %d cycles, %d ops, %d stall cycles",
                  drv.rows_done, drv.aborted, drv.cycles, drv.ops, drv.stalls)
