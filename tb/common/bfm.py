"""Bus-functional model of masr_top (plain cocotb, no UVM).

Everything the testbench does to the DUT goes through the ports of masr_top (the build exposes
nothing else): the register bus, the memory port, ``bd_load_i``/``bd_dump_i`` and
``done_o``/``irq_o`` (docs/architecture.md section 6).

Timing discipline (one rule, used everywhere): inputs are driven right after a falling clock
edge and sampled by the RTL on the following rising edge; registered outputs (``mem_rdata_o``)
are read at the next falling edge.  Register reads are combinational and need no clock edge.
Between transactions the RTL runs free: ``start_and_wait`` waits on ``done_o`` raced against one
``Timer`` watchdog, so Python is not woken on every clock edge.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.queue import Queue
from cocotb.triggers import Event, FallingEdge, First, RisingEdge, Timer
from cocotb.utils import get_sim_time

from golden.config import HwConfig

CLK_PERIOD_NS = 10

# Register word addresses (contract section 6).
REG = {
    "CTRL": 0x00, "STATUS": 0x01, "ERR_CODE": 0x02, "CFG_M": 0x03, "CFG_N": 0x04,
    "CFG_MODE": 0x05, "CFG_REP_ROWS": 0x06, "CFG_SHIFT": 0x07,
    "PERF_CYCLES": 0x08, "PERF_MAC_BUSY": 0x09, "PERF_STEAL_GRANTED": 0x0A,
    "PERF_STEAL_REFUSED": 0x0B, "PERF_STALL": 0x0C, "PERF_IDLE": 0x0D, "PERF_ROWS_DONE": 0x0E,
    "CAPS": 0x0F, "CAPS2": 0x10, "CAPS3": 0x11, "CFG_FEAT": 0x12,
    # GRU layer (docs/gru-layer.md 8.3); 0x13 .. 0x1F and >= 0x2B are unknown registers.
    "CFG_GRU_I": 0x20, "CFG_GRU_HD": 0x21, "CFG_GRU_T": 0x22, "CFG_GRU_THR": 0x23,
    "CFG_GRU_DIR": 0x24, "GRU_STEPS": 0x25, "PERF_GRU_CYCLES": 0x26,
    "PERF_GRU_MAC_BUSY": 0x27, "PERF_GRU_STEALS": 0x28, "CAPS4": 0x29, "CAPS5": 0x2A,
}
# Register addresses that are unknown (ERR_REG on write, read 0) below the dump's 64.
UNKNOWN_REGS = tuple(range(0x13, 0x20)) + tuple(range(0x2B, 0x40))
PERF_REGS = ("PERF_CYCLES", "PERF_MAC_BUSY", "PERF_STEAL_GRANTED", "PERF_STEAL_REFUSED",
             "PERF_STALL", "PERF_IDLE", "PERF_ROWS_DONE")
READ_ONLY_REGS = ("STATUS", "ERR_CODE", *PERF_REGS, "CAPS", "CAPS2", "CAPS3", "CAPS5")
CFG_REGS = ("CFG_M", "CFG_N", "CFG_MODE", "CFG_REP_ROWS", "CFG_SHIFT", "CFG_FEAT")
# Registers whose reset value is not 0 (contract section 6).
REG_RESET_VALUES = {"CFG_SHIFT": 6}
GRU_CFG_REGS = ("CFG_GRU_I", "CFG_GRU_HD", "CFG_GRU_T", "CFG_GRU_THR", "CFG_GRU_DIR")
GRU_PERF_REGS = ("GRU_STEPS", "PERF_GRU_CYCLES", "PERF_GRU_MAC_BUSY", "PERF_GRU_STEALS")
GRU_READ_ONLY_REGS = (*GRU_PERF_REGS, "CAPS4")
N_DUMP_REGS = 64          # regs.dump.hex covers register addresses 0 .. 63
CTRL_START = 1 << 0
CTRL_CLEAR = 1 << 1
CTRL_GRU_X = 1 << 2       # start a GRU X phase
CTRL_GRU_H = 1 << 3       # start a GRU H phase
STATUS_BUSY = 1 << 0
STATUS_DONE = 1 << 1
STATUS_ERROR = 1 << 2

# Memory selects (contract section 6).
MEM_MASK, MEM_ROWPTR, MEM_WEIGHT, MEM_AMASK, MEM_AVAL, MEM_BIAS, MEM_Y, MEM_STATS = range(8)
MEM_XBUF, MEM_HBUF, MEM_GX, MEM_HOUT, MEM_STEP = range(8, 13)   # GRU (docs/gru-layer.md 8.4)
MEM_PLAN = 13                                                    # split plan registers
MEM_NAMES = ("mask", "rowptr", "weight", "amask", "aval", "bias", "y", "stats",
             "xbuf", "hbuf", "gx", "hout", "step", "plan")

# Error codes of the GRU layer (docs/gru-layer.md 8.5), after codes 0..8 of section 7.
ERR_SEQ_LEN, ERR_THR, ERR_GRU_DIM, ERR_CMD = 9, 10, 11, 12
GRU_ERR_NAMES = {ERR_SEQ_LEN: "ERR_SEQ_LEN", ERR_THR: "ERR_THR", ERR_GRU_DIM: "ERR_GRU_DIM",
                 ERR_CMD: "ERR_CMD"}
LANE_STAT_NAMES = ("MAC_BUSY", "ROWS_OWN", "ROWS_STOLEN", "ROWS_LOST", "REFUSED", "IDLE", "FLAGS")


def to_signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def caps_expected(hw: HwConfig) -> dict[str, int]:
    """CAPS registers the DUT must report for ``hw``."""
    return {
        "CAPS": (hw.B << 24) | (hw.V << 16) | (hw.H << 8) | 0x4D,
        "CAPS2": (hw.M_MAX << 16) | hw.N_MAX,
        "CAPS3": (hw.WDEPTH << 16) | hw.SLOTS,
        "CAPS5": hw.feat_available,
    }


class MasrBfm:
    """Drives and observes masr_top's ports; knows nothing about UVM or the golden model."""

    RESET_NAMES = (("rst_ni", 0), ("rst_n", 0), ("rst_i", 1), ("rst", 1), ("reset", 1))

    def __init__(self, dut: Any, hw: HwConfig, bd_dir: Path | None = None) -> None:
        self.dut = dut
        self.hw = hw
        self.clk = dut.clk_i
        self.bd_dir = Path(bd_dir) if bd_dir is not None else default_bd_dir()
        self._rst, self._rst_active = self._find_reset()
        self._clock_started = False
        self._edge_time: int | None = None   # sim time of the falling edge we may drive at
        # Handshake between the UVM driver and monitor: the driver puts a context here after
        # ``done``; the monitor reads the DUT back and sets ``readback_done``.
        self.done_queue: Queue = Queue()
        self.readback_done = Event()
        # irq_o watcher: woken only on irq edges (never per clock).
        self.irq_count = 0
        self.irq_bad_width: list[float] = []
        self._irq_task = None

    # -- setup ----------------------------------------------------------------------------------
    def _find_reset(self):
        for name, active in self.RESET_NAMES:
            try:
                return getattr(self.dut, name), active
            except AttributeError:
                continue
        raise AttributeError("masr_top has no reset port named any of "
                             + ", ".join(n for n, _ in self.RESET_NAMES))

    def start_clock(self) -> None:
        if not self._clock_started:
            Clock(self.clk, CLK_PERIOD_NS, unit="ns").start()
            self._clock_started = True
        if self._irq_task is None:
            self._irq_task = cocotb.start_soon(self._watch_irq())

    async def _watch_irq(self) -> None:
        """Count irq_o pulses and record any pulse that is not exactly one cycle wide."""
        irq = self.dut.irq_o
        while True:
            await RisingEdge(irq)
            t0 = get_sim_time("ns")
            self.irq_count += 1
            await FallingEdge(irq)
            width = get_sim_time("ns") - t0
            if abs(width - CLK_PERIOD_NS) > 1e-6:
                self.irq_bad_width.append(width / CLK_PERIOD_NS)

    def _drive_idle(self) -> None:
        d = self.dut
        for sig in ("reg_addr_i", "reg_wdata_i", "reg_we_i", "mem_sel_i", "mem_unit_i",
                    "mem_addr_i", "mem_wdata_i", "mem_we_i", "mem_re_i", "bd_load_i",
                    "bd_dump_i", "bd_dump_gru_i"):
            getattr(d, sig).value = 0

    async def reset(self, cycles: int = 5) -> None:
        """Reset for ``cycles`` clock cycles, then two idle cycles. ``rdata_at_reset`` keeps
        mem_rdata_o at each of those falling edges (-1 for X/Z): no read was requested, so the
        contract says 0 (a read-valid register that resets to 1 shows the memory word at the
        reset address instead; issue #16)."""
        self.start_clock()
        self._drive_idle()
        self._rst.value = self._rst_active
        self.rdata_at_reset: list[int] = []
        for _ in range(cycles):
            await FallingEdge(self.clk)
            self.rdata_at_reset.append(self._rdata_or_minus_one())
        self._rst.value = 1 - self._rst_active
        for _ in range(2):
            await FallingEdge(self.clk)
            self.rdata_at_reset.append(self._rdata_or_minus_one())
        self._edge_time = get_sim_time("step")

    async def read_then_reset(self, sel: int, unit: int, addr: int) -> tuple[int, int]:
        """Back-to-back reads of one word; rst_ni falls in the cycle the first one's data shows,
        with the second still requested.  Returns (that data, mem_rdata_o 1 ns after rst_ni
        fell): reset wins over the request, so the second is 0 -- a read-valid flag that waits
        for a clock edge, or whose block ignores the reset (its else branch then loads the
        pending request at the reset edge), still shows the word.  Then ``reset`` runs."""
        d = self.dut
        await self._falling()
        self._drive_read(sel, unit, addr)
        await self._next_falling()
        word = known_int(d.mem_rdata_o, f"memory sel {sel} unit {unit} addr {addr}")
        self._rst.value = self._rst_active                   # the request is still on
        await Timer(1, unit="ns")
        during = self._rdata_or_minus_one()
        await self.reset()
        return word, during

    async def registers_after_reset(self, names: Iterable[str]) -> list[tuple[str, int, int]]:
        """(register, reset value, value read now) for ``names``, then STATUS and ERR_CODE."""
        return [(n, REG_RESET_VALUES.get(n, 0), await self.read_reg(n))
                for n in (*names, "STATUS", "ERR_CODE")]

    def first_rdata_at_reset(self) -> int:
        """The first non-zero mem_rdata_o sample of the last ``reset`` (0: all were 0)."""
        return next((v for v in self.rdata_at_reset if v != 0), 0)

    def _rdata_or_minus_one(self) -> int:
        value = self.dut.mem_rdata_o.value
        return int(value) if getattr(value, "is_resolvable", True) else -1

    # -- clock alignment ------------------------------------------------------------------------
    async def _falling(self) -> None:
        """Be at a falling edge where inputs may be driven (reuse the current one if unused)."""
        if self._edge_time is None or get_sim_time("step") != self._edge_time:
            await FallingEdge(self.clk)
        self._edge_time = get_sim_time("step")

    async def _next_falling(self) -> None:
        await FallingEdge(self.clk)
        self._edge_time = get_sim_time("step")

    async def idle_cycles(self, n: int) -> None:
        """Let ``n`` clock cycles pass (one Timer, no per-edge wake-ups).

        The Timer ends 1 ns before the n-th falling edge and the edge itself is awaited: a Timer
        that ends exactly on the edge fires before the clock's own edge in that time step, and
        an input driven there would be sampled as a zero-width pulse."""
        await self._falling()
        if n > 0:
            await Timer(n * CLK_PERIOD_NS - 1, unit="ns")
            await self._next_falling()

    # -- register bus ---------------------------------------------------------------------------
    async def write_reg(self, addr: int | str, data: int) -> None:
        addr = REG[addr] if isinstance(addr, str) else addr
        await self._falling()
        d = self.dut
        d.reg_addr_i.value = addr
        d.reg_wdata_i.value = data & 0xFFFFFFFF
        d.reg_we_i.value = 1
        await self._next_falling()
        d.reg_we_i.value = 0

    async def read_reg(self, addr: int | str) -> int:
        """Combinational read: drive the address, let it settle, sample."""
        addr = REG[addr] if isinstance(addr, str) else addr
        self.dut.reg_addr_i.value = addr
        await Timer(1, unit="ns")
        return known_int(self.dut.reg_rdata_o, f"register 0x{addr:02x} (reg_rdata_o)")

    async def read_regs(self, names: Iterable[str]) -> dict[str, int]:
        return {n: await self.read_reg(n) for n in names}

    # -- memory port ----------------------------------------------------------------------------
    async def mem_write(self, sel: int, unit: int, addr: int, data: int) -> None:
        await self.mem_write_burst([(sel, unit, addr, data)])

    async def mem_write_burst(self, writes: Iterable[tuple[int, int, int, int]]) -> int:
        """One write per clock cycle; returns the number of words written."""
        d = self.dut
        await self._falling()
        n = 0
        for sel, unit, addr, data in writes:
            d.mem_sel_i.value = sel
            d.mem_unit_i.value = unit & 0xFFFF
            d.mem_addr_i.value = addr & 0xFFFF
            d.mem_wdata_i.value = data & 0xFFFFFFFF
            d.mem_we_i.value = 1
            await self._next_falling()
            n += 1
        d.mem_we_i.value = 0
        return n

    def _drive_read(self, sel: int, unit: int, addr: int) -> None:
        d = self.dut
        d.mem_sel_i.value = sel
        d.mem_unit_i.value = unit & 0xFFFF
        d.mem_addr_i.value = addr & 0xFFFF
        d.mem_re_i.value = 1

    async def mem_read(self, sel: int, unit: int, addr: int) -> int:
        return (await self.mem_read_burst([(sel, unit, addr)]))[0]

    async def mem_read_burst(self, reads: Sequence[tuple[int, int, int]]) -> list[int]:
        """Pipelined reads: address in cycle t, registered data sampled at the next falling edge."""
        d = self.dut
        out: list[int] = []
        if not reads:
            return out
        await self._falling()
        for sel, unit, addr in reads:
            self._drive_read(sel, unit, addr)
            await self._next_falling()
            out.append(known_int(d.mem_rdata_o, f"memory sel {sel} unit {unit} addr {addr} "
                                                f"(mem_rdata_o)"))
        d.mem_re_i.value = 0
        return out

    # -- loading --------------------------------------------------------------------------------
    async def backdoor_load(self, image: Any, bd_dir: Path | None = None) -> None:
        """Write the image's $readmemh files, then pulse bd_load_i (simulation-only backdoor)."""
        target = Path(bd_dir) if bd_dir is not None else self.bd_dir
        image.write_hex(target)
        await self._falling()
        self.dut.bd_load_i.value = 1
        await self._next_falling()
        self.dut.bd_load_i.value = 0
        await self._next_falling()

    async def frontdoor_load(self, image: Any) -> int:
        """Write every word the product reads through the memory port; returns words written."""
        return await self.mem_write_burst(image.images_for_frontdoor())

    # -- configuration and run ------------------------------------------------------------------
    async def configure(self, regs: dict[str, int]) -> None:
        for name in CFG_REGS:
            if name in regs:
                await self.write_reg(name, regs[name])

    async def clear(self) -> None:
        await self.write_reg("CTRL", CTRL_CLEAR)

    async def start(self) -> None:
        await self.write_reg("CTRL", CTRL_START)

    async def wait_done(self, timeout_cycles: int) -> tuple[bool, int]:
        """Wait for done_o (already high counts) or the watchdog; returns (done, cycles waited)."""
        t0 = get_sim_time("ns")
        if known_int(self.dut.done_o, "done_o") != 1:
            watchdog = Timer(max(1, timeout_cycles) * CLK_PERIOD_NS, unit="ns")
            await First(RisingEdge(self.dut.done_o), watchdog)
        done = known_int(self.dut.done_o, "done_o") == 1
        waited = int(round((get_sim_time("ns") - t0) / CLK_PERIOD_NS))
        await self._next_falling()
        return done, waited

    async def start_and_wait(self, timeout_cycles: int) -> tuple[bool, int]:
        await self.start()
        return await self.wait_done(timeout_cycles)

    # -- readback -------------------------------------------------------------------------------
    async def read_counters(self) -> dict[str, int]:
        return await self.read_regs(PERF_REGS)

    async def read_status(self) -> dict[str, int]:
        st = await self.read_reg("STATUS")
        return {"STATUS": st, "busy": st & 1, "done": (st >> 1) & 1, "error": (st >> 2) & 1,
                "ERR_CODE": await self.read_reg("ERR_CODE")}

    async def read_lane_stats(self) -> dict[tuple[int, int], dict[str, int]]:
        hw = self.hw
        reads = [(MEM_STATS, hw.lane_index(h, v), a)
                 for h, v in hw.lanes() for a in range(len(LANE_STAT_NAMES))]
        words = await self.mem_read_burst(reads)
        out: dict[tuple[int, int], dict[str, int]] = {}
        it = iter(words)
        for h, v in hw.lanes():
            out[(h, v)] = {name: next(it) for name in LANE_STAT_NAMES}
        return out

    async def read_outputs(self, M: int) -> list[int]:
        words = await self.mem_read_burst([(MEM_Y, 0, r) for r in range(M)])
        return [to_signed(w, 16) for w in words]

    # -- simulation-only dump -------------------------------------------------------------------
    async def dump(self) -> "DumpedResults":
        """Pulse bd_dump_i and read the files it writes (y, lane statistics, registers).

        Costs two clock cycles instead of the ~M + 7*H*V memory-port reads of the frontdoor.
        """
        words = await self.dump_files(("y", "stats", "regs"), ("bd_dump_i",))
        return DumpedResults(self.hw, words["y"], words["stats"], words["regs"])

    async def dump_files(self, names: Sequence[str], pins: Sequence[str]) -> dict[str, np.ndarray]:
        """Pulse the dump ``pins`` for one cycle and read ``<name>.dump.hex`` for every name.
        The files are rewritten by every dump, so stale files from an earlier dump never pass:
        they are deleted first and a missing file is an error."""
        self.bd_dir.mkdir(parents=True, exist_ok=True)   # a frontdoor-only run never made it
        paths = {n: self.bd_dir / f"{n}.dump.hex" for n in names}
        for path in paths.values():
            path.unlink(missing_ok=True)
        await self._falling()
        for pin in pins:
            getattr(self.dut, pin).value = 1
        await self._next_falling()
        for pin in pins:
            getattr(self.dut, pin).value = 0
        missing = [p.name for p in paths.values() if not p.exists()]
        if missing:
            raise RuntimeError(f"{' + '.join(pins)} wrote no {', '.join(missing)} in {self.bd_dir} "
                               f"(is +masr_bd_dir set?)")
        return {n: read_hex_words(p) for n, p in paths.items()}


class UnknownValueError(RuntimeError):
    """An output the testbench reads holds X or Z after reset (a 4-state simulator's finding;
    Verilator's 2-state model turns the same bits into 0 or 1).  The monitors record it as a
    failure of the product that read it."""


def known_int(signal: Any, what: str) -> int:
    """The signal's value as an int; UnknownValueError naming ``what`` if any bit is X or Z."""
    value = signal.value
    if not getattr(value, "is_resolvable", True):
        raise UnknownValueError(f"{what} holds X/Z: {value}")
    return int(value)


_UNKNOWN_DIGIT = re.compile(r"[xXzZ]")


def read_hex_words(path: Path) -> np.ndarray:
    """Words of a $writememh file. Icarus adds ``// 0x..`` address comments; Verilator does
    not. ``@address`` lines are produced by neither.  A word with an x/z digit (Icarus writes
    them for unknown bits) raises UnknownValueError naming the file and the word."""
    text = path.read_text()
    if "//" in text:
        tokens = [t for line in text.splitlines() for t in line.split("//", 1)[0].split()]
    else:
        tokens = text.split()
    if _UNKNOWN_DIGIT.search("".join(tokens)):
        bad = [i for i, t in enumerate(tokens) if _UNKNOWN_DIGIT.search(t)]
        raise UnknownValueError(f"{path.name}: {len(bad)} of {len(tokens)} words hold X/Z, "
                                f"first word {bad[0]} = {tokens[bad[0]]!r}")
    widths = set(map(len, tokens))
    if len(widths) == 1 and (width := widths.pop()) in (2, 4, 8, 16):
        # One fixed width, as $writememh writes: decode all words at once (a parse per word
        # was a third of the monitor's time on 8x8).
        raw = bytes.fromhex("".join(tokens))
        return np.frombuffer(raw, dtype=f">u{width // 2}").astype(np.int64)
    return np.array([int(t, 16) for t in tokens], dtype=np.int64)


class DumpedResults:
    """What one bd_dump_i pulse captured, in the shapes the monitor needs."""

    def __init__(self, hw: HwConfig, y: np.ndarray, stats: np.ndarray, regs: np.ndarray) -> None:
        n_stats = len(LANE_STAT_NAMES)
        if len(y) < hw.M_MAX or len(stats) < hw.n_lanes * n_stats or len(regs) <= max(REG.values()):
            raise RuntimeError(f"short dump: {len(y)} y words, {len(stats)} stat words, "
                               f"{len(regs)} register words")
        self.hw = hw
        self._y = np.where(y >= 1 << 15, y - (1 << 16), y)
        self._stats = stats
        self._regs = regs

    def reg(self, name: str) -> int:
        return int(self._regs[REG[name]])

    def outputs(self, M: int) -> list[int]:
        return [int(v) for v in self._y[:M]]

    def counters(self) -> dict[str, int]:
        return {name: self.reg(name) for name in PERF_REGS}

    def status(self) -> dict[str, int]:
        st = self.reg("STATUS")
        return {"STATUS": st, "busy": st & 1, "done": (st >> 1) & 1, "error": (st >> 2) & 1,
                "ERR_CODE": self.reg("ERR_CODE")}

    def lane_stats(self) -> dict[tuple[int, int], dict[str, int]]:
        n = len(LANE_STAT_NAMES)
        out: dict[tuple[int, int], dict[str, int]] = {}
        for h, v in self.hw.lanes():
            base = self.hw.lane_index(h, v) * n
            out[(h, v)] = {name: int(self._stats[base + k]) for k, name in enumerate(LANE_STAT_NAMES)}
        return out


def default_bd_dir() -> Path:
    """The backdoor directory: the +masr_bd_dir plusarg, else <cwd>/bd (cwd = the run's test_dir)."""
    try:
        plus = cocotb.plusargs  # type: ignore[attr-defined]
    except AttributeError:  # pragma: no cover - outside a simulation
        plus = {}
    value = plus.get("masr_bd_dir") if plus else None
    return Path(value) if isinstance(value, str) and value else Path.cwd() / "bd"
