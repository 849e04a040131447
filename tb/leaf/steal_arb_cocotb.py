"""cocotb tests of masr_steal_arb (work pointers + victim arbiter) against a Python model.

The model is written from docs/architecture.md section 5 ("Claims", "Victim arbiter") and the
FLAGS definitions of section 6. Every cycle the test compares grants, granted rows, refusals,
the refusal reason, remaining/stealable and the FLAGS events; per product it checks that every
row in [0, R) was granted exactly once (work conservation).

Environment knobs (set by tests/test_rtl_leaf.py):
  MASR_ARB_PRODUCTS   number of random products (each: init, random requests until done)
"""
from __future__ import annotations

import cocotb
from cocotb.triggers import FallingEdge

from tb.leaf.common import Pins, env_int, expect, rng, settle, start

REFUSE_CONTENTION, REFUSE_EXHAUSTED, REFUSE_DONE = 0, 1, 2


class ArbModel:
    """Reference for one victim lane's head/tail/rr and its per-cycle arbitration."""

    def __init__(self, rows: int, rep_start: int):
        self.rows, self.rep = rows, rep_start
        self.head, self.tail, self.rr = 0, rows, 0
        self.granted: list[int] = []

    def stealable(self, head: int, tail: int) -> int:
        return max(0, tail - max(head, self.rep))

    @property
    def remaining(self) -> int:
        return self.tail - self.head

    def step(self, owner: int, prev: int, nxt: int) -> dict[str, int]:
        st0 = self.stealable(self.head, self.tail)
        og = int(bool(owner))
        assert not og or self.remaining > 0, "test bug: owner asks with no rows left"
        out = {"owner_gnt_o": og, "owner_row": self.head}
        if og:
            self.granted.append(self.head)
        head = self.head + og
        st1 = self.stealable(head, self.tail)
        pg = ng = 0
        tail = self.tail
        if st1 > 0 and (prev or nxt):
            if prev and nxt:
                pg = int(self.rr == 0)
                ng = 1 - pg
            else:
                pg, ng = int(bool(prev)), int(bool(nxt))
            out["thief_row"] = tail - 1
            self.granted.append(tail - 1)
            tail -= 1
            self.rr = 1 if pg else 0
        st2 = self.stealable(head, tail)
        out.update({
            "thief_prev_gnt_o": pg,
            "thief_next_gnt_o": ng,
            "thief_prev_refuse_o": int(bool(prev) and not pg),
            "thief_next_refuse_o": int(bool(nxt) and not ng),
            "reason": REFUSE_CONTENTION if st2 > 0 else (REFUSE_EXHAUSTED if tail > head else REFUSE_DONE),
            "dual_thief_o": int(bool(prev) and bool(nxt)),
            "last_row_race_o": int(bool(prev or nxt) and og == 1 and st0 == 1 and st1 == 0),
        })
        self.head, self.tail = head, tail
        return out


class ArbDriver:
    def __init__(self, dut, gen):
        self.dut, self.gen = dut, gen
        self.pins = Pins(dut, [
            "init_i", "rows_i", "rep_start_i", "owner_req_i", "thief_prev_req_i",
            "thief_next_req_i", "owner_gnt_o", "owner_row_o", "thief_prev_gnt_o",
            "thief_next_gnt_o", "thief_row_o", "thief_prev_refuse_o", "thief_next_refuse_o",
            "refuse_reason_o", "remaining_o", "stealable_o", "dual_thief_o", "last_row_race_o"])
        self.row_w = len(dut.rows_i)
        self.model: ArbModel | None = None
        self.cycles = 0
        self.events = {"dual": 0, "race": 0, "exhausted": 0, "done": 0, "contention": 0,
                       "prev": 0, "next": 0}

    async def init(self, rows: int, rep_start: int) -> ArbModel:
        """One init cycle (no requests), then the product starts."""
        pin = self.pins
        self.check_product_end()
        pin.drive("owner_req_i", 0)
        pin.drive("thief_prev_req_i", 0)
        pin.drive("thief_next_req_i", 0)
        pin.drive("rows_i", rows)
        pin.drive("rep_start_i", rep_start)
        pin.drive("init_i", 1)
        await FallingEdge(self.dut.clk_i)
        pin.drive("init_i", 0)
        self.cycles += 1
        self.model = ArbModel(rows, rep_start)
        return self.model

    async def cycle(self, owner: int, prev: int, nxt: int) -> dict[str, int]:
        m, pin = self.model, self.pins
        ctx = f"cycle {self.cycles}: R={m.rows} rep_start={m.rep} head={m.head} tail={m.tail} " \
              f"rr={m.rr} req owner={owner} prev={prev} next={nxt}"
        # Registered view, as neighbouring thieves see it at the start of the cycle.
        expect("remaining_o", pin["remaining_o"], m.remaining, ctx)
        expect("stealable_o", pin["stealable_o"], m.stealable(m.head, m.tail), ctx)
        pin.drive("owner_req_i", owner)
        pin.drive("thief_prev_req_i", prev)
        pin.drive("thief_next_req_i", nxt)
        await settle()
        exp = m.step(owner, prev, nxt)
        for name in ("owner_gnt_o", "thief_prev_gnt_o", "thief_next_gnt_o", "thief_prev_refuse_o",
                     "thief_next_refuse_o", "dual_thief_o", "last_row_race_o"):
            expect(name, pin[name], exp[name], ctx)
        if exp["owner_gnt_o"]:
            expect("owner_row_o", pin["owner_row_o"], exp["owner_row"], ctx)
        if "thief_row" in exp:
            expect("thief_row_o", pin["thief_row_o"], exp["thief_row"], ctx)
        if exp["thief_prev_refuse_o"] or exp["thief_next_refuse_o"]:
            expect("refuse_reason_o", pin["refuse_reason_o"], exp["reason"], ctx)
            key = {REFUSE_CONTENTION: "contention", REFUSE_EXHAUSTED: "exhausted",
                   REFUSE_DONE: "done"}[exp["reason"]]
            self.events[key] += exp["thief_prev_refuse_o"] + exp["thief_next_refuse_o"]
        self.events["dual"] += exp["dual_thief_o"]
        self.events["race"] += exp["last_row_race_o"]
        self.events["prev"] += exp["thief_prev_gnt_o"]
        self.events["next"] += exp["thief_next_gnt_o"]
        await FallingEdge(self.dut.clk_i)
        self.cycles += 1
        return exp

    def check_product_end(self) -> None:
        """Work conservation of the product just finished (if it ran to the end)."""
        m = self.model
        if m is None or m.remaining:
            return
        assert sorted(m.granted) == list(range(m.rows)), \
            f"rows granted {sorted(m.granted)} != each of 0..{m.rows - 1} exactly once"


async def setup(dut) -> ArbDriver:
    await start(dut, {"init_i": 0, "rows_i": 0, "rep_start_i": 0, "owner_req_i": 0,
                      "thief_prev_req_i": 0, "thief_next_req_i": 0})
    return ArbDriver(dut, rng())


@cocotb.test()
async def directed(dut):
    drv = await setup(dut)
    rmax = (1 << drv.row_w) - 1

    # Reset state: nothing to claim or steal.
    drv.model = ArbModel(0, 0)
    exp = await drv.cycle(0, 1, 1)
    assert exp["reason"] == REFUSE_DONE

    # rows = 0: every thief request is refused with reason "done".
    await drv.init(0, 0)
    for _ in range(3):
        exp = await drv.cycle(0, 1, 0)
        assert exp["thief_prev_refuse_o"] and exp["reason"] == REFUSE_DONE

    # Owner and thief racing for the last row: the owner wins, the thief is refused ("done").
    if rmax >= 4:
        m = await drv.init(4, 2)
        for _ in range(3):
            await drv.cycle(1, 0, 0)
        assert m.stealable(m.head, m.tail) == 1
        exp = await drv.cycle(1, 1, 0)
        assert exp["owner_gnt_o"] and exp["thief_prev_refuse_o"] and exp["last_row_race_o"]
        assert exp["reason"] == REFUSE_DONE
        drv.check_product_end()

    # Two thieves on one victim in the same cycle: one wins, rr alternates prev/next.
    n = min(8, rmax)
    m = await drv.init(n, 0)  # rep_start = 0: the whole lane is replicated
    winners = []
    while m.remaining:
        exp = await drv.cycle(0, 1, 1)
        assert exp["dual_thief_o"]
        winners.append("prev" if exp["thief_prev_gnt_o"] else "next")
    assert winners == ["prev", "next"] * (n // 2) + ["prev"] * (n % 2), winners
    drv.check_product_end()

    # Requests into an exhausted replica range: refused with reason "exhausted", then "done".
    if rmax >= 6:
        m = await drv.init(6, 4)
        await drv.cycle(0, 1, 0)      # row 5
        await drv.cycle(0, 0, 1)      # row 4
        exp = await drv.cycle(0, 1, 1)
        assert exp["thief_prev_refuse_o"] and exp["thief_next_refuse_o"]
        assert exp["reason"] == REFUSE_EXHAUSTED
        while m.remaining:
            await drv.cycle(1, 0, 1)
        exp = await drv.cycle(0, 0, 1)
        assert exp["reason"] == REFUSE_DONE
        drv.check_product_end()

    # rep_start = R (no replica): thieves are never granted.
    m = await drv.init(min(5, rmax), min(5, rmax))
    while m.remaining:
        exp = await drv.cycle(1, 1, 1)
        assert not exp["thief_prev_gnt_o"] and not exp["thief_next_gnt_o"]
    drv.check_product_end()

    # Owner and a thief granted in the same cycle take different rows; the lane dries up.
    m = await drv.init(rmax, 0)
    while m.remaining:
        await drv.cycle(1, 1, 0)
    drv.check_product_end()

    # Re-init in the middle of a product restarts cleanly.
    m = await drv.init(min(7, rmax), 1)
    await drv.cycle(1, 0, 1)
    m = await drv.init(min(7, rmax), 1)
    while m.remaining:
        await drv.cycle(int(drv.gen.integers(0, 2)), 1, 1)
    drv.check_product_end()
    dut._log.info("directed: %d cycles, events %s", drv.cycles, drv.events)


@cocotb.test()
async def random_streams(dut):
    drv = await setup(dut)
    gen = drv.gen
    rmax = (1 << drv.row_w) - 1
    probs = (0.0, 0.2, 0.5, 0.9, 1.0)
    n_products = env_int("MASR_ARB_PRODUCTS", 150)
    for _ in range(n_products):
        pick = gen.integers(0, 6)
        rows = (0, 1, rmax)[pick] if pick < 3 else int(gen.integers(0, rmax + 1))
        pick = gen.integers(0, 6)
        rep = (0, rows, max(0, rows - 1))[pick] if pick < 3 else int(gen.integers(0, rows + 1))
        p_own, p_prev, p_next = (probs[gen.integers(0, len(probs))] for _ in range(3))
        m = await drv.init(rows, rep)
        n_cycles = 0
        while m.remaining:
            n_cycles += 1
            if n_cycles > 4 * rows + 8:
                p_own = 1.0  # make sure every product ends
            owner = int(gen.random() < p_own)
            prev = int(gen.random() < p_prev)
            nxt = int(gen.random() < p_next)
            await drv.cycle(owner, prev, nxt)
        # A few cycles with nothing left: thieves are refused ("done").
        for _ in range(int(gen.integers(0, 3))):
            await drv.cycle(0, int(gen.random() < 0.5), int(gen.random() < 0.5))
        drv.check_product_end()
    await drv.init(0, 0)  # checks the last product
    dut._log.info("random: %d products, %d cycles, events %s", n_products, drv.cycles, drv.events)
    ev = drv.events
    if n_products >= 50:
        assert all(ev[k] > 0 for k in ev), f"a contract corner was never hit: {ev}"
