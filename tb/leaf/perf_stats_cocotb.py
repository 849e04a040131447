"""cocotb tests of masr_perf_stats (the PERF_* sums counted as the events happen) against a Python
reference.

The reference follows the module's contract (rtl/masr_perf_stats.sv header, docs/architecture.md
section 6): per bank b and event e, a cycle's count is the number of lanes l with
ev_i[l*NumEv + e] = 1 whose parity ev_par_i[l*NumEv + e] is b (any parity in a one-bank build,
where the parity must be 0 wherever the event is 1); event STAT_EV_OWN (1) also adds every
retired_i count (lane l's RetW bits at l*RetW: rows its scanner retired) of the lanes whose
STAT_EV_OWN parity is b. At each rising edge: clear_i zeroes every bank
and drops the cycle's events; else restart_i makes bank restart_bank_i (bank 0 in a one-bank build)
hold that cycle's count; every other bank adds its count. sum_o is the combinational read of the
registered sums of bank rd_bank_i (bank 0 in a one-bank build), event e at bits e*32 +: 32.

Every cycle the test compares sum_o with the reference twice: just after the falling edge, for the
bank read in the previous cycle (the registered state), and after the new inputs settled, for the
newly selected bank (the read is combinational; the cycle's events are not visible yet).
restart_bank_i and rd_bank_i are driven at random in one-bank builds too: they must be ignored.

Environment knobs (set by tests/test_rtl_leaf.py):
  MASR_PS_NL       NL parameter of the build (lanes)
  MASR_PS_BANKS    BANKS parameter of the build (1 or 2)
  MASR_PS_CYCLES   cycles of random stimulus
  MASR_PS_LONG     cycles of the all-events stretch (a sum of NL * MASR_PS_LONG in bank 0)
"""
from __future__ import annotations

import cocotb
import numpy as np
from cocotb.triggers import FallingEdge, RisingEdge

from tb.leaf.common import Pins, env_int, expect, rng, settle, start

NUM_EV = 6    # masr_pkg::STAT_EV_NUM (STAT_EV_MAC .. STAT_EV_STALL)
EV_OWN = 1    # masr_pkg::STAT_EV_OWN: retired_i adds to it
SUM_W = 32
SUM_MASK = (1 << SUM_W) - 1


def pack(bits: np.ndarray) -> int:
    """A (NL, NUM_EV) 0/1 array as the port integer: lane l's event e at bit l*NUM_EV + e."""
    flat = np.ascontiguousarray(bits, dtype=np.uint8).reshape(-1)
    return int.from_bytes(np.packbits(flat, bitorder="little").tobytes(), "little")


class PerfStatsModel:
    """Reference sums: sums[b][e] of bank b, event e (32-bit registers, wrapping)."""

    def __init__(self, banks: int):
        self.banks = banks
        self.sums = [[0] * NUM_EV for _ in range(banks)]

    def reset(self) -> None:
        self.sums = [[0] * NUM_EV for _ in range(self.banks)]

    def counts(self, ev: np.ndarray, par: np.ndarray, ret: np.ndarray) -> list[list[int]]:
        """This cycle's count per bank and event (ret: each lane's retired rows)."""
        if self.banks == 1:
            out = [[int(c) for c in ev.sum(axis=0)]]
            out[0][EV_OWN] += int(ret.sum())
            return out
        out = [[int(c) for c in (ev & (par == b)).sum(axis=0)] for b in range(self.banks)]
        for b in range(self.banks):
            out[b][EV_OWN] += int(ret[par[:, EV_OWN] == b].sum())
        return out

    def edge(self, counts: list[list[int]], clear: int, restart: int, restart_bank: int) -> None:
        """The rising edge: clear wins over restart; restart loads the bank with the count."""
        for b in range(self.banks):
            if clear:
                self.sums[b] = [0] * NUM_EV
            elif restart and (self.banks == 1 or b == restart_bank):
                self.sums[b] = list(counts[b])
            else:
                self.sums[b] = [(s + c) & SUM_MASK for s, c in zip(self.sums[b], counts[b])]

    def read_bank(self, rd_bank: int) -> int:
        return 0 if self.banks == 1 else rd_bank


class PerfStatsDriver:
    """Drives one cycle at a time (inputs after a falling edge) and checks sum_o every cycle."""

    def __init__(self, dut, gen: np.random.Generator):
        self.dut, self.gen = dut, gen
        self.pins = Pins(dut, ["clear_i", "restart_i", "restart_bank_i", "ev_i", "ev_par_i",
                               "retired_i", "rd_bank_i", "sum_o"])
        self.nl = env_int("MASR_PS_NL", 8)
        self.banks = env_int("MASR_PS_BANKS", 1)
        assert self.banks in (1, 2), f"MASR_PS_BANKS={self.banks}"
        assert len(dut.ev_i) == self.nl * NUM_EV, \
            f"ev_i is {len(dut.ev_i)} bits, MASR_PS_NL={self.nl} says {self.nl * NUM_EV}"
        assert len(dut.sum_o) == NUM_EV * SUM_W
        self.ret_w = len(dut.retired_i) // self.nl
        self.model = PerfStatsModel(self.banks)
        self.rd_bank = 0      # what rd_bank_i holds now
        self.cycles = 0
        self.max_sum = 0
        self.seen = {"clear_nonzero": 0, "clear_restart": 0, "restart_own_events": 0,
                     "restart_other_bank_moves": 0, "rd_bank1": 0, "retired_max": 0}

    # -- checking ---------------------------------------------------------------------------------
    def check(self, what: str) -> None:
        """sum_o against the reference for the bank rd_bank_i selects now."""
        got = self.pins["sum_o"]
        bank = self.model.read_bank(self.rd_bank)
        exp = self.model.sums[bank]
        for e in range(NUM_EV):
            g = (got >> (e * SUM_W)) & SUM_MASK
            if g != exp[e]:
                expect(f"sum_o event {e}", g, exp[e],
                       f"cycle {self.cycles} ({what}), rd_bank_i={self.rd_bank} (bank {bank}), "
                       f"model {self.model.sums}")
        self.max_sum = max(self.max_sum, *exp)

    async def check_all_banks(self, what: str) -> None:
        """Read every bank in the current cycle (rd_bank_i is left at the last bank)."""
        for b in range(2):
            self.rd_bank = b
            self.pins.drive("rd_bank_i", b)
            await settle()
            self.check(f"{what}, all banks")

    # -- one cycle --------------------------------------------------------------------------------
    def events(self, p: float, par_p: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """Random events (each bit 1 with probability p) and parities (0 in a one-bank build)."""
        ev = (self.gen.random((self.nl, NUM_EV)) < p).astype(np.uint8)
        if self.banks == 1:
            par = np.zeros_like(ev)
        else:
            par = (self.gen.random((self.nl, NUM_EV)) < par_p).astype(np.uint8)
        return ev, par

    def const_events(self, ev_bit: int, par_bit: int) -> tuple[np.ndarray, np.ndarray]:
        par_bit = par_bit if self.banks > 1 else 0
        return (np.full((self.nl, NUM_EV), ev_bit, dtype=np.uint8),
                np.full((self.nl, NUM_EV), par_bit, dtype=np.uint8))

    def retired(self, p: float) -> np.ndarray:
        """Random retired-row counts per lane (non-zero with probability p, up to all ones)."""
        top = 1 << self.ret_w
        return np.where(self.gen.random(self.nl) < p, self.gen.integers(1, top, self.nl), 0)

    async def cycle(self, ev: np.ndarray, par: np.ndarray, *, clear: int = 0, restart: int = 0,
                    restart_bank: int = 0, rd_bank: int | None = None,
                    ret: np.ndarray | None = None) -> None:
        """Check the registered sums, drive one cycle's inputs, check the new read, step the
        reference at the rising edge and return after the next falling edge."""
        self.check("after the edge")
        pin = self.pins
        if rd_bank is not None:
            self.rd_bank = rd_bank
        pin.drive("ev_i", pack(ev))
        pin.drive("ev_par_i", pack(par))
        ret = np.zeros(self.nl, dtype=np.int64) if ret is None else ret
        pin.drive("retired_i", sum(int(r) << (l * self.ret_w) for l, r in enumerate(ret)))
        self.seen["retired_max"] = max(self.seen["retired_max"], int(ret.max()))
        pin.drive("clear_i", clear)
        pin.drive("restart_i", restart)
        pin.drive("restart_bank_i", restart_bank)
        pin.drive("rd_bank_i", self.rd_bank)
        await settle()
        # Combinational read of the new bank; this cycle's events are not in the sums yet.
        self.check("inputs driven")
        counts = self.model.counts(ev, par, ret)
        self.cover(counts, clear, restart, restart_bank)
        self.model.edge(counts, clear, restart, restart_bank)
        await FallingEdge(self.dut.clk_i)
        self.cycles += 1

    def cover(self, counts: list[list[int]], clear: int, restart: int, restart_bank: int) -> None:
        sums = self.model.sums
        self.seen["clear_nonzero"] += int(bool(clear) and any(any(s) for s in sums))
        self.seen["clear_restart"] += int(bool(clear and restart))
        self.seen["rd_bank1"] += int(self.rd_bank == 1)
        if restart and not clear:
            rb = self.model.read_bank(restart_bank)
            # the restarted bank had a sum and gets events of its own in the restart cycle
            self.seen["restart_own_events"] += int(any(sums[rb]) and any(counts[rb]))
            if self.banks > 1:
                self.seen["restart_other_bank_moves"] += int(any(counts[1 - rb]))


async def setup(dut) -> PerfStatsDriver:
    await start(dut, {"clear_i": 0, "restart_i": 0, "restart_bank_i": 0, "ev_i": 0,
                      "ev_par_i": 0, "retired_i": 0, "rd_bank_i": 0})
    return PerfStatsDriver(dut, rng())


@cocotb.test()
async def random_events(dut):
    """Random events and parities, clear_i ~2 %, restart_i ~5 % with a random bank, rd_bank_i
    random; event density changes every 100 cycles (from none to every lane)."""
    drv = await setup(dut)
    gen = drv.gen
    await drv.check_all_banks("out of reset")
    n_cycles = env_int("MASR_PS_CYCLES", 3000)
    densities = (0.0, 0.05, 0.3, 0.5, 0.8, 1.0)
    p = 0.5
    for cyc in range(n_cycles):
        if cyc % 100 == 0:
            p = float(gen.choice(densities))
        ev, par = drv.events(p, par_p=float(gen.choice((0.1, 0.5, 0.9))))
        await drv.cycle(ev, par, clear=int(gen.random() < 0.02),
                        restart=int(gen.random() < 0.05),
                        restart_bank=int(gen.integers(0, 2)), rd_bank=int(gen.integers(0, 2)),
                        ret=drv.retired(p))
    await drv.check_all_banks("end")
    dut._log.info("perf_stats: NL=%d BANKS=%d, %d cycles, largest sum %d, %s",
                  drv.nl, drv.banks, drv.cycles, drv.max_sum, drv.seen)
    assert drv.seen["clear_nonzero"] and drv.seen["restart_own_events"] and drv.seen["rd_bank1"]
    assert drv.seen["retired_max"] == (1 << drv.ret_w) - 1, "no lane retired its largest count"
    if drv.banks > 1:
        assert drv.seen["restart_other_bank_moves"]


@cocotb.test()
async def restart_clear_corners(dut):
    """Directed: restart with events of the restarted bank in the same cycle, restart with events
    of the other bank only, back-to-back restarts, clear together with restart (clear wins),
    clear with events, and an asynchronous reset in the middle of a cycle."""
    drv = await setup(dut)
    nl, banks = drv.nl, drv.banks
    ones_p0, ones_p1 = drv.const_events(1, 0), drv.const_events(1, 1)
    none = drv.const_events(0, 0)
    # lanes alternate between the banks' parities: both banks count (one-bank: parity 0)
    alt_par = np.zeros((nl, NUM_EV), dtype=np.uint8)
    if banks > 1:
        alt_par[1::2, :] = 1
    alt = (np.ones((nl, NUM_EV), dtype=np.uint8), alt_par)

    # Some history in both banks.
    for i in range(5):
        await drv.cycle(*alt, rd_bank=i % 2)
    await drv.check_all_banks("history")

    for rb in range(banks):
        other = 1 - rb
        # restart of bank rb while every lane reports every event for bank rb: the bank holds
        # exactly this cycle's count (NL per event), the other bank holds its sum.
        await drv.cycle(*(ones_p1 if rb else ones_p0), restart=1, restart_bank=rb, rd_bank=rb)
        await drv.check_all_banks(f"restart of bank {rb} with its own events")
        expect(f"bank {rb} after restart", drv.model.sums[rb][0], nl)
        # restart again at once, now with events of the other bank only (one-bank: none): bank
        # rb drops to 0, the other bank goes on counting.
        others = (ones_p0 if rb else ones_p1) if banks > 1 else none
        await drv.cycle(*others, restart=1, restart_bank=rb, rd_bank=other)
        await drv.check_all_banks(f"restart of bank {rb} with the other bank's events")
        expect(f"bank {rb} after restart without own events", drv.model.sums[rb][0], 0)
        # mixed parities in the restart cycle, then accumulation goes on from the restart value
        await drv.cycle(*alt, restart=1, restart_bank=rb, rd_bank=rb)
        await drv.cycle(*alt, rd_bank=rb)
        await drv.check_all_banks(f"accumulation after the restart of bank {rb}")

    # clear together with restart (of each bank), every event on: clear wins, all sums are 0.
    for rb in range(banks):
        for _ in range(3):
            await drv.cycle(*alt)
        await drv.cycle(*alt, clear=1, restart=1, restart_bank=rb)
        await drv.check_all_banks(f"clear with restart of bank {rb}")
        assert not any(any(s) for s in drv.model.sums)
    # clear with events for both banks: they are dropped; then counting restarts from 0.
    await drv.cycle(*alt)
    await drv.cycle(*alt, clear=1)
    await drv.check_all_banks("clear with events")
    await drv.cycle(*alt, clear=1)   # two clears in a row
    await drv.cycle(*ones_p0)
    await drv.check_all_banks("first cycle after the clears")

    # Restart of a one-bank build ignores restart_bank_i (drives 1 to show it).
    if banks == 1:
        await drv.cycle(*ones_p0)
        await drv.cycle(*ones_p0, restart=1, restart_bank=1)
        await drv.check_all_banks("one-bank restart, restart_bank_i = 1")
        expect("bank 0 after restart", drv.model.sums[0][0], nl)

    # Asynchronous reset in the middle of a cycle, with every event on: the sums are 0 at once
    # and stay 0 over a rising edge while rst_ni is low.
    await drv.cycle(*alt)
    await drv.cycle(*alt)
    pin = drv.pins
    pin.drive("ev_i", pack(alt[0]))
    pin.drive("ev_par_i", pack(alt[1]))
    dut.rst_ni.value = 0
    await settle()
    drv.model.reset()
    await drv.check_all_banks("asynchronous reset")
    await RisingEdge(dut.clk_i)
    await FallingEdge(dut.clk_i)
    await drv.check_all_banks("rising edge under reset")
    dut.rst_ni.value = 1   # released after a falling edge: the next rising edge counts
    await drv.cycle(*alt)
    await drv.check_all_banks("after the reset")


@cocotb.test()
async def long_accumulation(dut):
    """Every lane reports every event for bank 0 for MASR_PS_LONG cycles: bank 0 reaches
    NL * MASR_PS_LONG per event (past the count width, past 16 bits in the Verilator job); bank 1
    keeps its sum. Then a restart of bank 0 brings it back to one cycle's count."""
    drv = await setup(dut)
    n_long = env_int("MASR_PS_LONG", 1000)
    ev, par = drv.const_events(1, 0)
    if drv.banks > 1:
        # first some counts in bank 1, which must survive the stretch untouched
        for _ in range(3):
            await drv.cycle(*drv.const_events(1, 1))
    for cyc in range(n_long):
        await drv.cycle(ev, par, rd_bank=cyc % 2)
    await drv.check_all_banks("end of the stretch")
    expect("bank 0 sum", drv.model.sums[0][0], drv.nl * n_long)
    dut._log.info("perf_stats: bank 0 sums reached %d after %d cycles", drv.model.sums[0][0],
                  n_long)
    await drv.cycle(ev, par, restart=1, restart_bank=0, rd_bank=0)
    await drv.check_all_banks("restart after the stretch")
