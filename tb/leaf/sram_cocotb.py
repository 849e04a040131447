"""cocotb tests of masr_sram (behavioural SRAM / register file) against a Python dict.

Checks: every word reads 0 (not X) from time 0; synchronous write, combinational read on every
read port (a write is visible the cycle after); reads past Depth return 0; the simulation-only
backdoor (+masr_bd_dir plusarg, rising edge of bd_load_i clears and $readmemh's
<dir>/<BdName>.hex if it exists), with a file shorter than Depth, a file with comments and an
@address, and a missing file. With BdName = "" the backdoor must do nothing.

Environment knobs (set by tests/test_rtl_leaf.py):
  MASR_SRAM_DEPTH   Depth parameter of the build
  MASR_SRAM_BDNAME  BdName of the build ("" = backdoor disabled)
  MASR_BD_DIR       the directory also passed as +masr_bd_dir
"""
from __future__ import annotations

import os
from pathlib import Path

import cocotb
from cocotb.triggers import FallingEdge, Timer

from tb.leaf.common import Pins, env_int, expect, rng, settle, start


class Sram:
    def __init__(self, dut, gen):
        self.dut, self.gen = dut, gen
        self.pins = Pins(dut, ["we_i", "waddr_i", "wdata_i", "re_i", "raddr_i", "rdata_o",
                               "bd_load_i"])
        self.depth = env_int("MASR_SRAM_DEPTH", 64)
        self.width = len(dut.wdata_i)
        self.n_rd = len(dut.re_i)
        self.addr_w = len(dut.raddr_i) // self.n_rd
        self.model = {a: 0 for a in range(self.depth)}
        # A port without its read enable returns alternating bits (rtl/masr_sram.sv).
        self.poison = int("10" * self.width, 2) >> self.width

    def expected(self, addr: int) -> int:
        """What a read by self.read returns: the word, or poison where re_i is low (past Depth)."""
        return self.model.get(addr, 0) if addr < self.depth else self.poison

    async def read(self, addrs: list[int]) -> list[int]:
        """Combinational read of n_rd addresses in the current cycle."""
        raddr = sum(a << (i * self.addr_w) for i, a in enumerate(addrs))
        re = sum(1 << i for i, a in enumerate(addrs) if a < self.depth)
        self.pins.drive("raddr_i", raddr)
        self.pins.drive("re_i", re)
        await settle()
        data = self.pins["rdata_o"]
        mask = (1 << self.width) - 1
        return [(data >> (i * self.width)) & mask for i in range(self.n_rd)]

    async def check_all(self, what: str) -> None:
        for base in range(0, 1 << self.addr_w, self.n_rd):
            addrs = [(base + i) % (1 << self.addr_w) for i in range(self.n_rd)]
            got = await self.read(addrs)
            for a, g in zip(addrs, got):
                expect(f"{what}: mem[{a}]", g, self.expected(a))
        self.pins.drive("re_i", 0)
        # The reads took several ns: get back to the cycle grid (drive after a falling edge).
        await FallingEdge(self.dut.clk_i)

    async def pulse_bd_load(self) -> None:
        # A short pulse between clock edges: the backdoor reacts to the edge of bd_load_i itself.
        self.pins.drive("bd_load_i", 1)
        await Timer(1, unit="ns")
        self.pins.drive("bd_load_i", 0)
        await FallingEdge(self.dut.clk_i)


async def setup(dut) -> Sram:
    await start(dut, {"we_i": 0, "waddr_i": 0, "wdata_i": 0, "re_i": 0, "raddr_i": 0,
                      "bd_load_i": 0})
    return Sram(dut, rng())


@cocotb.test()
async def zero_from_time_zero(dut):
    mem = await setup(dut)
    await mem.check_all("initial")


@cocotb.test()
async def read_without_enable_is_poison(dut):
    """An in-range read whose enable is low must not return the word (a real macro would not)."""
    mem = await setup(dut)
    mem.pins.drive("we_i", 1)
    mem.pins.drive("waddr_i", 1)
    mem.pins.drive("wdata_i", 1)
    await FallingEdge(dut.clk_i)
    mem.pins.drive("we_i", 0)
    mem.pins.drive("raddr_i", sum(1 << (i * mem.addr_w) for i in range(mem.n_rd)))
    mem.pins.drive("re_i", 0)
    await settle()
    data = mem.pins["rdata_o"]
    for i in range(mem.n_rd):
        expect(f"port {i} mem[1] without re_i", (data >> (i * mem.width)) & ((1 << mem.width) - 1),
               mem.poison)
    # The array has no reset: leave it all zero for the tests that follow (their model).
    await FallingEdge(dut.clk_i)
    mem.pins.drive("wdata_i", 0)
    mem.pins.drive("we_i", 1)
    await FallingEdge(dut.clk_i)
    mem.pins.drive("we_i", 0)


@cocotb.test()
async def random_read_write(dut):
    mem = await setup(dut)
    gen, pins = mem.gen, mem.pins
    n_cycles = env_int("MASR_SRAM_CYCLES", 3000)
    for cyc in range(n_cycles):
        # Reads: mostly in range, sometimes past Depth (re_i = 0 there: the data is poison).
        addrs = [int(gen.integers(0, 1 << mem.addr_w)) if gen.random() < 0.2
                 else int(gen.integers(0, mem.depth)) for _ in range(mem.n_rd)]
        we = int(gen.random() < 0.5)
        waddr = int(gen.integers(0, mem.depth))
        # Sometimes write the address being read: the read must still return the old word.
        if gen.random() < 0.3:
            waddr = addrs[0] if addrs[0] < mem.depth else waddr
        wdata = int(gen.integers(0, 1 << mem.width))
        pins.drive("we_i", we)
        pins.drive("waddr_i", waddr)
        pins.drive("wdata_i", wdata)
        got = await mem.read(addrs)
        for a, g in zip(addrs, got):
            expect(f"rdata mem[{a}]", g, mem.expected(a), f"cycle {cyc}")
        if we:
            mem.model[waddr] = wdata
        await FallingEdge(dut.clk_i)
    pins.drive("we_i", 0)
    await mem.check_all("after random writes")


@cocotb.test()
async def backdoor(dut):
    mem = await setup(dut)
    gen = mem.gen
    bd_name = os.environ.get("MASR_SRAM_BDNAME", "")
    bd_dir = Path(os.environ["MASR_BD_DIR"])
    bd_dir.mkdir(parents=True, exist_ok=True)
    hex_file = bd_dir / f"{bd_name}.hex"
    digits = (mem.width + 3) // 4

    # Fill the array through the write port, so that "clear" is visible.
    mem.pins.drive("we_i", 1)
    for a in range(mem.depth):
        mem.model[a] = int(gen.integers(1, 1 << mem.width))
        mem.pins.drive("waddr_i", a)
        mem.pins.drive("wdata_i", mem.model[a])
        await FallingEdge(dut.clk_i)
    mem.pins.drive("we_i", 0)
    await mem.check_all("written")

    if not bd_name:
        # Disabled backdoor: the pulse changes nothing (no clear, no load).
        (bd_dir / ".hex").write_text("1\n2\n")
        await mem.pulse_bd_load()
        await mem.check_all("backdoor disabled")
        return

    # 1) A file shorter than Depth: loaded words, the rest cleared. Full-width values.
    n = max(1, mem.depth // 2 - 1)
    values = [int(gen.integers(0, 1 << mem.width)) for _ in range(n)]
    values[0] = (1 << mem.width) - 1
    hex_file.write_text("".join(f"{v:0{digits}x}\n" for v in values))
    await mem.pulse_bd_load()
    mem.model = {a: (values[a] if a < n else 0) for a in range(mem.depth)}
    await mem.check_all("short file")

    # 2) $readmemh syntax: comments and an @address.
    hi = mem.depth - 1
    hex_file.write_text(f"// header comment\n{1:x}\n{2:x} // trailing\n@{hi:x}\n{3:x}\n")
    await mem.pulse_bd_load()
    mem.model = {a: 0 for a in range(mem.depth)}
    mem.model.update({0: 1, 1: 2, hi: 3})
    await mem.check_all("comments and @address")

    # 3) A file with exactly Depth words.
    values = [int(gen.integers(0, 1 << mem.width)) for _ in range(mem.depth)]
    hex_file.write_text("".join(f"{v:0{digits}x}\n" for v in values))
    await mem.pulse_bd_load()
    mem.model = dict(enumerate(values))
    await mem.check_all("full file")

    # 4) Missing file: silent, the memory is cleared.
    hex_file.unlink()
    await mem.pulse_bd_load()
    mem.model = {a: 0 for a in range(mem.depth)}
    await mem.check_all("missing file")

    # Writes still work after a backdoor load.
    mem.pins.drive("we_i", 1)
    mem.pins.drive("waddr_i", 1)
    mem.pins.drive("wdata_i", 0x5)
    await FallingEdge(dut.clk_i)
    mem.pins.drive("we_i", 0)
    mem.model[1] = 0x5
    await mem.check_all("write after backdoor")
