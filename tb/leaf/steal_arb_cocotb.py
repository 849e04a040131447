"""cocotb tests of masr_steal_arb (work pointers + victim arbiter) against a Python model.

The model is written from docs/architecture.md section 5 ("Claims", "Victim arbiter", the
shared and the split replica ranges) and the FLAGS definitions of section 6. Every cycle the test compares grants, granted rows, refusals,
the refusal reason, remaining/stealable and the FLAGS events; per product it checks that every
row in [0, R) was granted or retired exactly once (work conservation). Random products mix the
shared (v1) and the split layout, and drive known_empty_i (rows the lane's scanner found without
an effective op, rule N3) at random: the model retires them one row at a time, as
golden.perf_v2 does, and the test compares retire_rows_o and the state that follows.

Environment knobs (set by tests/test_rtl_leaf.py):
  MASR_ARB_PRODUCTS   number of random products (each: init, random requests until done)
"""
from __future__ import annotations

import cocotb
from cocotb.triggers import FallingEdge

from tb.leaf.common import Pins, env_int, expect, rng, settle, start

REFUSE_CONTENTION, REFUSE_EXHAUSTED, REFUSE_DONE = 0, 1, 2


class ArbModel:
    """Reference for one victim lane's head/tails/rr and its per-cycle arbitration.

    shared (v1, docs/architecture.md section 5): one replica range [rep_start, R) held by both
    thieves, round robin. split (docs/perf-model.md rules R1-R3): range 0 = [rep_start, rep_mid)
    for the prev-side thief, range 1 = [rep_mid, R) for the next-side thief, one tail each, the
    owner's head jumps over a range its thief emptied.
    """

    def __init__(self, rows: int, rep_start: int, split: bool = False, rep_mid: int | None = None):
        self.rows, self.rep, self.split = rows, rep_start, split
        mid = rep_mid if split else rep_start
        assert rep_start <= mid <= rows
        self.base = [rep_start, mid]
        self.top = [mid, rows]
        self.tail = list(self.top)
        self.head, self.rr = 0, 0
        self.granted: list[int] = []

    def st(self, k: int, head: int, tail: list[int] | None = None) -> int:
        t = (tail or self.tail)[k]
        return max(0, t - max(head, self.base[k]))

    def own(self, head: int, tail: list[int] | None = None) -> int:
        return max(0, self.base[0] - head) + self.st(0, head, tail) + self.st(1, head, tail)

    @property
    def remaining(self) -> int:
        return self.own(self.head)

    def stealable(self, side: int) -> int:
        """What the thief on that side (0 prev, 1 next) reads."""
        return self.st(side if self.split else 1, self.head)

    def step(self, owner: int, prev: int, nxt: int, known: int = 0) -> dict[str, int]:
        st0 = [self.st(k, self.head) for k in range(2)]
        og = int(bool(owner))
        assert not og or self.remaining > 0, "test bug: owner asks with no rows left"
        out = {"owner_gnt_o": og, "owner_row": self.head}
        if og:
            self.granted.append(self.head)
        head = self.head + og
        st1 = [self.st(k, head) for k in range(2)]
        tail = list(self.tail)
        pg = ng = 0
        if self.split:
            pg, ng = int(bool(prev) and st1[0] > 0), int(bool(nxt) and st1[1] > 0)
            if pg:
                out["prev_row"] = tail[0] - 1
                tail[0] -= 1
            if ng:
                out["next_row"] = tail[1] - 1
                tail[1] -= 1
        elif st1[1] > 0 and (prev or nxt):
            if prev and nxt:
                pg = int(self.rr == 0)
                ng = 1 - pg
            else:
                pg, ng = int(bool(prev)), int(bool(nxt))
            out["prev_row" if pg else "next_row"] = tail[1] - 1
            tail[1] -= 1
            self.rr = 1 if pg else 0
        for key in ("prev_row", "next_row"):
            if key in out:
                self.granted.append(out[key])
        st2 = self.st(1, head, tail)
        if not self.split and st2 > 0:
            reason = REFUSE_CONTENTION
        else:
            reason = REFUSE_EXHAUSTED if self.own(head, tail) > 0 else REFUSE_DONE
        if self.split:
            race = any(req and og and st0[k] == 1 and st1[k] == 0
                       for k, req in ((0, prev), (1, nxt)))
        else:
            race = bool(prev or nxt) and og == 1 and st0[1] == 1 and st1[1] == 0
        out.update({
            "thief_prev_gnt_o": pg,
            "thief_next_gnt_o": ng,
            "thief_prev_refuse_o": int(bool(prev) and not pg),
            "thief_next_refuse_o": int(bool(nxt) and not ng),
            "reason": reason,
            "dual_thief_o": int(bool(prev) and bool(nxt)),
            "last_row_race_o": int(race),
        })
        # split: the owner's next row jumps over the part of a range its thief took; then the
        # scanner's known-empty rows retire, one at a time, at the head first, until neither end
        # holds one (docs/perf-model.md N3)
        retired = 0
        while True:
            if self.split:
                for k in range(2):
                    if self.base[k] <= head < self.top[k] and head >= tail[k]:
                        head = self.top[k]
            if self.own(head, tail) > 0 and known >> head & 1:
                retired |= 1 << head
                head += 1
                continue
            ends = [k for k in range(2) if tail[k] > max(head, self.base[k])
                    and known >> (tail[k] - 1) & 1]
            if not ends:
                break
            tail[ends[0]] -= 1
            retired |= 1 << tail[ends[0]]
        self.granted += [r for r in range(self.rows) if retired >> r & 1]
        out["retired"] = retired
        self.head, self.tail = head, tail
        return out


class ArbDriver:
    def __init__(self, dut, gen):
        self.dut, self.gen = dut, gen
        self.pins = Pins(dut, [
            "init_i", "split_i", "rows_i", "rep_start_i", "rep_mid_i", "owner_req_i",
            "thief_prev_req_i", "thief_next_req_i", "owner_gnt_o", "owner_row_o",
            "thief_prev_gnt_o", "thief_next_gnt_o", "thief_prev_row_o", "thief_next_row_o",
            "thief_prev_refuse_o", "thief_next_refuse_o", "refuse_reason_o", "remaining_o",
            "stealable_prev_o", "stealable_next_o", "dual_thief_o", "last_row_race_o",
            "known_empty_i", "retire_rows_o"])
        self.row_w = len(dut.rows_i)
        self.model: ArbModel | None = None
        self.cycles = 0
        self.events = {"dual": 0, "race": 0, "exhausted": 0, "done": 0, "contention": 0,
                       "prev": 0, "next": 0, "split_two": 0, "split_jump": 0,
                       "retire_head": 0, "retire_tail": 0, "retire_many": 0}

    async def init(self, rows: int, rep_start: int, split: bool = False,
                   rep_mid: int | None = None) -> ArbModel:
        """One init cycle (no requests), then the product starts."""
        pin = self.pins
        self.check_product_end()
        pin.drive("owner_req_i", 0)
        pin.drive("thief_prev_req_i", 0)
        pin.drive("thief_next_req_i", 0)
        pin.drive("rows_i", rows)
        pin.drive("rep_start_i", rep_start)
        pin.drive("split_i", int(split))
        # shared: rep_mid_i is ignored, drive something else than rep_start to show it
        pin.drive("rep_mid_i", rep_mid if split else rows)
        pin.drive("init_i", 1)
        await FallingEdge(self.dut.clk_i)
        pin.drive("init_i", 0)
        self.cycles += 1
        self.model = ArbModel(rows, rep_start, split, rep_mid)
        return self.model

    async def cycle(self, owner: int, prev: int, nxt: int, known: int = 0) -> dict[str, int]:
        m, pin = self.model, self.pins
        ctx = f"cycle {self.cycles}: split={m.split} R={m.rows} bases={m.base} head={m.head} " \
              f"tails={m.tail} rr={m.rr} req owner={owner} prev={prev} next={nxt} " \
              f"known={known:#x}"
        # Registered view, as neighbouring thieves see it at the start of the cycle.
        expect("remaining_o", pin["remaining_o"], m.remaining, ctx)
        expect("stealable_prev_o", pin["stealable_prev_o"], m.stealable(0), ctx)
        expect("stealable_next_o", pin["stealable_next_o"], m.stealable(1), ctx)
        head0 = m.head
        pin.drive("owner_req_i", owner)
        pin.drive("thief_prev_req_i", prev)
        pin.drive("thief_next_req_i", nxt)
        pin.drive("known_empty_i", known)
        await settle()
        tails0 = list(m.tail)
        exp = m.step(owner, prev, nxt, known)
        expect("retire_rows_o", pin["retire_rows_o"], exp["retired"], ctx)
        for name in ("owner_gnt_o", "thief_prev_gnt_o", "thief_next_gnt_o", "thief_prev_refuse_o",
                     "thief_next_refuse_o", "dual_thief_o", "last_row_race_o"):
            expect(name, pin[name], exp[name], ctx)
        if exp["owner_gnt_o"]:
            expect("owner_row_o", pin["owner_row_o"], exp["owner_row"], ctx)
        if "prev_row" in exp:
            expect("thief_prev_row_o", pin["thief_prev_row_o"], exp["prev_row"], ctx)
        if "next_row" in exp:
            expect("thief_next_row_o", pin["thief_next_row_o"], exp["next_row"], ctx)
        if exp["thief_prev_refuse_o"] or exp["thief_next_refuse_o"]:
            expect("refuse_reason_o", pin["refuse_reason_o"], exp["reason"], ctx)
            key = {REFUSE_CONTENTION: "contention", REFUSE_EXHAUSTED: "exhausted",
                   REFUSE_DONE: "done"}[exp["reason"]]
            self.events[key] += exp["thief_prev_refuse_o"] + exp["thief_next_refuse_o"]
        self.events["dual"] += exp["dual_thief_o"]
        self.events["race"] += exp["last_row_race_o"]
        self.events["prev"] += exp["thief_prev_gnt_o"]
        self.events["next"] += exp["thief_next_gnt_o"]
        if m.split:
            self.events["split_two"] += exp["thief_prev_gnt_o"] & exp["thief_next_gnt_o"]
            self.events["split_jump"] += int(m.head > head0 + exp["owner_gnt_o"]
                                             and not exp["retired"])
        taken = exp["thief_prev_gnt_o"] + exp["thief_next_gnt_o"]
        self.events["retire_tail"] += int(sum(tails0) - sum(m.tail) > taken)
        self.events["retire_head"] += int(bool(exp["retired"] >> (head0 + exp["owner_gnt_o"]) & 1))
        self.events["retire_many"] += int(bin(exp["retired"]).count("1") >= 2)
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
                      "thief_prev_req_i": 0, "thief_next_req_i": 0, "known_empty_i": 0})
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
        assert m.stealable(0) == 1
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

    # Split ranges (rules R1-R3). rows 0..3 own-only, range 0 = [4, 6) prev, range 1 = [6, 9).
    if rmax >= 9:
        m = await drv.init(9, 4, split=True, rep_mid=6)
        # both thieves granted in one cycle, different rows (no contention)
        exp = await drv.cycle(0, 1, 1)
        assert exp["thief_prev_gnt_o"] and exp["thief_next_gnt_o"]
        assert (exp["prev_row"], exp["next_row"]) == (5, 8)
        # the prev thief empties range 0 (row 4); the owner's head then jumps over it
        exp = await drv.cycle(1, 1, 0)
        assert exp["owner_row"] == 0 and exp["prev_row"] == 4 and m.tail[0] == 4
        for row in (1, 2, 3):
            exp = await drv.cycle(1, 1, 0)   # range 0 empty: prev refused, "exhausted"
            assert exp["owner_row"] == row and exp["thief_prev_refuse_o"]
            assert exp["reason"] == REFUSE_EXHAUSTED
        assert m.head == 6, m.head             # jumped over [4, 6)
        # owner and the next thief meet inside range 1: rows 6, 7 left
        exp = await drv.cycle(1, 0, 1)
        assert exp["owner_row"] == 6 and exp["next_row"] == 7
        exp = await drv.cycle(0, 1, 1)          # nothing left: both refused, "done"
        assert exp["reason"] == REFUSE_DONE
        drv.check_product_end()

        # last-row race inside a range: the owner takes the range's last row, its thief is refused
        m = await drv.init(4, 2, split=True, rep_mid=3)   # range 0 = [2, 3), range 1 = [3, 4)
        await drv.cycle(1, 0, 0)
        await drv.cycle(1, 0, 0)
        exp = await drv.cycle(1, 1, 1)          # owner row 2 (range 0's last), next gets 3
        assert exp["last_row_race_o"] and exp["thief_prev_refuse_o"] and exp["thief_next_gnt_o"]
        assert exp["reason"] == REFUSE_DONE
        drv.check_product_end()

        # edge lane: no prev thief (range 0 empty), next range = the whole lane
        m = await drv.init(5, 0, split=True, rep_mid=0)
        while m.remaining:
            await drv.cycle(1, 0, 1)
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
        split = bool(gen.integers(0, 2))
        pick = gen.integers(0, 6)
        mid = (rep, rows, (rep + rows) // 2)[pick] if pick < 3 else int(gen.integers(rep, rows + 1))
        p_own, p_prev, p_next = (probs[gen.integers(0, len(probs))] for _ in range(3))
        p_known = (0.0, 0.0, 0.2, 0.5, 0.9)[gen.integers(0, 5)]   # rows the scanner marked
        m = await drv.init(rows, rep, split, mid)
        n_cycles = 0
        while m.remaining:
            n_cycles += 1
            if n_cycles > 4 * rows + 8:
                p_own = 1.0  # make sure every product ends
            owner = int(gen.random() < p_own)
            prev = int(gen.random() < p_prev)
            nxt = int(gen.random() < p_next)
            known = sum(1 << r for r in range(1 << drv.row_w) if gen.random() < p_known)
            await drv.cycle(owner, prev, nxt, known)
        # A few cycles with nothing left: thieves are refused ("done").
        for _ in range(int(gen.integers(0, 3))):
            await drv.cycle(0, int(gen.random() < 0.5), int(gen.random() < 0.5))
        drv.check_product_end()
    await drv.init(0, 0)  # checks the last product
    dut._log.info("random: %d products, %d cycles, events %s", n_products, drv.cycles, drv.events)
    ev = drv.events
    if n_products >= 50:
        assert all(ev[k] > 0 for k in ev), f"a contract corner was never hit: {ev}"
