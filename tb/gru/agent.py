"""The GRU agent: sequencer, driver and monitor (all DUT access through tb.gru.bfm.GruBfm).

Driver: per :class:`~tb.gru.items.GruLayerItem`, for each phase of the layer (X then H per
direction, docs/gru-layer.md 8.2): build the phase's lane image with the golden encoder, load it
(backdoor: image + xbuf.hex + hbuf.hex and one bd_load_i pulse; frontdoor: every word over the
memory port, then XBUF or HBUF), clear, configure the CFG_* and CFG_GRU_* registers, start the
phase (CTRL bit 2 or 3) and wait for ``done`` with a watchdog.  It then hands a
:class:`PhaseContext` to the monitor and waits until the monitor has read the DUT back.  Illegal
starts (``item.err``) write the error case's registers and CTRL word instead, after the monitor
has taken a "before" dump.

Monitor: after each phase takes everything from the simulation-only dump (GruBfm.gru_dump: y,
lane statistics, registers 0..63, XBUF, HBUF, GX, HOUT, STEP), for frontdoor items also reads
HOUT/GX/HBUF/STEP and the GRU registers over the bus (they must equal the dump), and writes one
:class:`~tb.gru.items.GruPhaseResult` to its single analysis port (scoreboard, then coverage).
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np
from cocotb.utils import get_sim_time
from pyuvm import ConfigDB, uvm_agent, uvm_analysis_port, uvm_component, uvm_driver, uvm_sequencer

from golden.config import (FEAT_OVERLAP, FEAT_PREFETCH, StealMode, ceil_div, partition_bounds,
                           partition_width)
from tb.common.bfm import CFG_REGS, CLK_PERIOD_NS, MEM_ROWPTR, PERF_REGS
from golden.encode import encode_matvec, encoder_write_cycles
from tb.gru.bfm import (REG, CTRL_START, GRU_CFG_REGS, GRU_PERF_REGS, MEM_HBUF, MEM_HOUT,
                        MEM_XBUF, PHASE_H, PHASE_M, PHASE_X, GruBfm)
from tb.matvec.stimulus import work_upper_bound
from tb.gru.checks import act_rf_image, apply_encoder_writes, compare_act_rf_words, gru_run
from tb.gru.items import ACT_RF_TAG, GRU_FEATS, LOAD_FRONTDOOR, GruLayerItem, GruPhaseResult


@dataclass
class PhaseContext:
    item: GruLayerItem
    index: int
    direction: int
    phase: str
    phase_no: int
    last_phase: bool
    done: bool = False
    timed_out: bool = False
    wait_cycles: int = 0
    irq_before: int = 0
    before: Any = None
    checks: list = field(default_factory=list)
    exception: Optional[str] = None


def phase_timeout(item: GruLayerItem, hw: Any, phase: str, direction: int) -> int:
    """A generous bound on a phase's busy cycles: every step's product serialised (each row
    task and each op at the queue's worst case), plus encoder and element-wise passes."""
    W = item.weights(direction, phase)[0]
    N = W.shape[1]
    K = max(1, ceil_div(partition_width(hw, N), hw.B))
    tasks = item.M * hw.V * K
    prod = (hw.QDEPTH + 2) * (int((W != 0).sum()) + tasks) + item.M + 64
    per_step = prod + 4 * (hw.N_MAX + hw.V * hw.KW_MAX + item.Hd + 32)
    return item.T * per_step + 1000


class GruDriver(uvm_driver):
    def build_phase(self) -> None:
        self.bfm: GruBfm = ConfigDB().get(self, "", "GRU_BFM")
        self.hw = self.bfm.hw
        self.index = 0
        self.first = True
        try:
            self.predictor = ConfigDB().get(self, "", "GRU_PREDICTOR")
        except Exception:   # no predictor: the scoreboard computes the golden layer itself
            self.predictor = None

    async def run_phase(self) -> None:
        while True:
            item: GruLayerItem = await self.seq_item_port.get_next_item()
            if self.predictor is not None:
                self.predictor.submit(item)     # the golden model runs while the DUT does
            phases = item.phases()
            for no, (direction, phase) in enumerate(phases):
                ctx = PhaseContext(item, self.index, direction, phase, no, no == len(phases) - 1)
                self.index += 1
                try:
                    if item.err is not None:
                        await self.execute_error(item, ctx)
                    elif phase == PHASE_M:
                        await self.execute_matvec(item, ctx)
                    else:
                        await self.execute_phase(item, ctx)
                except Exception as exc:  # the scoreboard fails the test; the sequence goes on
                    ctx.exception = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
                    self.logger.error(f"driver exception on {item} phase {phase}: {exc}")
                self.bfm.phase_read.clear()
                await self.bfm.phase_queue.put(ctx)
                await self.bfm.phase_read.wait()
                if ctx.exception is not None or not ctx.done:
                    await self.bfm.reset()          # hung or broken: known state, skip the rest
                    break
            self.seq_item_port.item_done()

    async def _first_checks(self, ctx: PhaseContext, regs: dict[str, int]) -> None:
        bfm = self.bfm
        for name in GRU_CFG_REGS:
            ctx.checks.append((f"{name} read-back", regs[name] & 0xFFFFFFFF,
                               await bfm.read_gru_reg(name)))
        if self.first:
            self.first = False
            ctx.checks.append(("CAPS4 register", bfm.geo.caps4(), await bfm.read_gru_reg("CAPS4")))

    async def execute_phase(self, item: GruLayerItem, ctx: PhaseContext) -> None:
        bfm, hw, d, ph = self.bfm, self.hw, ctx.direction, ctx.phase
        W, b = item.weights(d, ph)
        N = item.I if ph == PHASE_X else item.Hd
        image = bfm.phase_image(W, b, item.junk_x, hw, item.Hd, N, item.mode, item.rep_rows,
                                item.shift, item.feat)

        async def load() -> None:
            if item.load == LOAD_FRONTDOOR:
                await bfm.clear()
                await bfm.frontdoor_load_phase(image, item.x_seq if ph == PHASE_X else None,
                                               item.h0[d] if ph == PHASE_H else None)
            else:
                await bfm.backdoor_load_phase(image, item.x_seq, item.h0[d])

        await load()
        if ACT_RF_TAG in item.tags and item.reset_step is None and item.load != LOAD_FRONTDOOR:
            await bfm.fill_act_masks()      # the RF read-back then shows every pad word written
        if item.reset_step is not None and ph == item.reset_phase and d == item.directions[0]:
            if ph == PHASE_X:
                await self.reset_mid_phase(item, ctx, image)
            else:
                await self.reset_mid_cell_pass(item, ctx, image)
                await load()                # a clean load: the pass rewrote part of HBUF
        await bfm.clear()
        regs = item.phase_regs(d, ph)
        await bfm.configure_phase(regs)
        await self._first_checks(ctx, regs)
        ctx.irq_before = bfm.irq_count
        await bfm.start_phase(ph)
        if item.busy_inject and ctx.last_phase:
            status = await bfm.read_reg("STATUS")
            ctx.checks.append((f"STATUS.busy right after a legal GRU_{ph} start", 1, status & 1))
            if item.busy_inject == "start":
                await bfm.start_phase(PHASE_X)      # rejected with ERR_BUSY_START, phase goes on
            else:                                   # ERR_BUSY_MEM: ignored, the read returns 0
                got = await bfm.mem_read(MEM_HOUT, 0, 0)
                ctx.checks.append(("HOUT read while busy returns 0", 0, got))
                await bfm.mem_write(MEM_HBUF, 0, 0, 0x7777)
                await bfm.mem_write(MEM_XBUF, 0, 0, 0x7777)
        ctx.done, ctx.wait_cycles = await bfm.wait_done(phase_timeout(item, hw, ph, d))
        ctx.timed_out = not ctx.done

    async def _start_then_reset_in(self, item: GruLayerItem, ctx: PhaseContext, phase: str,
                                   target: int, at_reset: tuple = ()) -> int:
        """Clear, configure ``phase`` (every CFG_* and CFG_GRU_* register off its reset value but
        those in ``at_reset``), start it and return the cycle rst_ni will fall in (cycle 0 = the
        CTRL write; ``target`` when the bus timing holds). The caller then checks that cycle
        against its schedule and calls :meth:`_reset_and_check`."""
        bfm = self.bfm
        await bfm.clear()
        regs = item.phase_regs(ctx.direction, phase)
        await bfm.configure_phase(regs)
        if not self.hw.feat_available & GRU_FEATS:
            at_reset = (*at_reset, "CFG_FEAT")   # any bit would be ERR_MODE on this build
        for name in (*CFG_REGS, *GRU_CFG_REGS):
            if name not in at_reset:
                ctx.checks.append((f"{name} off its reset value before the reset", 1,
                                   int(regs[name] != (6 if name == "CFG_SHIFT" else 0))))
        await bfm.start_phase(phase)
        t1 = get_sim_time("ns")                      # the falling edge in cycle 1
        await bfm.idle_cycles(target - 1)
        status = await bfm.read_reg("STATUS")
        ctx.checks.append(("STATUS.busy when the reset comes", 1, status & 1))
        return 1 + int((get_sim_time("ns") - t1) // CLK_PERIOD_NS)   # rst_ni falls in this cycle

    async def _reset_and_check(self, item: GruLayerItem, ctx: PhaseContext) -> Any:
        """rst_ni now; then every register at its reset value, mem_rdata_o 0 throughout, no lane
        statistics, XBUF as loaded. Returns the dump taken after the reset."""
        bfm = self.bfm
        await bfm.reset()
        ctx.checks.append(("mem_rdata_o during and after reset (no read requested)", 0,
                           bfm.first_rdata_at_reset()))
        for name, value, got in await bfm.registers_after_reset(
                (*CFG_REGS, *GRU_CFG_REGS, *PERF_REGS, *GRU_PERF_REGS)):
            ctx.checks.append((f"{name} after a reset in a GRU phase", value, got))
        dump = await bfm.gru_dump()
        stats = [v for st in dump.lane_stats().values() for v in st.values() if v]
        ctx.checks.append(("lane statistics after a reset in a GRU phase (first non-zero)", 0,
                           stats[0] if stats else 0))
        xs = np.asarray(item.x_seq, dtype=np.int16)
        ctx.checks.append(("XBUF words changed by a reset in a GRU phase", 0,
                           int((dump.xbuf_rows(item.T, item.I) != xs).sum())))
        return dump

    def _check_act_rf(self, ctx: PhaseContext, got_rf: dict, want_rf: dict, what: str) -> None:
        errs = compare_act_rf_words(got_rf, want_rf, f"activation RF after a reset in {what}", "")
        ctx.checks.append((f"activation-RF mismatch messages after the reset (first: {errs[0]})"
                           if errs else "activation RFs after the reset", 0, len(errs)))

    async def reset_mid_phase(self, item: GruLayerItem, ctx: PhaseContext, image: Any) -> None:
        """rst_ni in the middle of the encoder's stream of x_s (s = item.reset_step) of this X
        phase (with OVERLAP the previous product's output phase may still run beside it), every
        CFG_* and CFG_GRU_* register off its reset value. Afterwards every register holds its
        reset value, mem_rdata_o is 0, and the memories keep their contents: XBUF and HBUF as
        loaded, every activation-RF word as the encoder had written it up to the cycle of the
        reset (contract: the phase's cycle schedule 8.6, the encoder writing element c in the
        cycle after it is fed, docs/gru-datapath.md 3). The caller then runs the phase again.
        With PREFETCH (s = 1 only) the reset comes while the feeder streams x_1 into RF set 1
        beside product 0, which the host cannot read: set 0 holds the image and x_0."""
        from golden import gru_seq
        bfm, hw, d, s = self.bfm, self.hw, ctx.direction, item.reset_step
        p = item.params[d]
        xs = np.asarray(item.x_seq, dtype=np.int16)
        sched = gru_seq.expect_x_phase(hw, gru_run(item, d), p.W_ih, p.b_ih, xs)
        prefetch = bool(item.feat & FEAT_PREFETCH)
        # cycle 0 = the CTRL write; step s's SqEncStart is cycle 1 + the STEP_CYCLES before it
        # (PREFETCH: x_1's encoder starts with product 0, in step 0's encoder-done cycle
        # I + pad(I) + 2); element c is fed in cycle enc0 + 1 + c and written in enc0 + 2 + c
        if prefetch:
            assert s == 1, "a PREFETCH reset scenario resets in x_1's stream"
            enc0 = item.I + gru_seq.encoder_pad(hw, item.I) + 2
        else:
            enc0 = 1 + sum(st.step_cycles for st in sched.steps[:s])
        target = enc0 + 2 + max(1, item.I // 2)
        if prefetch:
            compute0 = sched.steps[0].product.compute_cycles
            ctx.checks.append((f"reset {target - enc0} cycles after product 0 started, while it "
                               f"computes ({compute0} cycles) beside the feeder", 1,
                               int(target - enc0 <= compute0)))
        elif item.feat & FEAT_OVERLAP:
            # the point of the scenario: product s-1's output phase (ceil(3Hd/H) cycles from
            # about step s's start, docs/gru-layer.md 8.6) still runs when the reset comes
            out_cycles = ceil_div(3 * item.Hd, hw.H)
            ctx.checks.append((f"reset {target - enc0} cycles into step {s}, inside product "
                               f"{s - 1}'s {out_cycles}-cycle output phase", 1,
                               int(target - enc0 + 2 < out_cycles)))
        cyc = await self._start_then_reset_in(item, ctx, PHASE_X, target)
        written = cyc - enc0 - 2                     # element writes before the reset's cycle
        ctx.checks.append((f"reset in cycle {cyc} falls inside the stream of x_{s} (elements "
                           f"written before it)", 1, int(0 < written < item.I)))
        dump = await self._reset_and_check(item, ctx)
        ctx.checks.append(("HBUF words changed by a reset in a GRU phase", 0,
                           int((dump.hbuf[: item.Hd] != np.asarray(item.h0[d])).sum())))
        # the activation RFs (set 0): the loaded image, x_0 .. x_{s-1} encoded, x_s up to the
        # reset (PREFETCH: x_1 went to set 1)
        want_rf = act_rf_image(image, hw)
        for t in range(s):
            apply_encoder_writes(want_rf, encoder_write_cycles(xs[t], hw, item.I, item.mode), hw)
        if not prefetch:
            apply_encoder_writes(want_rf,
                                 encoder_write_cycles(xs[s], hw, item.I, item.mode)[:written], hw)
        self._check_act_rf(ctx, await bfm.read_act_rf_all(), want_rf,
                           f"cycle {cyc} of an X phase (x_{s} written up to element "
                           f"{written - 1})")

    async def reset_mid_cell_pass(self, item: GruLayerItem, ctx: PhaseContext,
                                  image: Any) -> None:
        """rst_ni in step 0's element-wise pass of this forward H phase (item.reset_step = 0),
        after item.reset_written cell outputs h_t[j] (t = 0) went to HBUF[j] and HOUT[0][0][j],
        with the next output in masr_gru_cell's third stage and the one after in its second.
        Afterwards, besides the registers, mem_rdata_o and XBUF (as in the X phase's reset): GX
        as the X phase wrote it, HBUF[j] = h_t[j] for the written j and h_0[j] (the initial
        state) for the others, HOUT[0][0][j] = h_t[j] for the written j -- no write in or after
        the reset's cycle (a stage register that ignores rst_ni would write the in-flight value
        to HBUF[0] / HOUT[0][0][0], its counters being reset) -- and every activation-RF word as
        the encoder had written it: h_0 encoded, then h_t up to the reset. Timing (contract
        8.6, golden.gru_seq): the pass starts 4 + pad(Hd) + Hd cycles before step 0's SqStep
        (cycle STEP_CYCLES; cycle 0 = the CTRL write), input j enters the cell in cycle c0 + j,
        its output is written in c0 + 3 + j and fed to the encoder, which writes it one cycle
        later. The caller then loads the phase again and runs it."""
        from golden import gru_seq
        bfm, hw, d = self.bfm, self.hw, ctx.direction
        if d != 0 or item.reset_step != 0:
            raise ValueError(f"{item}: a reset in the cell pass needs step 0 of a forward layer")
        p, Hd = item.params[d], item.Hd
        run = gru_run(item, d)
        xs = np.asarray(item.x_seq, dtype=np.int16)
        h0 = np.asarray(item.h0[d], dtype=np.int16)
        ex = gru_seq.expect_x_phase(hw, run, p.W_ih, p.b_ih, xs)
        eh = gru_seq.expect_h_phase(hw, run, p.W_hh, p.b_hh, np.asarray(ex.gx, dtype=np.int16),
                                    h0)
        pad = gru_seq.encoder_pad(hw, Hd)
        c0 = eh.steps[0].step_cycles - (4 + pad) - Hd           # first SqCell cycle
        cyc = await self._start_then_reset_in(item, ctx, PHASE_H, c0 + 3 + item.reset_written,
                                              at_reset=("CFG_GRU_DIR",))
        written = cyc - c0 - 3                       # cell outputs written before the reset
        ctx.checks.append((f"reset in cycle {cyc} falls inside step 0's cell pass (cycles "
                           f"{c0} .. {c0 + Hd + 2}: outputs written before it, two more in the "
                           f"cell's stages 3 and 2)", 1, int(0 < written <= Hd - 2)))
        dump = await self._reset_and_check(item, ctx)
        h_t = np.asarray(eh.h[0], dtype=np.int16)
        written = min(max(written, 1), Hd)           # (a failed check above already reports it)
        ctx.checks.append(("GX words changed by a reset in an H phase", 0,
                           int((dump.gx_rows(item.T, item.M) != np.asarray(ex.gx)).sum())))
        want_hbuf = np.concatenate([h_t[:written], h0[written:]])
        got_hbuf = dump.hbuf[:Hd]
        bad = np.nonzero(got_hbuf != want_hbuf)[0]
        ctx.checks.append((f"HBUF words after a reset in step 0's cell pass (h_t for the "
                           f"{written} written, h_0 beyond; first bad word "
                           f"{int(bad[0]) if len(bad) else '-'})",
                           int(want_hbuf[bad[0]]) if len(bad) else 0,
                           int(got_hbuf[bad[0]]) if len(bad) else 0))
        got_hout = dump.hout_rows(1, d, Hd)[0, :written]
        bad = np.nonzero(got_hout != h_t[:written])[0]
        ctx.checks.append((f"HOUT words (t=0, dir={d}) written before a reset in step 0's cell "
                           f"pass (first bad j {int(bad[0]) if len(bad) else '-'})",
                           int(h_t[bad[0]]) if len(bad) else 0,
                           int(got_hout[bad[0]]) if len(bad) else 0))
        want_rf = act_rf_image(image, hw)
        apply_encoder_writes(want_rf, encoder_write_cycles(h0, hw, Hd, item.mode), hw)
        apply_encoder_writes(want_rf, encoder_write_cycles(h_t, hw, Hd, item.mode)[:written - 1], hw)
        self._check_act_rf(ctx, await bfm.read_act_rf_all(), want_rf,
                           f"cycle {cyc} of an H phase's cell pass (h_t written up to element "
                           f"{written - 2})")

    async def execute_matvec(self, item: GruLayerItem, ctx: PhaseContext) -> None:
        """The interlude: a plain product over the frontdoor between two GRU phases."""
        bfm, hw = self.bfm, self.hw
        W, x, bias, layer = item.interlude
        await bfm.clear()
        await bfm.frontdoor_load(encode_matvec(W, x, bias, hw, layer))
        await bfm.configure_phase({"CFG_M": layer.M, "CFG_N": layer.N, "CFG_MODE": int(layer.mode),
                                   "CFG_REP_ROWS": layer.rep_rows, "CFG_SHIFT": layer.shift,
                                   "CFG_FEAT": layer.feat})
        ctx.before = await bfm.gru_dump()
        ctx.irq_before = bfm.irq_count
        await bfm.write_reg("CTRL", CTRL_START)
        ctx.done, ctx.wait_cycles = await bfm.wait_done(work_upper_bound(W, x, hw, layer))
        ctx.timed_out = not ctx.done

    async def execute_error(self, item: GruLayerItem, ctx: PhaseContext) -> None:
        bfm, case = self.bfm, item.err
        if case.wptr:
            await self.load_bad_rowptr(item, ctx)
        await bfm.clear()
        regs = item.phase_regs(ctx.direction, case.phase)
        regs.update(case.regs)
        await bfm.configure_phase(regs)
        ctx.before = await bfm.gru_dump()
        ctx.irq_before = bfm.irq_count
        if case.mem_ops or case.reg_ops:
            for addr in case.reg_ops:
                await bfm.write_reg(addr, 0x5A5A5A5A)
            for sel, addr, write in case.mem_ops:
                if write:
                    await bfm.mem_write(sel, 0, addr, 0x5A5A)
                else:
                    got = await bfm.mem_read(sel, 0, addr)
                    ctx.checks.append((f"illegal read sel {sel} addr {addr} returns 0", 0, got))
            # the BFM returns at the falling edge after the access: ERR_CODE is already set
            ctx.done, ctx.wait_cycles = True, 0
            return
        await bfm.write_reg("CTRL", case.ctrl)
        # a rejected start sets done at once; an ERR_WPTR abort within the first product
        timeout = phase_timeout(item, self.hw, case.phase, ctx.direction) if case.wptr else 64
        ctx.done, ctx.wait_cycles = await bfm.wait_done(timeout)
        ctx.timed_out = not ctx.done

    async def load_bad_rowptr(self, item: GruLayerItem, ctx: PhaseContext) -> None:
        """Load the phase, then point the row pointer of an own row that has effective work in
        the first step past the weight SRAM (mode none: no thief takes the row elsewhere)."""
        bfm, hw, d, ph = self.bfm, self.hw, ctx.direction, item.err.phase
        W, b = item.weights(d, ph)
        N = item.I if ph == PHASE_X else item.Hd
        image = bfm.phase_image(W, b, item.junk_x, hw, item.Hd, N, item.mode, item.rep_rows,
                                item.shift, item.feat)
        await bfm.backdoor_load_phase(image, item.x_seq, item.h0[d])
        lane, slot = wptr_target(item, hw, d, ph)
        await bfm.mem_write(MEM_ROWPTR, hw.lane_index(*lane), slot, hw.WDEPTH)


def wptr_target(item: GruLayerItem, hw: Any, direction: int, phase: str) -> tuple:
    """((h, v), slot) of an own row with effective work in the product of step
    ``item.err.wptr_step`` (the step after it with ``wptr_ahead``; 0 without an error case), the
    one its lane reaches first (lowest slot): the abort then comes early in that product."""
    if item.mode != StealMode.NONE:
        raise ValueError("the ERR_WPTR case needs steal mode none")
    step = item.err.wptr_step + item.err.wptr_ahead if item.err is not None else 0
    W = item.weights(direction, phase)[0] != 0
    N = W.shape[1]
    if phase == PHASE_X:
        a = item.x_seq[step] != 0
    else:
        a = np.asarray(item.h0[direction]) != 0
    hits = []
    for h, v in hw.lanes():
        lo, hi = partition_bounds(hw, N, v)
        for i, r in enumerate(range(h, item.M, hw.H)):
            if (W[r, lo:hi] & a[lo:hi]).any():
                hits.append((i, (h, v)))
                break
    if not hits:
        raise ValueError(f"{item}: no row has effective work in step {step}")
    i, lane = min(hits)
    return lane, i


class GruMonitor(uvm_component):
    def build_phase(self) -> None:
        self.bfm: GruBfm = ConfigDB().get(self, "", "GRU_BFM")
        self.ap = uvm_analysis_port("ap", self)

    async def run_phase(self) -> None:
        while True:
            ctx: PhaseContext = await self.bfm.phase_queue.get()
            res = GruPhaseResult(ctx.item, ctx.index, ctx.direction, ctx.phase, ctx.phase_no,
                                 ctx.last_phase, done=ctx.done, timed_out=ctx.timed_out,
                                 wait_cycles=ctx.wait_cycles, before=ctx.before,
                                 checks=list(ctx.checks))
            try:
                if ctx.exception is not None:
                    res.notes.append(f"driver exception: {ctx.exception}")
                else:
                    await self.observe(ctx, res)
            except Exception as exc:
                res.notes.append(f"monitor exception: {type(exc).__name__}: {exc}\n"
                                 f"{traceback.format_exc()}")
            try:
                self.ap.write(res)
            finally:
                self.bfm.phase_read.set()

    async def observe(self, ctx: PhaseContext, res: GruPhaseResult) -> None:
        bfm, item = self.bfm, ctx.item
        res.dump = await bfm.gru_dump()
        res.irq_pulses = bfm.irq_count - ctx.irq_before
        if bfm.irq_bad_width:
            res.checks.append(("irq_o pulse width in cycles", 1, int(bfm.irq_bad_width[0])))
            bfm.irq_bad_width.clear()
        if item.err is None and ctx.done and ctx.phase != PHASE_M:
            if item.load == LOAD_FRONTDOOR:
                await self.frontdoor_reads(ctx, res)
            elif ACT_RF_TAG in item.tags:
                res.frontdoor["ACT_RF"] = await bfm.read_act_rf(
                    item.I if ctx.phase == PHASE_X else item.Hd, item.mode)

    async def frontdoor_reads(self, ctx: PhaseContext, res: GruPhaseResult) -> None:
        """The bus view of the phase's results; the scoreboard compares it with the dump."""
        bfm, item = self.bfm, ctx.item
        if ctx.phase == PHASE_H:
            res.frontdoor["HOUT"] = await bfm.read_hout(item.T, ctx.direction, item.Hd)
            res.frontdoor["HBUF"] = await bfm.read_hbuf(item.Hd)
        else:
            res.frontdoor["XBUF"] = await bfm.read_xbuf(item.T, item.I)
        res.frontdoor["GX"] = await bfm.read_gx(item.T, item.M)
        res.frontdoor["STEP"] = await bfm.read_step(item.T)
        # the activation RFs hold the encoding of the phase's last vector (x_{T-1}, or the last
        # h): the encoder's final pass, which no later product of the phase reads
        res.frontdoor["ACT_RF"] = await bfm.read_act_rf(
            item.I if ctx.phase == PHASE_X else item.Hd, item.mode)
        for name in (*GRU_PERF_REGS, "STATUS", "ERR_CODE"):
            res.checks.append((f"register {name} over the bus vs the dump",
                               res.dump.reg(name), await bfm.read_reg(REG[name])))


class GruAgent(uvm_agent):
    def build_phase(self) -> None:
        self.seqr = uvm_sequencer("seqr", self)
        self.driver = GruDriver("driver", self)
        self.monitor = GruMonitor("monitor", self)

    def connect_phase(self) -> None:
        self.driver.seq_item_port.connect(self.seqr.seq_item_export)


__all__ = ["GruAgent", "GruDriver", "GruMonitor", "PhaseContext", "phase_timeout", "wptr_target"]
