"""The MASR agent: sequencer, driver and monitor (all DUT access through tb.common.bfm.MasrBfm).

Driver: per item, encode with the golden encoder, load (backdoor/frontdoor/reuse), clear,
configure, inject errors where the item asks, start, and wait for ``done`` (watchdog).  It then
hands a :class:`ProductContext` to the monitor through the BFM and waits until the monitor has
read the DUT back, so bus accesses never interleave.

Monitor: after each product takes STATUS/ERR_CODE, the PERF counters, every lane's statistics
and the outputs y from the simulation-only dump (``bd_dump_i``; frontdoor-loaded items also
read them over the bus and check they agree), reads the read-back samples over the memory
port, and writes one :class:`MatvecResult` to its single
analysis port (scoreboard and coverage both subscribe to it).
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from pyuvm import ConfigDB, uvm_agent, uvm_analysis_port, uvm_component, uvm_driver, uvm_sequencer

from golden.config import FEAT_NULL_SKIP, FEAT_ROW_SKIP, FEAT_SCAN
from golden.encode import encode_matvec
from tb.common.bfm import (CFG_REGS, GRU_CFG_REGS, GRU_PERF_REGS, MEM_AMASK, MEM_AVAL, MEM_BIAS, MEM_MASK, MEM_PLAN, MEM_ROWPTR, MEM_STATS,
                    MEM_WEIGHT, MEM_Y, PERF_REGS, REG, DumpedResults, MasrBfm, caps_expected)
from tb.matvec.bins import mem_boundary_probes
from tb.matvec.items import (ERR_NO_PRODUCT, ERR_WPTR, INJ_BUSY_MEM, INJ_BUSY_START, INJ_FIRST_WINS,
                          INJ_MEM_BOUNDARY, INJ_MEM_RANGE, INJ_PLAN, INJ_REG, INJ_RESET, INJ_WPTR, INJ_WPTR_RESTART,
                          LOAD_BACKDOOR, LOAD_FRONTDOOR,
                          Check, MatvecItem, MatvecResult)
from tb.matvec.scoreboard import Predictor
from tb.matvec.stimulus import work_upper_bound


@dataclass
class ProductContext:
    item: MatvecItem
    index: int
    image: Any
    done: bool = False
    timed_out: bool = False
    wait_cycles: int = 0
    irq_before: int = 0
    checks: list[Check] = field(default_factory=list)
    patched: dict[tuple[int, int, int], int] = field(default_factory=dict)
    y_before: dict[int, int] = field(default_factory=dict)
    readback_plan: list[tuple[int, int, int, int]] = field(default_factory=list)
    cfg_written: dict[str, int] = field(default_factory=dict)   # checked in the monitor's dump
    exception: Optional[str] = None
    perf_before: dict[str, int] = field(default_factory=dict)   # PERF_* just before the start
    restore: tuple[int, int, int] = (0, 0, 0)   # INJ_WPTR_RESTART: lane, its rowptr[0], ops


def layer_regs(L: Any) -> dict[str, int]:
    """The CFG_* register values of a layer."""
    return {"CFG_M": L.M, "CFG_N": L.N, "CFG_MODE": int(L.mode), "CFG_REP_ROWS": L.rep_rows,
            "CFG_SHIFT": L.shift, "CFG_FEAT": L.feat}


def readback_plan(image: Any, full: bool, patched: dict, cleared_unused: bool,
                  hw: Any) -> list[tuple[int, int, int, int]]:
    """(sel, unit, addr, expected) words to read back: a sample (first/middle/last word of each
    memory kind, the patched words) or, with ``full``, every word the image wrote."""
    words = list(image.images_for_frontdoor())
    if full:
        plan = words
    else:
        by_sel: dict[int, list] = {}
        for w in words:
            by_sel.setdefault(w[0], []).append(w)
        plan = []
        for sel, lst in sorted(by_sel.items()):
            for i in sorted({0, len(lst) // 2, len(lst) - 1}):
                plan.append(lst[i])
        if cleared_unused:
            # words no product reads are cleared by the backdoor load
            used = {(s, u, a) for s, u, a, _ in words}
            for sel, depth in ((MEM_WEIGHT, hw.WDEPTH), (MEM_MASK, hw.MDEPTH)):
                key = (sel, 0, depth - 1)
                if key not in used:
                    plan.append((sel, 0, depth - 1, 0))
    out = []
    seen = set()
    for sel, unit, addr, val in plan:
        key = (sel, unit, addr)
        seen.add(key)
        out.append((sel, unit, addr, patched.get(key, val)))
    for key, val in patched.items():
        if key not in seen:
            out.append((*key, val))
    return out


class MasrDriver(uvm_driver):
    def build_phase(self) -> None:
        self.bfm: MasrBfm = ConfigDB().get(self, "", "BFM")
        self.hw = self.bfm.hw
        self.loaded_image: Any = None
        self.loaded_from_backdoor = False
        self.patched: dict[tuple[int, int, int], int] = {}
        self.index = 0
        try:
            self.predictor: Optional[Predictor] = ConfigDB().get(self, "", "PREDICTOR")
        except Exception:   # no predictor configured: the scoreboard computes in-process
            self.predictor = None

    async def run_phase(self) -> None:
        while True:
            item = await self.seq_item_port.get_next_item()
            ctx = ProductContext(item, self.index, None)
            self.index += 1
            if self.predictor is not None:
                self.predictor.submit(item)     # golden model runs while the DUT does
            try:
                await self.execute(item, ctx)
            except Exception as exc:  # keep the sequence flowing; the scoreboard fails the test
                ctx.exception = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
                self.logger.error(f"driver exception on {item}: {exc}")
            self.bfm.readback_done.clear()
            await self.bfm.done_queue.put(ctx)
            await self.bfm.readback_done.wait()
            if ctx.exception is not None or not ctx.done:
                # hung or broken: reset so the next item starts from a known state
                await self.bfm.reset()
                self.loaded_image = None
            self.seq_item_port.item_done()

    # -- one product ---------------------------------------------------------------------------
    async def execute(self, item: MatvecItem, ctx: ProductContext) -> None:
        bfm, hw, L = self.bfm, self.hw, item.layer
        if item.load in (LOAD_BACKDOOR, LOAD_FRONTDOOR) or self.loaded_image is None:
            image = encode_matvec(item.W, item.x, item.bias, hw, L, plan=item.plan)
            if item.load == LOAD_FRONTDOOR:
                await bfm.clear()
                await bfm.frontdoor_load(image)
                self.loaded_from_backdoor = False
            else:
                await bfm.backdoor_load(image)
                self.loaded_from_backdoor = True
            self.loaded_image = image
            self.patched = {}
        ctx.image = self.loaded_image
        if item.inject == INJ_RESET:
            await self.reset_between_products(ctx)
        if item.keep_done:
            # No CTRL.clear: done is still 1 from the last product and the start must drop it
            # (STATUS.done is sticky until the next start or clear).
            ctx.checks.append(Check("STATUS.done before a start without CTRL.clear", 1,
                                    (await bfm.read_reg("STATUS")) >> 1 & 1))
        else:
            await bfm.clear()
        regs = layer_regs(L)
        regs.update(item.reg_overrides)
        await bfm.configure(regs)
        if not item.reg_overrides:
            if item.load == LOAD_FRONTDOOR or ctx.index == 0:
                for name in CFG_REGS:
                    ctx.checks.append(Check(f"{name} read-back", regs[name],
                                            await bfm.read_reg(name)))
            else:
                # The dump's registers come from the same read mux (reg_value) as the bus, and
                # a product must not change them: five bus reads per product cost ~10% of the
                # 8x8 benchmark's throughput.
                ctx.cfg_written = {name: regs[name] for name in CFG_REGS}
        if ctx.index == 0:
            for name, want in caps_expected(hw).items():
                ctx.checks.append(Check(f"{name} register", want, await bfm.read_reg(name)))
            # Before the first start every lane statistic and PERF counter holds its reset
            # value, 0 (a wrong reset value survived every test: issue #16 mutation analysis).
            for (h, v), stats in (await bfm.read_lane_stats()).items():
                for stat, value in stats.items():
                    ctx.checks.append(Check(f"lane ({h},{v}) {stat} after reset", 0, value))
            for name, value in (await bfm.read_counters()).items():
                ctx.checks.append(Check(f"{name} after reset", 0, value))
            # A matvec test never writes the GRU configuration: it still holds its reset value.
            for name in (*GRU_CFG_REGS, *GRU_PERF_REGS):
                ctx.checks.append(Check(f"{name} after reset", 0, await bfm.read_reg(name)))
        await self.inject_before_start(item, ctx)
        if item.expect_err in ERR_NO_PRODUCT:
            ctx.y_before = dict(enumerate((await bfm.dump()).outputs(min(L.M, hw.M_MAX))))
        ctx.irq_before = bfm.irq_count
        if item.inject in (INJ_BUSY_START, INJ_BUSY_MEM):
            ctx.perf_before = await bfm.read_counters()
        await bfm.start()
        await self.inject_while_busy(item, ctx)
        timeout = work_upper_bound(item.W, item.x, hw, L)
        ctx.done, ctx.wait_cycles = await bfm.wait_done(timeout)
        ctx.timed_out = not ctx.done
        ctx.patched = dict(self.patched)
        if item.check_sample or item.full_readback or item.inject or item.expect_err:
            ctx.readback_plan = readback_plan(self.loaded_image, item.full_readback, self.patched,
                                              self.loaded_from_backdoor and not self.patched, hw)

    async def reset_between_products(self, ctx: ProductContext) -> None:
        """rst_ni in the middle of a product, with its image loaded: mem_rdata_o stays 0 (no read
        requested), every register returns to its reset value, and the memories keep their
        contents (this item's product then runs again on them without a reload, so the
        scoreboard checks that the reset left nothing of the interrupted product behind)."""
        bfm, L = self.bfm, ctx.item.layer
        # The reset comes in the middle of a running product (this item's own, with the null-skip
        # address generator when the build has it), so a block that ignores rst_ni would carry
        # a busy state into the next product; the configuration registers hold values other than
        # their reset values then (the GRU ones are never otherwise written by a matvec test).
        feat = self.hw.feat_available & (FEAT_NULL_SKIP | FEAT_ROW_SKIP | FEAT_SCAN)
        await bfm.clear()
        await bfm.configure({**layer_regs(L), "CFG_FEAT": feat})
        for k, name in enumerate(GRU_CFG_REGS):
            await bfm.write_reg(name, 0x1000 + k)
        await bfm.start()
        await bfm.idle_cycles(3)
        ctx.checks.append(Check("STATUS.busy when the reset comes", 1,
                                (await bfm.read_reg("STATUS")) & 1))
        # A bus error latched before the reset: ERR_CODE must still read 0 after it.
        await bfm.write_reg(0x13, 1)
        ctx.checks.append(Check("ERR_CODE before the reset (write to unknown register 0x13)", 8,
                                await bfm.read_reg("ERR_CODE")))
        await bfm.reset()
        ctx.checks.append(Check("mem_rdata_o during and after reset (no read requested)", 0,
                                bfm.first_rdata_at_reset()))
        for name, value, got in await bfm.registers_after_reset((*CFG_REGS, *GRU_CFG_REGS)):
            ctx.checks.append(Check(f"{name} after a reset", value, got))
        for name, value in (await bfm.read_counters()).items():
            ctx.checks.append(Check(f"{name} after a reset", 0, value))
        # A second reset in the cycle a read's data shows: mem_rdata_o drops to 0 with rst_ni,
        # not at the next clock edge. Word 0 of a lane's weight SRAM is a non-zero weight when
        # the lane holds any, so the read shows something to hide.
        hw = self.hw
        lane = next((hw.lane_index(h, v) for (h, v), w in sorted(ctx.image.weight.items())
                     if len(w)), 0)
        word, during = await bfm.read_then_reset(MEM_WEIGHT, lane, 0)
        ctx.checks.append(Check(f"weight word 0 of lane {lane} read before the second reset is "
                                "non-zero", True, word != 0))
        ctx.checks.append(Check("mem_rdata_o 1 ns after rst_ni falls (read data showing)", 0, during))
        ctx.checks.append(Check("mem_rdata_o during and after the second reset", 0,
                                bfm.first_rdata_at_reset()))

    async def _err_after(self, ctx: ProductContext, what: str, want: int) -> None:
        ctx.checks.append(Check(f"ERR_CODE after {what}", want, await self.bfm.read_reg("ERR_CODE")))

    async def inject_before_start(self, item: MatvecItem, ctx: ProductContext) -> None:
        bfm, hw = self.bfm, self.hw
        if item.inject in (INJ_MEM_RANGE,):
            for desc, op in self.mem_range_ops():
                await bfm.clear()
                await op()
                await self._err_after(ctx, desc, 6)
        elif item.inject == INJ_MEM_BOUNDARY:
            # Reads only: a legal write would change the loaded data the product reuses.
            for name, sel, unit, addr, bad in mem_boundary_probes(hw):
                await bfm.clear()
                await bfm.mem_read(sel, unit, addr)
                await self._err_after(ctx, f"read {name} (sel {sel} unit {unit} addr {addr})",
                                      6 if bad else 0)
        elif item.inject == INJ_REG:
            caps = caps_expected(hw)
            cycles_before = await bfm.read_reg("PERF_CYCLES")
            for desc, addr in (("write to unknown register 0x13", 0x13),
                               ("write to unknown register 0xFF", 0xFF),
                               ("write to read-only STATUS", REG["STATUS"]),
                               ("write to read-only ERR_CODE", REG["ERR_CODE"]),
                               ("write to read-only PERF_CYCLES", REG["PERF_CYCLES"]),
                               ("write to read-only CAPS", REG["CAPS"])):
                await bfm.clear()
                await bfm.write_reg(addr, 0xA5A5A5A5)
                await self._err_after(ctx, desc, 8)
            ctx.checks.append(Check("CAPS after write attempt", caps["CAPS"], await bfm.read_reg("CAPS")))
            ctx.checks.append(Check("PERF_CYCLES after write attempt", cycles_before,
                                    await bfm.read_reg("PERF_CYCLES")))
        elif item.inject == INJ_FIRST_WINS:
            await bfm.clear()
            await bfm.write_reg(0x13, 1)
            await bfm.mem_write(MEM_WEIGHT, hw.n_lanes, 0, 1)   # unit out of range -> 6
            await self._err_after(ctx, "ERR_REG then ERR_MEM_RANGE (first error wins)", 8)
            await bfm.clear()
            await self._err_after(ctx, "CTRL.clear", 0)
            await bfm.write_reg(0x13, 1)
        elif item.inject == INJ_PLAN:
            for lane, bases in item.plan_patch.items():
                for addr, value in enumerate(bases):
                    await bfm.mem_write(MEM_PLAN, lane, addr, value)
                    self.patched[(MEM_PLAN, lane, addr)] = value
            await self._err_after(ctx, "plan register writes (legal values)", 0)
        elif item.inject == INJ_WPTR_RESTART:
            # The lane's first row, the one with the most effective ops: the abort comes at its
            # first op and leaves the rest undone, which the abort must drop (clr_i).
            first = [i for i in ctx.image.slot_table() if i.ref.kind == "own" and i.ref.slot == 0]
            info = max(first, key=lambda i: i.ops)
            unit = hw.lane_index(info.ref.h, info.ref.v)
            await bfm.mem_write(MEM_ROWPTR, unit, 0, hw.WDEPTH)
            ctx.restore = (unit, info.rowptr, info.ops)
        elif item.inject == INJ_WPTR:
            # Point the first own row with effective work past the weight SRAM.
            for info in ctx.image.slot_table():
                if info.ref.kind == "own" and info.ops > 0:
                    unit = hw.lane_index(info.ref.h, info.ref.v)
                    await bfm.mem_write(MEM_ROWPTR, unit, info.ref.slot, hw.WDEPTH)
                    self.patched[(MEM_ROWPTR, unit, info.ref.slot)] = hw.WDEPTH
                    break
            else:
                raise RuntimeError("ERR_WPTR item has no row with effective work")

    def mem_range_ops(self):
        bfm, hw = self.bfm, self.hw
        n_l, n_pe = hw.n_lanes, hw.n_pes

        def w(sel, unit, addr):
            return lambda: bfm.mem_write(sel, unit, addr, 0x5A)

        def r(sel, unit, addr):
            async def _r():
                await bfm.mem_read(sel, unit, addr)
            return _r
        return [
            ("mask write at addr MDEPTH", w(MEM_MASK, 0, hw.MDEPTH)),
            ("rowptr write at addr SLOTS", w(MEM_ROWPTR, 1, hw.SLOTS)),
            ("weight write at addr WDEPTH", w(MEM_WEIGHT, n_l - 1, hw.WDEPTH)),
            ("weight write to lane n_lanes", w(MEM_WEIGHT, n_l, 0)),
            ("amask write at addr 3*KW_MAX", w(MEM_AMASK, 0, hw.AMASK_DEPTH)),
            ("aval write to PE n_pes", w(MEM_AVAL, n_pe, 0)),
            ("aval read at addr 3*P_MAX", r(MEM_AVAL, 0, hw.AVAL_DEPTH)),
            ("bias write at addr M_MAX", w(MEM_BIAS, 0, hw.M_MAX)),
            ("write to y", w(MEM_Y, 0, 0)),
            ("mask read from lane n_lanes", r(MEM_MASK, n_l, 0)),
            ("write to lane statistics", w(MEM_STATS, 0, 0)),
            ("lane statistics read at addr 7", r(MEM_STATS, 0, 7)),
        ]

    async def inject_while_busy(self, item: MatvecItem, ctx: ProductContext) -> None:
        bfm, hw = self.bfm, self.hw
        if item.inject == INJ_WPTR_RESTART:
            # Restart as fast as a host can (3 bus writes after done), while the aborted row's
            # remaining ops would still be draining through an address generator not cleared.
            unit, rowptr, ops = ctx.restore
            done, waited = await bfm.wait_done(work_upper_bound(item.W, item.x, hw, item.layer))
            polls = 0                                # memory writes need !busy
            while (await bfm.read_reg("STATUS")) & 1 and polls < 8:
                await bfm.idle_cycles(1)
                polls += 1
            await bfm.mem_write(MEM_ROWPTR, unit, 0, rowptr)
            await bfm.clear()
            await bfm.start()
            ctx.irq_before = bfm.irq_count          # the abort's done pulsed irq once
            ctx.checks.append(Check(f"the first start ended at once (ERR_WPTR at the first op "
                                    f"of lane {unit}'s first row, {ops} ops; {waited} cycles, "
                                    f"{polls} busy polls)",
                                    True, done and waited < ops))
            return
        if item.inject not in (INJ_BUSY_START, INJ_BUSY_MEM):
            return
        status = await bfm.read_reg("STATUS")
        ctx.checks.append(Check("STATUS.busy right after a legal start", 1, status & 1))
        # The PERF_* sums are latched at the end of a product: while the next one runs they
        # still show the last one (PERF_CYCLES counts live).  Updating them every cycle
        # survived every test (issue #16 mutation analysis).
        now = await bfm.read_counters()
        for name, value in ctx.perf_before.items():
            if name != "PERF_CYCLES":
                ctx.checks.append(Check(f"{name} holds the last product's value while busy",
                                        value, now[name]))
        if item.inject == INJ_BUSY_START:
            await bfm.start()
            # CFG_* may be written while busy (contract section 7): the running product keeps
            # what it latched at start, the registers read back the new values afterwards.
            L = item.layer
            new = {"CFG_M": max(1, L.M // 2), "CFG_N": max(1, L.N // 2),
                   "CFG_MODE": (int(L.mode) + 1) % 3, "CFG_REP_ROWS": L.rep_rows + 1,
                   "CFG_SHIFT": (L.shift + 1) % 16, "CFG_FEAT": L.feat ^ self.hw.feat_available}
            await bfm.configure(new)
            ctx.cfg_written = new
            ctx.checks.append(Check("STATUS.busy after the CFG writes (they hit a running product)",
                                    1, (await bfm.read_reg("STATUS")) & 1))
        else:
            got = await bfm.mem_read(MEM_WEIGHT, 0, 0)
            ctx.checks.append(Check("memory read while busy returns 0", 0, got))
            await bfm.mem_write(MEM_WEIGHT, 0, 0, 0x77)
            # the write must be ignored: the read-back plan includes weight lane 0 addr 0
            self.patched.setdefault((MEM_WEIGHT, 0, 0), _image_word(ctx.image, MEM_WEIGHT, 0, 0))


def _image_word(image: Any, sel: int, unit: int, addr: int) -> int:
    for s, u, a, v in image.images_for_frontdoor():
        if (s, u, a) == (sel, unit, addr):
            return v
    return 0


class MasrMonitor(uvm_component):
    def build_phase(self) -> None:
        self.bfm: MasrBfm = ConfigDB().get(self, "", "BFM")
        self.hw = self.bfm.hw
        self.ap = uvm_analysis_port("ap", self)
        self.last_counters: Optional[dict[str, int]] = None   # of the last product that ran

    async def run_phase(self) -> None:
        while True:
            ctx: ProductContext = await self.bfm.done_queue.get()
            try:
                res = await self.observe(ctx)
            except Exception as exc:
                res = MatvecResult(item=ctx.item, index=ctx.index, image=ctx.image, done=ctx.done)
                res.notes.append(f"monitor exception: {type(exc).__name__}: {exc}\n"
                                 f"{traceback.format_exc()}")
            try:
                self.ap.write(res)
            finally:
                self.bfm.readback_done.set()

    async def observe(self, ctx: ProductContext) -> MatvecResult:
        bfm, hw, item = self.bfm, self.hw, ctx.item
        res = MatvecResult(item=item, index=ctx.index, image=ctx.image, done=ctx.done,
                           timed_out=ctx.timed_out, wait_cycles=ctx.wait_cycles,
                           checks=list(ctx.checks), patched=dict(ctx.patched),
                           y_before=dict(ctx.y_before))
        if ctx.exception is not None:
            res.notes.append(f"driver exception: {ctx.exception}")
            self.last_counters = None
            return res
        # Results come from the simulation-only dump (two clock cycles); the frontdoor read path
        # is exercised by frontdoor-loaded items, which must read exactly what the dump says.
        dumped = await bfm.dump()
        res.checks += [Check(f"{name} read-back (dump, after the product)", want, dumped.reg(name))
                       for name, want in ctx.cfg_written.items()]
        st = dumped.status()
        res.status, res.busy, res.err_code = st["STATUS"], st["busy"], st["ERR_CODE"]
        if not ctx.done:
            self.last_counters = None                     # the driver resets the DUT next
            return res
        runs = item.expect_err not in ERR_NO_PRODUCT
        res.counters = dumped.counters()
        if runs:
            res.lane_stats = dumped.lane_stats()
            self.last_counters = dict(res.counters)
        elif item.expect_err != ERR_WPTR and self.last_counters is not None:
            # a rejected start leaves the previous product's counters alone
            for name in PERF_REGS:
                res.checks.append(Check(f"{name} unchanged by a rejected start",
                                        self.last_counters[name], res.counters[name]))
        else:
            self.last_counters = None                     # aborted: partial-product counters
        M = min(item.layer.M, hw.M_MAX)
        res.y = np.array(dumped.outputs(M), dtype=np.int64)
        if item.load == LOAD_FRONTDOOR:
            res.checks += await self.frontdoor_agrees_with_dump(dumped, M, runs)
        if ctx.readback_plan:
            got = await bfm.mem_read_burst([(s, u, a) for s, u, a, _ in ctx.readback_plan])
            res.readback = [(s, u, a, want, g) for (s, u, a, want), g in zip(ctx.readback_plan, got)]
        res.irq_pulses = bfm.irq_count - ctx.irq_before
        if bfm.irq_bad_width:
            res.checks.append(Check("irq_o pulse width in cycles", 1, int(bfm.irq_bad_width[0])))
            bfm.irq_bad_width.clear()
        return res


    async def frontdoor_agrees_with_dump(self, dumped: DumpedResults, M: int,
                                         runs: bool) -> list[Check]:
        """Read y, the counters, STATUS and (if the product ran) every lane statistic over the
        register bus and the memory port; each must equal the dump."""
        bfm = self.bfm
        checks: list[Check] = []
        for r, (fd, dv) in enumerate(zip(await bfm.read_outputs(M), dumped.outputs(M))):
            if fd != dv:
                checks.append(Check(f"frontdoor y row {r} vs dump", dv & 0xFFFF, fd & 0xFFFF))
        want_regs = {**dumped.counters(), "STATUS": dumped.reg("STATUS"),
                     "ERR_CODE": dumped.reg("ERR_CODE")}
        for name, fd in (await bfm.read_regs(want_regs)).items():
            if fd != want_regs[name]:
                checks.append(Check(f"register {name} vs dump", want_regs[name], fd))
        if runs:
            want = dumped.lane_stats()
            for lane, stats in (await bfm.read_lane_stats()).items():
                for name, fd in stats.items():
                    if fd != want[lane][name]:
                        checks.append(Check(f"frontdoor lane {lane} {name} vs dump",
                                            want[lane][name], fd))
        return checks


class MasrAgent(uvm_agent):
    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = MasrDriver("driver", self)
        self.monitor = MasrMonitor("monitor", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)
